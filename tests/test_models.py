"""Alignment and Document offset mapping: the contract every rewriting stage relies on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.models import Alignment, Document, OcrWord, Page, TextLayer
from pipeline.textutil import AlignedBuilder, align_by_diff, skeleton, strip_marks


def build(source: str, edits: list[tuple[int, int, str]]) -> tuple[str, Alignment]:
    b = AlignedBuilder(source)
    for start, end, new in edits:
        b.replace(start, end, new)
    return b.finish()


@pytest.mark.parametrize(
    ("source", "edits", "expected"),
    [
        (
            "Nghi quyet so 57",
            [(0, 4, "Nghị"), (5, 10, "quyết"), (11, 13, "số")],
            "Nghị quyết số 57",
        ),
        ("s6 57-NQ/TW", [(0, 2, "số")], "số 57-NQ/TW"),
        ("rn", [(0, 2, "m")], "m"),  # two characters become one
        ("m", [(0, 1, "rn")], "rn"),  # one becomes two
        ("ab  cd", [(2, 4, " ")], "ab cd"),  # deletion of a space
        ("abc", [], "abc"),
    ],
)
def test_builder_output(source: str, edits: list[tuple[int, int, str]], expected: str) -> None:
    text, _ = build(source, edits)
    assert text == expected


@pytest.mark.parametrize(
    ("source", "edits", "span", "expected_source_span"),
    [
        # the span of "quyết" in the output maps to "quyet" in the input
        ("Nghi quyet so 57", [(0, 4, "Nghị"), (5, 10, "quyết")], (5, 10), (5, 10)),
        # a span covering a shortened region maps to the whole input region
        ("xx rn yy", [(3, 5, "m")], (3, 4), (3, 5)),
        # text after a length-changing edit shifts back
        ("xx rn yy", [(3, 5, "m")], (5, 7), (6, 8)),
        # a span inside a replaced region widens to the region
        ("Quyet dinh", [(0, 5, "Quyết")], (1, 3), (0, 5)),
        # empty span
        ("abc", [(0, 1, "xy")], (2, 2), (1, 1)),
    ],
)
def test_span_maps_back(
    source: str,
    edits: list[tuple[int, int, str]],
    span: tuple[int, int],
    expected_source_span: tuple[int, int],
) -> None:
    _, alignment = build(source, edits)
    assert alignment.span_to_input(*span) == expected_source_span


def test_document_maps_through_two_layers_to_page_and_word() -> None:
    source = "Can cu Nghi quyet s6 57-NQ/TW"
    words = [
        OcrWord("Can", 1, (0, 0, 10, 10), 90.0, start=0, end=3),
        OcrWord("s6", 1, (50, 0, 60, 10), 40.0, start=18, end=20),
        OcrWord("57-NQ/TW", 1, (60, 0, 90, 10), 95.0, start=21, end=29),
    ]
    doc = Document("d", "x.txt", "0" * 64, source_text=source, pages=[Page(1, 0, 29, words=words)])
    t1, a1 = build(source, [(0, 3, "Căn"), (4, 6, "cứ")])
    doc.add_layer("normalize", t1, a1)
    t2, a2 = build(t1, [(18, 20, "số")])
    doc.add_layer("restore", t2, a2)
    assert doc.text == "Căn cứ Nghi quyet số 57-NQ/TW"
    start = doc.text.index("57-NQ/TW")
    src = doc.to_source(start, start + 8)
    assert source[src[0] : src[1]] == "57-NQ/TW"
    assert doc.page_of(src[0]) == 1
    assert [w.text for w in doc.words_in(*src)] == ["57-NQ/TW"]
    assert doc.from_source(*src) == (start, start + 8)


tokens = st.text(alphabet="abcdeđêôơưăâ ", min_size=0, max_size=6)


@given(
    st.lists(st.tuples(tokens, st.booleans(), tokens), min_size=0, max_size=12),
)
def test_offsets_round_trip(pieces: list[tuple[str, bool, str]]) -> None:
    """Kept text maps to itself both ways, whatever was replaced around it."""
    source = "".join(old for old, _, _ in pieces)
    b = AlignedBuilder(source)
    pos = 0
    kept: list[tuple[int, int, int]] = []  # (out_start, in_start, length)
    out_pos = 0
    for old, change, new in pieces:
        if change:
            b.replace(pos, pos + len(old), new)
            out_pos += len(new)
        else:
            b.keep(pos + len(old))
            kept.append((out_pos, pos, len(old)))
            out_pos += len(old)
        pos += len(old)
    text, alignment = b.finish()
    layer_doc = Document("d", "p", "", source_text=source, layers=[TextLayer("t", text, alignment)])
    for out_start, in_start, length in kept:
        if length == 0:
            continue
        s, e = layer_doc.to_source(out_start, out_start + length)
        assert source[s:e] == text[out_start : out_start + length]
        assert (s, e) == (in_start, in_start + length)


@given(st.text(max_size=40), st.text(max_size=40))
def test_align_by_diff_maps_equal_runs(a: str, b: str) -> None:
    alignment = align_by_diff(a, b)
    assert alignment.out_len == len(b)
    s, e = alignment.span_to_input(0, len(b))
    assert 0 <= s <= e <= len(a)


@pytest.mark.parametrize(
    ("text", "stripped", "key"),
    [
        ("Nghị quyết", "Nghi quyet", "nghi quyet"),
        ("ĐỘC LẬP", "DOC LAP", "doc lap"),
        ("Bộ Y tế", "Bo Y te", "bo y te"),
        ("already plain", "already plain", "already plain"),
    ],
)
def test_strip_marks_keeps_length(text: str, stripped: str, key: str) -> None:
    assert strip_marks(text) == stripped
    assert len(strip_marks(text)) == len(text)
    assert skeleton(text) == key


@given(
    st.text(alphabet="ab c\n", max_size=30),
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 4), st.text("abxy", max_size=3))),
)
def test_replace_many_is_replace_in_turn(source: str, cuts: list[tuple[int, int, str]]) -> None:
    """One bulk call gives the text and edits of a `replace` per region (merged alike)."""
    spans, at = [], 0
    for gap, size, new in cuts:
        start = min(at + gap % 3, len(source))
        end = min(start + size, len(source))
        spans.append((start, end, new))
        at = end
    one, bulk = AlignedBuilder(source), AlignedBuilder(source)
    for start, end, new in spans:
        one.replace(start, end, new)
    bulk.replace_many([s for s, _, _ in spans], [e for _, e, _ in spans], [n for *_, n in spans])
    assert bulk.finish() == one.finish()
