"""Stage restore: marks put back where missing, OCR confusions undone, the rest untouched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.lm import Model
from pipeline.lm_build import default_model_path
from pipeline.models import Document
from pipeline.restore import Slot, detect_mode, load_model, restore, restore_text
from pipeline.settings import Settings
from pipeline.textutil import skeleton

if not default_model_path().exists():
    pytest.skip("default model not built (python -m pipeline.lm_build)", allow_module_level=True)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model(None)


def fix(text: str, model: Model, mode: str | None = None) -> str:
    return restore_text(text, model, mode=mode)[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Can cu Nghi quyet so 57-NQ/TW cua Bo Chinh tri",
            "Căn cứ Nghị quyết số 57-NQ/TW của Bộ Chính trị",
        ),
        ("KE HOACH\nTrien khai thuc hien", "KẾ HOẠCH\nTriển khai thực hiện"),  # capitals kept
        ("Uy ban nhan dan tinh  chu tri,\tphoi hop.", "Ủy ban nhân dân tỉnh  chủ trì,\tphối hợp."),
        (
            "So Y te bao cao ket qua truoc ngay 15/12/2025",
            "Sở Y tế báo cáo kết quả trước ngày 15/12/2025",
        ),
    ],
)
def test_stripped_text(model: Model, text: str, expected: str) -> None:
    assert fix(text, model, "stripped") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # digits and symbols standing for marked letters, ư read as tr/ir, é for ế
        (
            "Can ctr Nghi quyét s6 57-NQ/TW cua B9 Chinh tri",
            "Căn cứ Nghị quyết số 57-NQ/TW của Bộ Chính trị",
        ),
        (
            "Quyét dinh s6 2183/QD-BYT ngay 01/7/2025 cia Bo Y té",
            "Quyết định số 2183/QĐ-BYT ngày 01/7/2025 của Bộ Y tế",
        ),
        ("Poc lap - Tu do - Hanh phuc", "Độc lập - Tự do - Hạnh phúc"),
    ],
)
def test_ocr_text(model: Model, text: str, expected: str) -> None:
    assert fix(text, model, "ocr") == expected


@pytest.mark.parametrize(
    "token",
    [
        "57-NQ/TW",
        "42/2025/NĐ-CP",
        "0130/KH-UBND",
        "UBND",
        "BCĐTW",
        "HIS",
        "AI",
        "XIII",
        "IV",
        "2025",
        "15/12/2025",
        "vanthu@moh.gov.vn",
        "https://moh.gov.vn/a-b",
        "V/v",
    ],
)
@pytest.mark.parametrize("mode", ["stripped", "ocr"])
def test_protected_tokens_stay(model: Model, token: str, mode: str) -> None:
    text = f"Can cu {token} cua Bo Y te ve viec trien khai"
    assert token in fix(text, model, mode)


@pytest.mark.parametrize("roman", ["I11.", "II.", "IV.", "V."])
def test_roman_headings_in_ocr_text(model: Model, roman: str) -> None:
    assert fix(f"{roman} TO CHUC THUC HIEN", model, "ocr").startswith(roman)


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("Căn cứ Nghị quyết số 57-NQ/TW của Bộ Chính trị về đột phá phát triển khoa học", "clean"),
        (
            "Can cu Nghi quyet so 57-NQ/TW cua Bo Chinh tri ve dot pha phat trien khoa hoc",
            "stripped",
        ),
        ("Can ctr Nghi quyét s6 57-NQ/TW cia B9 Chinh tri vé dot pha phat trién khoa hec", "ocr"),
    ],
)
def test_detect_mode(text: str, mode: str) -> None:
    assert detect_mode(text) == mode


def test_stage_records_changes_and_alignment(model: Model) -> None:
    src = "Can cu Ke hoach so 02-KH/BCDTW cua Ban Chi dao Trung uong."
    doc = Document("d", "x.txt", "0", source_text=src)
    doc = restore(doc, Settings())
    assert doc.text == "Căn cứ Kế hoạch số 02-KH/BCĐTW của Ban Chỉ đạo Trung ương."
    assert doc.layers[-1].stage == "restore"
    for ch in doc.changes:
        assert src[ch.start : ch.end] == ch.original
        assert 0.0 <= ch.confidence <= 1.0
        s, e = doc.from_source(ch.start, ch.end)
        assert doc.text[s:e] == ch.chosen
    i = doc.text.index("02-KH/BCĐTW")
    assert doc.to_source(i, i + 11) == (src.index("02-KH"), src.index("02-KH") + 11)


def test_stage_off_leaves_document(model: Model) -> None:
    doc = Document("d", "x.txt", "0", source_text="Can cu")
    assert restore(doc, Settings(restore=False)).text == "Can cu"


def _clean_lines() -> list[str]:
    lines: list[str] = []
    for name in ("003_", "004_"):
        for path in SAMPLES.glob(f"{name}*.txt"):
            text = path.read_text(encoding="utf-8")
            lines += [ln for ln in text.splitlines() if len(ln.split()) >= 4]
    return lines


CLEAN = _clean_lines()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(CLEAN or ["Căn cứ Luật Tổ chức chính quyền địa phương"]),
        min_size=1,
        max_size=12,
    )
)
def test_correct_vietnamese_passes_through(lines: list[str]) -> None:
    """Already-correct Vietnamese: at least 99.9% of words unchanged (here: all)."""
    text = "\n".join(lines)
    out = fix(text, load_model(None))
    words = re.findall(r"\S+", text)
    changed = sum(a != b for a, b in zip(words, re.findall(r"\S+", out), strict=True))
    assert changed <= 0.001 * len(words)


@settings(max_examples=40, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from("abcdeghiklmnopqrstuvxyĐđ AĂÂÊÔƠƯáàảãạ0123456789.-/\n,;()6|¢&"),
        max_size=120,
    )
)
def test_layout_and_offsets_kept(text: str) -> None:
    """Whatever the input: separators and line breaks identical, offsets consistent."""
    out, changes, builder = restore_text(text, load_model(None), mode="ocr")
    assert re.sub(r"[^\s]", "", out) == re.sub(r"[^\s]", "", text)
    for ch in changes:
        assert text[ch.start : ch.end] == ch.original
    _, alignment = builder.finish()
    assert alignment.in_len == len(text) and alignment.out_len == len(out)


def test_cli_restore_and_adapt(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["restore"], input="Ke hoach trien khai\n")
    assert result.exit_code == 0 and result.stdout == "Kế hoạch triển khai\n"
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("Can cu Luat so 5 cua Quoc hoi\n", encoding="utf-8")
    result = runner.invoke(app, ["restore", str(src / "a.txt"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert (tmp_path / "out" / "a.txt").read_text(
        encoding="utf-8"
    ) == "Căn cứ Luật số 5 của Quốc hội\n"
    clean = "Căn cứ Nghị quyết số 57 của Bộ Chính trị về đột phá phát triển khoa học, công nghệ. "
    (src / "b.txt").write_text(clean * 3, encoding="utf-8")
    result = runner.invoke(app, ["lm", "adapt", str(src), "-o", str(tmp_path / "m.pkl")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m.pkl").exists() and (tmp_path / "m.pkl.counts").exists()


def _brute_force(model: Model, slots: list[Slot]) -> list[int] | None:
    """Best path by trying every combination (tiny lattices only)."""
    import itertools

    from pipeline.lm import BOS, EOS

    best, arg = -1e18, None
    for combo in itertools.product(*(range(len(s.ids)) for s in slots)):
        a, b, v = model.id(BOS), model.id(BOS), 0.0
        for s, k in zip(slots, combo, strict=True):
            c = s.ids[k]
            v += model.score(a, b, c) - s.costs[k]
            a, b = b, c
        v += model.score(a, b, model.id(EOS))
        if v > best:
            best, arg = v, list(combo)
    return arg


@pytest.mark.parametrize(
    "text",
    ["tang cuong truyen thong", "So Y te bao cao", "cua UBND tinh", "de an trong diem"],
)
def test_beam_search_finds_the_best_path(model: Model, text: str) -> None:
    """The pruned beam search agrees with exhaustive search on short lattices."""
    from pipeline.restore import _slots_of, _viterbi

    (slots,) = _slots_of(text, "stripped", model, "unused")
    assert _viterbi(model, slots) == _brute_force(model, slots)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UBND tinh chi dao", "UBND tỉnh chỉ đạo"),  # abbreviations give context
        ("theo chi dao cua UBND tinh", "theo chỉ đạo của UBND tỉnh"),
    ],
)
def test_abbreviation_context(model: Model, text: str, expected: str) -> None:
    assert fix(text, model, mode="stripped") == expected


@pytest.mark.parametrize(
    ("text", "read_as", "meant"),
    [
        # a word the OCR misread into another valid syllable (c read as e, o as e) is still
        # offered its confusions; context decides, both ways
        ("Nghien cuu khoa hoe va cong nghe", "hoe", "khoa học"),
        ("Cong viec duoc lam lien tue trong nam", "tue", "liên tục"),
        ("Theo doi thue hién", "thue", "thực hiện"),
        ("Kiem tra viec thue hién", "thue", "thực hiện"),
        ("Cac don vi nop thue day du", "thue", "nộp thuế"),
        ("Hop dong thue nha o", "thue", "thuê nhà"),
    ],
)
def test_ocr_confusions_of_valid_syllables(
    model: Model, text: str, read_as: str, meant: str
) -> None:
    """In OCR text, a token whose skeleton is itself a syllable keeps its channel
    candidates (cost from the confusion table), and every candidate survives the beam
    for one more word, so the model can prefer the confusion when context asks for it."""
    from pipeline.candidates import candidates
    from pipeline.settings import DEFAULT_DICTIONARIES

    table = str(DEFAULT_DICTIONARIES / "restore" / "confusions.tsv")
    words = {w for w, _ in candidates(read_as, "ocr", model, table)}
    assert any(skeleton(w) != read_as for w in words)  # channel candidates offered
    assert meant in fix(text, model, "ocr")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a capitalised syllable inside a sentence leans towards the forms that are
        # capitalised in running text (names), not the commonest lower-case word
        ("Giam doc Tran Van Lam ky", "Trần Văn Lâm"),
        ("Ong Nguyen Van Lam phat bieu", "Nguyễn Văn Lâm"),
    ],
)
def test_capitalised_names_prior(model: Model, text: str, expected: str) -> None:
    assert expected in fix(text, model, "stripped")


# ------------------------------------------------------------------ compiled decoder

needs_kernel = pytest.mark.skipif(
    not __import__("pipeline.decode").decode.available(), reason="numba not installed"
)


def _decoders(model: Model, sentences: list[list[Slot]]) -> tuple[object, object]:
    from pipeline.restore import _Decoded, _KernelDecoded

    return _Decoded(model, sentences), _KernelDecoded.of_slots(model, sentences)


@st.composite
def lattices(draw: st.DrawFn, vocab_size: int) -> list[list[Slot]]:
    """Random sentences of slots: ids from the model's commonest words (so trigrams are
    seen) or anywhere, sometimes repeated inside a slot, costs with ties."""
    common = st.integers(0, min(vocab_size - 1, 400))
    anywhere = st.integers(0, vocab_size - 1)
    cost = st.one_of(st.just(0.0), st.just(2.0), st.floats(0.0, 30.0, allow_nan=False))
    sentences = []
    for _ in range(draw(st.integers(1, 3))):
        slots = []
        for j in range(draw(st.integers(1, 9))):
            ids = draw(st.lists(st.one_of(common, anywhere), min_size=1, max_size=13))
            costs = draw(st.lists(cost, min_size=len(ids), max_size=len(ids)))
            cands = [(f"w{k}", c) for k, c in enumerate(costs)]
            slots.append(Slot(j, j + 1, "x", None, cands, False, tuple(ids), tuple(costs)))
        sentences.append(slots)
    return sentences


@needs_kernel
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_kernel_agrees_with_python_on_random_lattices(model: Model, data: st.DataObject) -> None:
    """The compiled beam search and posteriors equal the pure-Python reference exactly:
    same path (ties broken alike), same posteriors, same ranking."""
    sentences = data.draw(lattices(len(model.vocab)))
    ref, fast = _decoders(model, sentences)
    assert fast.chosen == ref.chosen  # type: ignore[attr-defined]
    g = 0
    for sent in sentences:
        for slot in sent:
            for k in range(len(slot.ids)):
                assert fast.posterior(g, k) == ref.posterior(g, k)  # type: ignore[attr-defined]
            g += 1


@needs_kernel
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_kernel_agrees_on_a_small_model(data: st.DataObject) -> None:
    """Same on a tiny model (few trigrams: mostly back-off paths), tables built on demand."""
    from pipeline import lm

    small = lm.estimate(
        lm.count_trigrams(["Căn cứ Nghị quyết số 57. Sở Y tế chủ trì, Bộ Y tế phối hợp."]),
        ["cơ", "có", "cờ", "sơ"],
    )
    sentences = data.draw(lattices(len(small.vocab)))
    ref, fast = _decoders(small, sentences)
    assert fast.chosen == ref.chosen  # type: ignore[attr-defined]


@needs_kernel
@pytest.mark.parametrize(("prefix", "mode"), [("000_", None), ("004_", "stripped")])
def test_kernel_and_python_restore_alike(model: Model, prefix: str, mode: str | None) -> None:
    """Whole documents: identical text and changes with either decoder."""
    from pipeline.textutil import strip_marks

    (path,) = SAMPLES.glob(f"{prefix}*.txt")
    text = path.read_text(encoding="utf-8")[:6000]
    if mode == "stripped":
        text = strip_marks(text)
    fast = restore_text(text, model, mode, kernel=True)
    ref = restore_text(text, model, mode, kernel=False)
    assert fast[0] == ref[0] and fast[1] == ref[1]


def test_python_decoder_without_numba(model: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    """VANBAN_NO_NUMBA (or numba missing) falls back to the pure-Python decoder."""
    from pipeline import decode

    monkeypatch.setenv("VANBAN_NO_NUMBA", "1")
    assert not decode.available()
    assert fix("Can cu Nghi quyet so 57", model, "stripped") == "Căn cứ Nghị quyết số 57"


def test_compiled_channel_costs_equal_python() -> None:
    """pipeline.editcost prices OCR edits exactly as candidates._edit_cost."""
    import random

    from pipeline.candidates import _edit_cost, _ocr_rules, confusions, skeleton_list
    from pipeline.editcost import edit_costs
    from pipeline.settings import DEFAULT_DICTIONARIES

    table = confusions(str(DEFAULT_DICTIONARIES / "restore" / "confusions.tsv"))
    inserts = {t: c for t, c in table.get("", ())}
    names = skeleton_list(load_model(None))
    rng = random.Random(7)
    for _ in range(60):
        word = rng.choice(names)
        ocr = "".join(rng.choice("etdwiygo6r1v¢&") if rng.random() < 0.3 else c for c in word)
        rules = _ocr_rules(ocr, table)
        others = [*rng.sample(names, 30), word, ocr[:-1], ocr + "u"]
        fast = edit_costs(ocr, others, rules, inserts, 1.6, force=True)
        if fast is None:
            pytest.skip("numba not installed")
        assert fast == [_edit_cost(ocr, o, rules, inserts) for o in others]


def test_batched_neighbour_search_equals_one_token_search(
    model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """editcost.nearest_many (a text's tokens at once) finds and prices the neighbours of
    each token exactly as the search of one token (candidates._nearest_python)."""
    import random

    from pipeline import jit
    from pipeline.candidates import (
        MAX_EDIT,
        _nearest_python,
        _queries,
        _skeleton_order,
        confusions,
        skeleton_list,
    )
    from pipeline.editcost import nearest_many
    from pipeline.settings import DEFAULT_DICTIONARIES

    table = confusions(str(DEFAULT_DICTIONARIES / "restore" / "confusions.tsv"))
    names = skeleton_list(model)
    where, rank = _skeleton_order(model)
    rng = random.Random(11)
    skels = []
    for _ in range(40):
        word = rng.choice(names)
        skels.append("".join(rng.choice("etdwiygo6r1") if rng.random() < 0.3 else c for c in word))
    skels += rng.sample(names, 10)  # skeletons as they are: their neighbours come ready
    jobs = [(s, sorted(_queries(s, table)), where.get(s, -1)) for s in skels]
    monkeypatch.setattr(jit, "_work", [10**6])  # past the point where compiled code pays off
    found = nearest_many(jobs, names, rank, table, MAX_EDIT, 10)
    if found is None:
        pytest.skip("numba not installed")
    for s, pairs in zip(skels, found, strict=True):
        expected = _nearest_python(s, _queries(s, table), model, table)
        assert [(c, names[i]) for c, i in pairs] == expected


def test_numba_cache_moves_when_the_package_is_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only install still caches compiled code (under the temporary folder)."""
    import os

    from pipeline import jit

    monkeypatch.setenv("NUMBA_CACHE_DIR", "")  # unset for jit, restored afterwards
    monkeypatch.setattr(os, "access", lambda *_: False)
    jit._cache_dir()
    assert os.environ["NUMBA_CACHE_DIR"].endswith("vanban-numba-cache")


@pytest.mark.parametrize("limit", [1, 2])
def test_compiled_neighbour_search_equals_rapidfuzz(limit: int) -> None:
    """pipeline.editcost.within finds exactly the skeletons rapidfuzz finds."""
    import random

    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    from pipeline import decode, editcost
    from pipeline.candidates import skeleton_list

    if not decode.available():  # also imports numba, so `within` runs compiled
        pytest.skip("numba not installed")
    names = skeleton_list(load_model(None))
    rng = random.Random(limit)
    queries = ["", "a", "nghieng", "x" * 30, "quyét", "s6", "tnrong"]
    queries += ["".join(rng.choice("acdeghinoqrtuy6¢") for _ in range(rng.randint(1, 8)))]
    queries += [rng.choice(names) for _ in range(40)]
    for q in queries:
        slow = process.extract(
            q, names, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
        )
        assert sorted(editcost.within(q, names, limit) or []) == sorted(o for o, _, _ in slow)


def test_ready_neighbours_of_every_skeleton_equal_its_search() -> None:
    """The neighbour table nearest_many reads for a query that is itself a skeleton
    holds what searching that query finds (one edit up to two letters, else two)."""
    from pipeline import decode, editcost
    from pipeline.candidates import skeleton_list

    if not decode.available():
        pytest.skip("numba not installed")
    names = skeleton_list(load_model(None))
    ready = editcost._neighbours(names)
    assert ready is not None
    where, nb_off, nb_idx = ready
    for name in names:
        x = where[name]
        found = editcost.within_at(name, names, 1 if len(name) <= 2 else 2)
        assert found is not None
        assert nb_idx[nb_off[x] : nb_off[x + 1]].tolist() == found.tolist()


@needs_kernel
def test_compiled_candidates_equal_the_python_search() -> None:
    """Candidate generation with the compiled search and pricing (indices, letter-set
    filter, lexsort) picks the same nearby skeletons at the same costs as the reference
    (rapidfuzz and the Python edit cost), on random OCR-like tokens."""
    import random

    from pipeline.candidates import (
        _DIGIT_MAP,
        _nearest,
        _nearest_python,
        confusions,
        skeleton_list,
    )
    from pipeline.settings import DEFAULT_DICTIONARIES

    model = load_model(None)
    table = confusions(str(DEFAULT_DICTIONARIES / "restore" / "confusions.tsv"))
    names = skeleton_list(model)
    rng = random.Random(11)
    tokens = ["", "a", "tnrong", "nghieng", "quyét", "s6", "x" * 30]
    for _ in range(80):
        word = rng.choice(names)
        tokens.append(
            "".join(rng.choice("etdwiygo6r1v¢&") if rng.random() < 0.3 else c for c in word)
        )
    for tok in tokens:
        skel = skeleton(tok)
        queries = {skel.translate(_DIGIT_MAP), skel}
        fast = _nearest(skel, queries, model, table)
        assert fast is not None
        assert fast == _nearest_python(skel, queries, model, table), tok


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab_@.:/-hwtp ¢€\n\tĐđ1", max_size=40))
def test_fast_item_pattern_matches_like_the_full_one(text: str) -> None:
    """The word pattern chosen for a text finds exactly what the full _ITEM finds."""
    from pipeline.restore import _ITEM, _items

    assert _items(text) == [(m.lastgroup, m.start(), m.end()) for m in _ITEM.finditer(text)]
