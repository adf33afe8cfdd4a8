"""Syllable trigram language model for restoration: tokens, counts, Kneser-Ney, load/save.

The model scores lower-cased syllables with two syllables of context, smoothed by
interpolated Kneser-Ney and stored in back-off form (log-probabilities of seen n-grams
plus back-off weights) so that a score is at most three dictionary look-ups. Tokens that
are not syllables fall into a few classes (<num>, <sym>, <abbr>, <unk>) so numbers and
document symbols still give context ("số <num>", "ngày <num>"). The raw trigram counts
are kept beside the model (`<model>.counts`) so `adapt_model` can add a user's own clean
documents and re-estimate.
"""

from __future__ import annotations

import gc
import math
import pickle
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import ModelError
from pipeline.textutil import skeleton
from pipeline.vnsyllable import is_valid, restyle

if TYPE_CHECKING:
    from pipeline.lmtables import Tables

BOS = "<s>"
EOS = "</s>"
NUM = "<num>"
SYM = "<sym>"
ABBR = "<abbr>"
UNK = "<unk>"
ROM = "<rom>"  # a Roman numeral: "quý III", "Phần II", heading "IV."
SPECIALS = (BOS, EOS, NUM, SYM, ABBR, UNK, ROM)
SHIFT = 20  # bits per id in n-gram keys (vocabularies stay far below a million)
MASK = (1 << SHIFT) - 1
FORMAT = 2  # 2: the decoder's arrays (pipeline.lmtables.Tables) saved beside the dicts

# a word (letters/digits, possibly joined into a document symbol by - / . without spaces),
# or a sentence break
TOKEN_RE = re.compile(r"[^\W_]+(?:[-/.][^\W_]+)*|[.;:!?]+(?=\s|$)|\n\s*\n")


ABBR_PREFIX = "<a:"
MIN_ABBR = 3  # an abbreviation seen fewer times in training is only the <abbr> class


def abbr_token(token: str) -> str:
    """The LM token of one capital abbreviation, marks folded: 'HĐND' and 'HDND' -> '<a:hdnd>'.

    Frequent abbreviations keep their own token so that 'UBND tỉnh' and 'BHXH' give the
    context a bare class cannot; rare ones fall back to <abbr> (`Model.id`).
    """
    return ABBR_PREFIX + skeleton(token) + ">"


ROMAN = re.compile(r"^(?=[IVXL])M{0,3}(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})$")


def token_class(token: str) -> str:
    """The LM token of one text token (a lower-case syllable or a class)."""
    if ROMAN.match(token):
        return ROM
    if any(c.isdigit() for c in token):
        return SYM if any(c in "-/" for c in token) else NUM
    if any(c in "-/." for c in token):
        return SYM
    low = restyle(token.lower())
    if is_valid(low):
        return low
    if token.isupper() and len(token) > 1:
        return abbr_token(token)
    return UNK


def sentences(text: str) -> Iterator[list[str]]:
    """LM tokens of `text`, split into sentences at . ; : ! ? and blank lines."""
    current: list[str] = []
    for m in TOKEN_RE.finditer(text):
        tok = m.group(0)
        if not tok[0].isalnum():
            if current:
                yield current
                current = []
            continue
        current.append(token_class(tok))
    if current:
        yield current


Trigram = tuple[str, str, str]
_CASE_ITEM = re.compile(r"[^\W_]+|[^\w\s]")


def case_counts(texts: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Syllable -> (times capitalised, times lower case) inside a sentence.

    Only words that follow a word, a number or a comma on the same line count, so a
    capital there is a name or an institution ('Sở Y tế'), not the start of a sentence.
    """
    caps: Counter[str] = Counter()
    lows: Counter[str] = Counter()
    for text in texts:
        for line in text.splitlines():
            mid = False
            for m in _CASE_ITEM.finditer(line):
                tok = m.group(0)
                if not tok[0].isalnum():
                    mid = tok in ",)"
                    continue
                if mid and tok.isalpha() and not (tok.isupper() and len(tok) > 1):
                    low = restyle(tok.lower())
                    if is_valid(low):
                        (caps if tok[0].isupper() else lows)[low] += 1
                mid = True
    return {w: (caps[w], lows[w]) for w in sorted(caps.keys() | lows.keys())}


def merge_case_counts(
    base: dict[str, tuple[int, int]], extra: dict[str, tuple[int, int]]
) -> dict[str, tuple[int, int]]:
    merged = dict(base)
    for w, (c, n) in extra.items():
        c0, n0 = merged.get(w, (0, 0))
        merged[w] = (c0 + c, n0 + n)
    return merged


def count_trigrams(texts: Iterable[str]) -> Counter[Trigram]:
    """Trigram counts of texts, each sentence padded with <s> <s> ... </s>."""
    counts: Counter[Trigram] = Counter()
    for text in texts:
        for sent in sentences(text):
            padded = [BOS, BOS, *sent, EOS]
            counts.update(zip(padded, padded[1:], padded[2:], strict=False))
    return fold_rare_abbreviations(counts)


def fold_rare_abbreviations(counts: Counter[Trigram]) -> Counter[Trigram]:
    """Counts with the abbreviations seen fewer than MIN_ABBR times turned into <abbr>."""
    seen: Counter[str] = Counter()
    for (_, _, c), n in counts.items():
        if c.startswith(ABBR_PREFIX):
            seen[c] += n
    rare = {w for w, n in seen.items() if n < MIN_ABBR}
    if not rare:
        return counts
    folded: Counter[Trigram] = Counter()
    for tri, n in counts.items():
        if any(w in rare for w in tri):
            tri = (
                ABBR if tri[0] in rare else tri[0],
                ABBR if tri[1] in rare else tri[1],
                ABBR if tri[2] in rare else tri[2],
            )
        folded[tri] += n
    return folded


@dataclass(eq=False)
class Model:
    """A trigram model in back-off form; ids index `vocab`."""

    vocab: list[str]
    uni: list[float]  # log P1(w) by id
    bi: dict[int, float]  # (a<<SHIFT|b) -> log P2(b|a)
    bow1: dict[int, float]  # a -> log back-off weight
    tri: dict[int, float]  # (a<<2*SHIFT|b<<SHIFT|c) -> log P3(c|a,b)
    bow2: dict[int, float]  # (a<<SHIFT|b) -> log back-off weight
    meta: dict[str, object] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict, repr=False)
    counts: Counter[Trigram] | None = field(default=None, repr=False)  # kept for adapting
    packed: Tables | None = field(default=None, repr=False)  # the scores as arrays

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {w: i for i, w in enumerate(self.vocab)}

    def tables(self) -> Tables:
        """The scores as arrays for the compiled decoder (built once, saved with the model)."""
        if self.packed is None:
            from pipeline.lmtables import build_tables

            self.packed = build_tables(self.uni, self.bi, self.bow1, self.tri, self.bow2, SHIFT)
        return self.packed

    def id(self, word: str) -> int:
        """Id of an LM token (<abbr> for an unknown abbreviation, else <unk> when unknown)."""
        i = self.index.get(word)
        if i is None:
            return self.index[ABBR if word.startswith(ABBR_PREFIX) else UNK]
        return i

    def score(self, a: int, b: int, c: int) -> float:
        """log P(c | a, b)."""
        ab = (a << SHIFT) | b
        p = self.tri.get((ab << SHIFT) | c)
        if p is not None:
            return p
        back = self.bow2.get(ab, 0.0)
        p = self.bi.get((b << SHIFT) | c)
        if p is not None:
            return back + p
        return back + self.bow1.get(b, 0.0) + self.uni[c]


def _discounts(counts: Iterable[int]) -> tuple[float, float, float]:
    """Modified Kneser-Ney discounts (D1, D2, D3+) from the counts of counts."""
    hist = Counter(c for c in counts if c <= 4)
    n1, n2, n3, n4 = (hist.get(k, 0) for k in (1, 2, 3, 4))
    if min(n1, n2, n3, n4) == 0:
        return 0.5, 1.0, 1.5
    y = n1 / (n1 + 2 * n2)
    d1 = 1 - 2 * y * n2 / n1
    d2 = 2 - 3 * y * n3 / n2
    d3 = 3 - 4 * y * n4 / n3
    return max(0.1, d1), max(0.2, d2), max(0.3, d3)


def _d(ds: tuple[float, float, float], n: int) -> float:
    return ds[0] if n == 1 else ds[1] if n == 2 else ds[2]


def estimate(
    counts: Counter[Trigram],
    extra_vocab: Iterable[str] = (),
    unigram_prior: dict[str, float] | None = None,
    prior_weight: float = 0.3,
) -> Model:
    """Interpolated modified Kneser-Ney trigram model from trigram counts."""
    counts = Counter({k: n for k, n in counts.items() if n > 0})
    words = {w for tri in counts for w in tri} | set(extra_vocab) | set(SPECIALS)
    vocab = sorted(words - set(SPECIALS))
    vocab = list(SPECIALS) + vocab
    index = {w: i for i, w in enumerate(vocab)}
    if len(vocab) > MASK:
        raise ModelError(f"vocabulary too large: {len(vocab)}")

    # trigram level: raw counts; bigram level: continuation counts N1+(. b c)
    d3 = _discounts(counts.values())
    ctx2: Counter[tuple[str, str]] = Counter()
    mass2: defaultdict[tuple[str, str], float] = defaultdict(float)  # discounted mass
    cont2: Counter[tuple[str, str]] = Counter()
    for (a, b, c), n in counts.items():
        ctx2[(a, b)] += n
        mass2[(a, b)] += _d(d3, n)
        cont2[(b, c)] += 1
    d2 = _discounts(cont2.values())
    ctx1: Counter[str] = Counter()
    mass1: defaultdict[str, float] = defaultdict(float)
    cont1: Counter[str] = Counter()
    for (b, c), n in cont2.items():
        ctx1[b] += n
        mass1[b] += _d(d2, n)
        cont1[c] += 1
    total1 = sum(cont1.values())

    # unigram: continuation counts, mixed with a prior and a uniform floor
    n_vocab = len(vocab)
    uni: list[float] = []
    prior = unigram_prior or {}
    prior_total = sum(prior.values()) or 1.0
    w_prior = prior_weight if prior else 0.0
    for w in vocab:
        p = (1 - w_prior - 0.01) * cont1.get(w, 0) / total1
        p += w_prior * prior.get(w, 0.0) / prior_total + 0.01 / n_vocab
        uni.append(math.log(p))

    p2: dict[tuple[str, str], float] = {}
    bi: dict[int, float] = {}
    bow1: dict[int, float] = {}
    for b, total in ctx1.items():
        bow1[index[b]] = math.log(mass1[b] / total)
    for (b, c), n in cont2.items():
        lower = math.exp(uni[index[c]])
        total = ctx1[b]
        p = (n - _d(d2, n)) / total + mass1[b] / total * lower
        p2[(b, c)] = p
        bi[(index[b] << SHIFT) | index[c]] = math.log(p)

    tri: dict[int, float] = {}
    bow2: dict[int, float] = {}
    for (a, b), total in ctx2.items():
        bow2[(index[a] << SHIFT) | index[b]] = math.log(mass2[(a, b)] / total)
    for (a, b, c), n in counts.items():
        total = ctx2[(a, b)]
        lower = p2[(b, c)]
        p = (n - _d(d3, n)) / total + mass2[(a, b)] / total * lower
        key = (((index[a] << SHIFT) | index[b]) << SHIFT) | index[c]
        tri[key] = math.log(p)
    meta: dict[str, object] = {
        "format": FORMAT,
        "trigrams": len(tri),
        "bigrams": len(bi),
        "tokens": sum(counts.values()),
        "d3": d3,
        "d2": d2,
    }
    return Model(vocab, uni, bi, bow1, tri, bow2, meta, index, counts)


# ------------------------------------------------------------------ persistence


def save(model: Model, path: Path) -> None:
    """Write the model (and its counts, when it has them, beside it as `<path>.counts`)."""
    counts = model.counts
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "format": FORMAT,
        "vocab": model.vocab,
        "uni": model.uni,
        "bi": model.bi,
        "bow1": model.bow1,
        "tri": model.tri,
        "bow2": model.bow2,
        "meta": model.meta,
        "tables": model.tables().state(),
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    if counts is not None:
        ctmp = counts_path(path).with_name(counts_path(path).name + ".tmp")
        with ctmp.open("wb") as fh:
            pickle.dump(dict(counts), fh, protocol=pickle.HIGHEST_PROTOCOL)
        ctmp.replace(counts_path(path))


def counts_path(path: Path) -> Path:
    return path.with_name(path.name + ".counts")


_CACHE: dict[tuple[str, float], Model] = {}


def load(path: Path) -> Model:
    """Read a model written by `save` (cached per path and modification time)."""
    try:
        key = (str(path.resolve()), path.stat().st_mtime)
    except OSError as exc:
        raise ModelError(f"cannot read language model {path}: {exc}") from exc
    if key in _CACHE:
        return _CACHE[key]
    try:
        with path.open("rb") as fh:
            state = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        raise ModelError(f"cannot read language model {path}: {exc}") from exc
    if not isinstance(state, dict) or state.get("format") not in (1, FORMAT):
        raise ModelError(f"{path} is not a vanban language model (format {FORMAT})")
    from pipeline.lmtables import Tables

    model = Model(
        state["vocab"],
        state["uni"],
        state["bi"],
        state["bow1"],
        state["tri"],
        state["bow2"],
        state["meta"],
        packed=Tables.from_state(state["tables"]) if "tables" in state else None,
    )
    if len(_CACHE) >= 2:  # a rewritten or adapted model replaces the oldest one
        del _CACHE[next(iter(_CACHE))]
    _CACHE[key] = model
    # the model lives as long as the process: keep its objects out of the collector's
    # full passes, which otherwise cost ~50 ms each during restoration
    gc.collect()
    gc.freeze()
    return model


def load_counts(path: Path) -> Counter[Trigram]:
    """The trigram counts saved beside a model."""
    cpath = counts_path(path)
    try:
        with cpath.open("rb") as fh:
            return Counter(pickle.load(fh))
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        raise ModelError(f"model {path} has no readable counts ({cpath}): {exc}") from exc


# ------------------------------------------------------------------ adaptation

ADAPT_WEIGHT = 1  # an in-domain sentence counts once: repeating counts distorts the KN discounts


def adapt_counts(
    base: Counter[Trigram], texts: Iterable[str], weight: int = ADAPT_WEIGHT
) -> Counter[Trigram]:
    """Base counts plus `weight` times the counts of `texts`."""
    extra = count_trigrams(texts)
    merged = Counter(base)
    for k, v in extra.items():
        merged[k] += weight * v
    return merged


def adapt_model(texts: Iterable[str], base: Path | None = None) -> Model:
    """A model re-estimated from the base model's counts plus the user's clean `texts`.

    Only texts that already carry their marks should be given (see `has_full_marks`).
    """
    from pipeline.lm_build import default_model_path, prior_and_vocab

    base_path = base if base is not None else default_model_path()
    texts = list(texts)
    counts = adapt_counts(load_counts(base_path), texts)
    prior, vocab = prior_and_vocab()
    model = estimate(counts, vocab, prior)
    base_case = load(base_path).meta.get("case", {})
    if isinstance(base_case, dict):
        model.meta["case"] = merge_case_counts(base_case, case_counts(texts))
    model.meta["adapted_from"] = str(base_path)
    return model


def has_full_marks(text: str, threshold: float = 0.3, min_words: int = 20) -> bool:
    """Whether a text looks like Vietnamese written with its marks (fit to adapt on)."""
    words = [w for w in re.findall(r"[^\W\d_]+", text) if w.islower() or w.istitle()]
    if len(words) < min_words:
        return False
    from pipeline.vnsyllable import has_marks

    marked = sum(1 for w in words if has_marks(w))
    valid = sum(1 for w in words if is_valid(w.lower()))
    return marked / len(words) >= threshold and valid / len(words) >= 0.9


def adapt_on_files(files: Iterable[Path], out: Path, base: Path | None = None) -> tuple[int, int]:
    """Adapt on the clean (already marked) text files among `files`; write the model to `out`.

    Returns (documents used, documents seen). With no clean document the base model is
    copied unchanged, so `out` always exists afterwards.
    """
    texts: list[str] = []
    seen = 0
    for path in files:
        if path.suffix.lower() != ".txt" or ".ocr-" in path.name:
            continue  # OCR copies (<stem>.ocr-eng.txt) are not clean text, even with marks
        seen += 1
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if has_full_marks(text):
            texts.append(text)
    model = adapt_model(texts, base)
    save(model, out)
    return len(texts), seen
