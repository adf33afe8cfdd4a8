"""Syllable trigram model: tokens, Kneser-Ney estimates, persistence, adaptation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import lm
from pipeline.errors import ModelError
from pipeline.lm_build import default_model_path

TEXTS = [
    "Căn cứ Nghị quyết số 57-NQ/TW của Bộ Chính trị. Căn cứ Luật Tổ chức Chính phủ.",
    "Bộ Y tế ban hành Kế hoạch số 1138/KH-BYT ngày 19/8/2025. Sở Y tế chủ trì.",
    "Ủy ban nhân dân tỉnh chỉ đạo Sở Y tế phối hợp với UBND huyện triển khai kế hoạch.",
]


@pytest.fixture(scope="module")
def small() -> lm.Model:
    return lm.estimate(lm.count_trigrams(TEXTS), ["cơ", "có", "cờ"])


@pytest.mark.parametrize(
    ("token", "cls"),
    [
        ("Nghị", "nghị"),
        ("HOÀ", "hòa"),
        ("57-NQ/TW", lm.SYM),
        ("2025", lm.NUM),
        ("19/8/2025", lm.SYM),
        ("UBND", "<a:ubnd>"),
        ("HĐND", "<a:hdnd>"),
        ("email", lm.UNK),
        ("s6", lm.NUM),
    ],
)
def test_token_class(token: str, cls: str) -> None:
    assert lm.token_class(token) == cls


def test_sentences_split_on_stops() -> None:
    sents = list(lm.sentences("Căn cứ Luật số 5. Bộ Y tế; xyz\n\nKế hoạch"))
    assert sents == [
        ["căn", "cứ", "luật", "số", lm.NUM],
        ["bộ", "y", "tế"],
        [lm.UNK],
        ["kế", "hoạch"],
    ]


@pytest.mark.parametrize("context", [("<s>", "<s>"), ("căn", "cứ"), ("sở", "y"), ("xyz", "bộ")])
def test_distribution_sums_to_one(small: lm.Model, context: tuple[str, str]) -> None:
    a, b = (small.id(w) for w in context)
    total = sum(math.exp(small.score(a, b, c)) for c in range(len(small.vocab)))
    assert total == pytest.approx(1.0, abs=1e-6)


def test_seen_trigram_beats_unseen(small: lm.Model) -> None:
    i = small.id
    assert small.score(i("sở"), i("y"), i("tế")) > small.score(i("sở"), i("y"), i("cơ"))
    assert small.score(i("căn"), i("cứ"), i("nghị")) > math.log(0.1)


def test_save_load_round_trip(small: lm.Model, tmp_path: Path) -> None:
    small.counts = lm.count_trigrams(TEXTS)
    path = tmp_path / "m.pkl"
    lm.save(small, path)
    back = lm.load(path)
    assert back.vocab == small.vocab and back.tri == small.tri
    assert lm.load_counts(path) == small.counts


def test_load_rejects_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError):
        lm.load(bad)
    with pytest.raises(ModelError):
        lm.load(tmp_path / "missing.pkl")


def test_adapt_raises_in_domain_probability(small: lm.Model, tmp_path: Path) -> None:
    small.counts = lm.count_trigrams(TEXTS)
    base = tmp_path / "base.pkl"
    lm.save(small, base)
    domain = ["Trung tâm Kiểm soát bệnh tật tỉnh chủ trì. " * 3]
    adapted = lm.adapt_model(domain, base)
    i, j = adapted.id, small.id
    assert adapted.score(i("kiểm"), i("soát"), i("bệnh")) > small.score(
        j("kiểm"), j("soát"), j("bệnh")
    )
    assert adapted.counts is not None and adapted.counts[("kiểm", "soát", "bệnh")] >= 3


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        (
            "Căn cứ Nghị quyết số 57 của Bộ Chính trị về đột phá phát triển khoa học, công nghệ, "
            "đổi mới sáng tạo và chuyển đổi số quốc gia; Bộ Y tế ban hành kế hoạch này.",
            True,
        ),
        (
            "Can cu Nghi quyet so 57 cua Bo Chinh tri ve dot pha phat trien khoa hoc, cong nghe, "
            "doi moi sang tao va chuyen doi so quoc gia; Bo Y te ban hanh ke hoach nay.",
            False,
        ),
        ("ngắn", False),
    ],
)
def test_has_full_marks(text: str, clean: bool) -> None:
    assert lm.has_full_marks(text) is clean


def test_default_model_loads() -> None:
    """The model `make` builds loads (its load time is printed by benchmarks/restore.py,
    not asserted here: timings belong in benchmarks)."""
    path = default_model_path()
    if not path.exists():
        pytest.skip("default model not built (python -m pipeline.lm_build)")
    lm._CACHE.clear()
    model = lm.load(path)
    assert len(model.vocab) > 5000


def test_rare_abbreviations_fold_into_the_class() -> None:
    counts = lm.count_trigrams(["UBND tỉnh. UBND huyện. UBND xã. Theo XYZ huyện."])
    words = {w for tri in counts for w in tri}
    assert "<a:ubnd>" in words  # seen MIN_ABBR times: its own token
    assert "<a:xyz>" not in words and lm.ABBR in words  # seen once: the class


def test_unknown_abbreviation_id_is_the_class(small: lm.Model) -> None:
    assert small.id("<a:qwerty>") == small.id(lm.ABBR)
    assert small.id("không-có") == small.id(lm.UNK)


def test_case_counts_skip_sentence_starts() -> None:
    counts = lm.case_counts(["Sở Y tế báo cáo. Cơ sở y tế, Sở Tư pháp\nSở Nội vụ"])
    assert counts["sở"] == (1, 1)  # after a comma: counted; at a line start: not
    assert "cơ" not in counts


def test_abbreviation_windows() -> None:
    from pipeline.lm_build import abbreviated

    text = "Theo quyết định của Ủy ban nhân dân tỉnh Hà Nam về việc này."
    (out,) = abbreviated(iter([text]))
    assert out == "định của UBND tỉnh Hà"


# ------------------------------------------------------------------ arrays for the kernel


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.integers(0, (1 << 60) - 1), st.floats(-50.0, 0.0, allow_nan=False), max_size=300
    ),
    st.lists(st.integers(0, (1 << 60) - 1), max_size=30),
)
def test_packed_table_finds_every_key_and_nothing_else(
    table: dict[int, float], probes: list[int]
) -> None:
    from pipeline.lmtables import lookup, pack

    packed = pack(table)
    assert all(lookup(packed, k) == v for k, v in table.items())
    assert all(lookup(packed, k) == table.get(k) for k in probes)


def test_tables_saved_with_the_model(small: lm.Model, tmp_path: Path) -> None:
    """The arrays travel in the model file, equal to those built from the dicts."""
    from pipeline.lmtables import lookup

    path = tmp_path / "m.pkl"
    lm.save(small, path)
    lm._CACHE.clear()
    back = lm.load(path)
    assert back.packed is not None
    for name in ("bi", "bow2", "tri"):
        table = getattr(back.packed, name)
        assert all(lookup(table, k) == v for k, v in getattr(small, name).items())
    assert np.array_equal(back.packed.uni, np.asarray(small.uni))


def test_context_filters_let_every_trigram_through(small: lm.Model) -> None:
    """The filter of a context has the bit of every word that follows it in a trigram,
    so skipping a look-up on a clear bit never loses a trigram."""
    from pipeline.decode import _follow_bit
    from pipeline.lmtables import home

    bow2 = small.tables().bow2
    mask = (1 << bow2.bits) - 1
    for key in small.tri:
        ctx, c = key >> lm.SHIFT, key & lm.MASK
        h = int(home(np.array([ctx], dtype=np.int64), bow2.bits)[0])
        while int(bow2.slots[h, 0]) != ctx:
            assert int(bow2.slots[h, 0]) != -1, "a trigram context without back-off weight"
            h = (h + 1) & mask
        assert (int(bow2.slots[h, 2]) >> _follow_bit(c)) & 1


def test_format_1_files_still_load(small: lm.Model, tmp_path: Path) -> None:
    """A model written before the arrays existed loads; its arrays are built on demand."""
    import pickle

    path = tmp_path / "old.pkl"
    state = {"format": 1, "vocab": small.vocab, "uni": small.uni, "bi": small.bi}
    state |= {"bow1": small.bow1, "tri": small.tri, "bow2": small.bow2, "meta": small.meta}
    path.write_bytes(pickle.dumps(state))
    back = lm.load(path)
    assert back.packed is None and back.tables().tri.bits >= 4


def test_default_model_loads_within_a_second() -> None:
    """Requirement: the default model loads in under a second (CPU time of the load, so
    a busy machine does not fail it)."""
    import time

    path = default_model_path()
    if not path.exists():
        pytest.skip("default model not built (python -m pipeline.lm_build)")
    lm._CACHE.clear()
    start = time.process_time()
    model = lm.load(path)
    model.tables()
    assert time.process_time() - start < 1.0


@settings(max_examples=50, deadline=None)
@given(
    st.sets(st.integers(0, (1 << 60) - 1), max_size=400),
    st.lists(st.integers(0, (1 << 60) - 1), max_size=50),
)
def test_bloom_filter_holds_every_key(keys: set[int], probes: list[int]) -> None:
    """A Bloom filter never rules out a key it was built from, and the decoder's
    compiled look-up (`decode._maybe`, run here as Python) answers as `lmtables.maybe`."""
    from pipeline import decode
    from pipeline.lmtables import bloom_filter, maybe

    bloom = bloom_filter(np.fromiter(keys, dtype=np.int64, count=len(keys)))
    assert all(maybe(bloom, k) for k in keys)
    check = getattr(decode._maybe, "py_func", decode._maybe)
    with np.errstate(over="ignore"):
        for k in [*keys, *probes]:
            assert bool(check(bloom[0], bloom[1], k)) == maybe(bloom, k)


def test_bloom_filters_of_the_model_rule_out_most_absent_keys(small: lm.Model) -> None:
    """The tables' filters hold all their keys and let few absent ones through."""
    from pipeline.lmtables import maybe

    tables = small.tables()
    rng = np.random.default_rng(3)
    for name in ("bi", "bow2", "tri"):
        table = getattr(tables, name)
        assert all(maybe(table.bloom, k) for k in getattr(small, name))
    bloom = tables.tri.bloom
    absent = [int(k) for k in rng.integers(0, 1 << 59, 2000) if int(k) not in small.tri]
    assert sum(maybe(bloom, k) for k in absent) < 0.1 * len(absent)
