"""Candidates for restoration: which syllables a token may stand for, at what cost.

Resources (the model, its skeleton index, the OCR confusion table), the detection of
whether a text lacks its marks, protected tokens, and the candidate sets: the syllables
with the token's skeleton, plus, for OCR text, those reachable through the noisy
channel of dictionaries/restore/confusions.tsv. Split from pipeline.restore, which
decodes the lattice these candidates make.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.editcost import edit_costs, nearest_at, nearest_many, within
from pipeline.errors import ModelError
from pipeline.lm import ABBR, NUM, ROM, ROMAN, SYM, UNK, Model, load
from pipeline.textutil import skeleton
from pipeline.vnsyllable import TONED, is_valid, parse

CHANNEL_WEIGHT = 10.0  # log-probability units per unit of channel cost
KEEP_COST = 2.0  # cost of keeping a token the model does not know as it is
MARK_PENALTY = 0.3  # the OCR printed a mark but the candidate has none
MAX_CANDIDATES = 16
PRUNE = 6.0  # candidates this far (log-prob) below a token's best one are dropped
RANK_WEIGHT = 6.0  # channel cost against unigram log-probability when ranking candidates
CASE_WEIGHT = 0.5  # weight of the case evidence (log-probability units)
CASE_PRIOR = 4.0  # pseudo-counts pulling a word's capital rate towards the overall one
_ROMAN_OCR = re.compile(r"^[IVX][IVX1l]*$")
LETTERS = re.compile(r"[^\W\d_]")
# Latin-1 marked vowels an OCR engine without Vietnamese data can print
_LATIN1_MARKED = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")


# ------------------------------------------------------------------ resources


def load_model(path: str | None) -> Model:
    """The model at `path` (default: the bundled one); `lm.load` caches it by file time."""
    from pipeline.lm_build import default_model_path

    model_path = Path(path) if path else default_model_path()
    if not model_path.exists():
        raise ModelError(
            f"language model {model_path} is missing; build it with `python -m pipeline.lm_build`"
        )
    return load(model_path)


@lru_cache(maxsize=4)
def skeleton_index(model: Model) -> dict[str, list[str]]:
    """Skeleton -> the model's syllables with that skeleton, most frequent first."""
    index: dict[str, list[str]] = {}
    for word in model.vocab:
        if word.startswith("<") or not is_valid(word):
            continue
        index.setdefault(skeleton(word), []).append(word)
    for words in index.values():
        words.sort(key=lambda w: -model.uni[model.index[w]])
    return index


@lru_cache(maxsize=4)
def skeleton_list(model: Model) -> list[str]:
    return list(skeleton_index(model))


@lru_cache(maxsize=1)
def foreign_words() -> frozenset[str]:
    """Common English words no syllable spells (dictionaries/restore/foreign_words.txt)."""
    from pipeline.lm_build import FOREIGN

    if not FOREIGN.exists():
        return frozenset()
    return frozenset(FOREIGN.read_text(encoding="utf-8").split())


@lru_cache(maxsize=1)
def confusions(path: str) -> dict[str, list[tuple[str, float]]]:
    """OCR string -> [(true string, cost)] from the confusion table."""
    table: dict[str, list[tuple[str, float]]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        ocr, true, cost = line.split("\t")
        table.setdefault(ocr, []).append((true, float(cost)))
    return table


# ------------------------------------------------------------------ detection


def _marks_profile(
    words: dict[str, int], known: dict[str, list[str]]
) -> tuple[float, float, float]:
    """(Vietnamese-only marked share, Latin-1 marked share, unknown-skeleton share) of
    words, given as word -> how often it occurs (each distinct word is looked at once)."""
    n = sum(words.values())
    if not n:
        return 0.0, 0.0, 0.0
    vi = lat = bad = 0
    for w, times in words.items():
        low = w.lower()
        if low.isascii():  # no mark at all, and its own skeleton: the common case first
            if low not in known:
                bad += times
            continue
        if any(c in TONED or c == "đ" for c in low if c not in _LATIN1_MARKED and ord(c) > 127):
            vi += times
        elif any(c in _LATIN1_MARKED for c in w):
            lat += times
        if skeleton(low) not in known:
            bad += times
    return vi / n, lat / n, bad / n


def detect_mode(text: str, model: Model | None = None) -> str:
    """'clean', 'stripped' or 'ocr' for a text (see module docstring).

    Clean Vietnamese has a large share of words with marks only Vietnamese uses (ư, ơ, ă,
    đ, hook, tilde, dot below); OCR without Vietnamese data prints at most Latin-1 marks
    (é, ó...), digits inside words and skeletons no syllable has; stripped text has none.
    Capital words no syllable spells (abbreviations) do not count.
    """
    known = skeleton_index(model or load_model(None))
    words = {
        w: times
        for w, times in Counter(_ALNUM.findall(text)).items()
        if LETTERS.search(w) and not (w.isupper() and len(w) > 1 and skeleton(w) not in known)
    }
    vi, lat, bad = _marks_profile(words, known)
    if vi >= 0.3 or (vi >= 0.15 and bad < 0.15):
        return "clean"
    digit_words = sum(
        times  # no character is both a letter and a digit: letter-only words are skipped
        for w, times in words.items()
        if not w.isalpha() and any(c.isdigit() for c in w)
    )
    if lat >= 0.02 or bad >= 0.06 or digit_words >= max(2, 0.01 * sum(words.values())):
        return "ocr"
    return "stripped"


_ALNUM = re.compile(r"[^\W_]+")


# ------------------------------------------------------------------ candidates


@lru_cache(maxsize=100_000)
def is_protected(token: str, heading: bool, mode: str) -> str | None:
    """The LM class of a token that must stay as it is, else None."""
    if ROMAN.match(token) or (mode == "ocr" and _ROMAN_OCR.match(token) and len(token) > 1):
        return ROM
    if any(c in "-/." for c in token):
        return SYM
    letters = LETTERS.findall(token)
    if not letters:
        return NUM
    has_digit = any(c.isdigit() for c in token)
    if has_digit and (mode != "ocr" or len(token) > 5):
        return NUM
    caps = "".join(letters)
    if mode == "ocr" and token.lower() in foreign_words():
        return UNK  # 'email', 'online', 'video' stay as printed
    if len(caps) > 1 and caps.isupper() and heading and not syllable_shaped(token):
        return ABBR  # UBND, BHXH inside a heading
    # an all-capitals word outside a heading is an abbreviation (UBND, HIS, AI) unless
    # OCR text shows a longer one that is a syllable ("HOI" read for "Hội")
    if (
        len(caps) > 1
        and caps.isupper()
        and not heading
        and not (mode == "ocr" and syllable_shaped(token) and not _known_code(token))
    ):
        return ABBR
    return None


def _known_code(token: str) -> bool:
    """A capital code of the rule files (KH, CP, HĐND) as printed, or with Đ written D."""
    from pipeline.codefix import code_table, plain
    from pipeline.settings import DEFAULT_DICTIONARIES

    table = code_table(DEFAULT_DICTIONARIES)
    return token in table.known or plain(token) in table.plains


def syllable_shaped(token: str) -> bool:
    """Whether a token's skeleton (digits read as letters) is some syllable's skeleton."""
    return parse(skeleton(token).translate(_DIGIT_MAP)) is not None


MAX_EDIT = 1.6  # OCR candidates cost at most this much


def _ocr_rules(
    ocr: str, table: dict[str, list[tuple[str, float]]]
) -> list[list[tuple[int, str, float]]]:
    """Per OCR position: the table edits that start there, as (length, true, cost)."""
    rules: list[list[tuple[int, str, float]]] = []
    for i in range(len(ocr) + 1):
        here: list[tuple[int, str, float]] = []
        for k in (1, 2):
            src = ocr[i : i + k]
            if len(src) == k:
                here.extend((k, t, cost) for t, cost in table.get(src, ()))
        rules.append(here)
    return rules


def _edit_cost(
    ocr: str,
    true: str,
    rules: list[list[tuple[int, str, float]]],
    inserts: dict[str, float],
) -> float:
    """Weighted edit distance from an OCR skeleton to a syllable skeleton (capped)."""
    n, m = len(ocr), len(true)
    inf = 99.0
    dist = [[inf] * (m + 1) for _ in range(n + 1)]
    dist[0][0] = 0.0
    for i in range(n + 1):
        row = dist[i]
        nxt = dist[i + 1] if i < n else None
        here = rules[i]
        for j in range(m + 1):
            d = row[j]
            if d > MAX_EDIT:
                continue
            if nxt is not None:
                if j < m:
                    step = d if ocr[i] == true[j] else d + 1.0
                    if step < nxt[j + 1]:
                        nxt[j + 1] = step
                if d + 1.0 < nxt[j]:
                    nxt[j] = d + 1.0
            if j < m:
                c = d + inserts.get(true[j], 1.0)
                if c < row[j + 1]:
                    row[j + 1] = c
            for k, t, cost in here:
                if true.startswith(t, j) and d + cost < dist[i + k][j + len(t)]:
                    dist[i + k][j + len(t)] = d + cost
    return dist[n][m]


_DIGIT_MAP = str.maketrans(
    {"6": "o", "0": "o", "9": "o", "1": "l", "¢": "e", "&": "e", "€": "e", "@": "a"}
)


@lru_cache(maxsize=4)
def _skeleton_words(model: Model) -> dict[str, tuple[tuple[str, float, bool], ...]]:
    """Skeleton -> (syllable, its unigram log-probability, whether it is plain ASCII) of
    the syllables with that skeleton, most frequent first (`skeleton_index`)."""
    return {
        skel: tuple((w, model.uni[model.id(w)], w.isascii()) for w in words)
        for skel, words in skeleton_index(model).items()
    }


@lru_cache(maxsize=4)
def _skeleton_order(model: Model) -> tuple[dict[str, int], np.ndarray]:
    """Each skeleton's index in `skeleton_list`, and per index its rank in string order."""
    names = skeleton_list(model)
    rank = np.empty(len(names), dtype=np.int64)
    rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    return {n: i for i, n in enumerate(names)}, rank


def _nearest(
    skel: str, queries: set[str], model: Model, table: dict[str, list[tuple[str, float]]]
) -> list[tuple[float, str]] | None:
    """The (cost, skeleton) of the ten cheapest skeletons within two plain edits of a
    query, cheapest first, ties in string order, found and priced in one call of compiled
    code (pipeline.editcost); None without it."""
    names = skeleton_list(model)
    where, rank = _skeleton_order(model)
    inserts = {t: c for t, c in table.get("", ())}
    found = nearest_at(
        skel,
        sorted(queries),
        names,
        rank,
        where.get(skel, -1),
        _ocr_rules(skel, table),
        inserts,
        MAX_EDIT,
        10,
    )
    return None if found is None else [(c, names[i]) for c, i in found]


@lru_cache(maxsize=200_000)
def candidates(
    token_low: str, mode: str, model: Model, table_path: str
) -> tuple[tuple[str, float], ...]:
    """Lower-case candidate syllables of a lower-case token with their channel cost."""
    words = _skeleton_words(model)
    skel = skeleton(token_low)
    # evidence of the marks that survived OCR: a mark seen but none in a candidate costs
    # MARK_PENALTY. Which mark survived says little (Tesseract without Vietnamese data
    # prints é for ế, ề, ệ and even ở), so only the presence of some mark counts.
    marked = mode == "ocr" and not _LATIN1_MARKED.isdisjoint(token_low)
    # (rank key, word, channel cost): ranked by unigram log-probability less the channel
    # cost. A word has one skeleton, so the words of different skeletons never meet.
    ranked = [
        (RANK_WEIGHT * c - uni, word, c)
        for word, uni, plain in words.get(skel, ())
        for c in (MARK_PENALTY if marked and plain else 0.0,)
    ]
    if mode == "ocr":
        near = _near_cache(model, table_path)
        scored = near.get(skel)
        if scored is None:
            table = confusions(table_path)
            queries = _queries(skel, table)
            found = _nearest(skel, queries, model, table)
            if found is None:
                scored = _nearest_python(skel, queries, model, table)
            else:
                scored = found
                _keep(near, skel, found)
        top = _skeleton_top(model)
        for cost, other in scored:
            for word, uni, plain in top[other]:
                c = cost + MARK_PENALTY if marked and plain else cost
                ranked.append((RANK_WEIGHT * c - uni, word, c))
    if not ranked:
        return ()
    ranked.sort()
    # drop the hopeless ones
    floor = ranked[0][0] + PRUNE
    return tuple((w, c) for v, w, c in ranked[:MAX_CANDIDATES] if v <= floor)


@lru_cache(maxsize=4)
def _skeleton_top(model: Model) -> dict[str, tuple[tuple[str, float, bool], ...]]:
    """`_skeleton_words` cut to the six likeliest syllables: those a neighbour brings."""
    return {skel: words[:6] for skel, words in _skeleton_words(model).items()}


def _queries(skel: str, table: dict[str, list[tuple[str, float]]]) -> set[str]:
    """The strings a skeleton's neighbours are searched from: the skeleton with digits
    read as letters, and, since two-letter confusions (ir -> u, we -> uo) cost two plain
    edits, the same with each of them undone as well."""
    query = skel.translate(_DIGIT_MAP)
    queries = {query}
    for src, targets in table.items():
        if len(src) == 2 and src in query:
            for t, _ in targets:
                queries.add(query.replace(src, t, 1))
    return queries


@lru_cache(maxsize=4)
def _near_cache(model: Model, table_path: str) -> dict[str, list[tuple[float, str]]]:
    """Skeleton -> its `_nearest` (a pure function of the skeleton for one model and
    table), filled a token at a time by `candidates` or a text at a time by `prefetch`."""
    return {}


def _keep(
    near: dict[str, list[tuple[float, str]]], skel: str, found: list[tuple[float, str]]
) -> None:
    if len(near) >= 200_000:
        near.clear()
    near[skel] = found


def prefetch(lows: Iterable[str], model: Model, table_path: str) -> None:
    """Search the neighbours of the new skeletons of many lower-case OCR tokens in one
    compiled call (`editcost.nearest_many`), so that `candidates` finds them ready: a
    call per token costs more in Python than the search. Does nothing without numba."""
    near = _near_cache(model, table_path)
    table = confusions(table_path)
    where, rank = _skeleton_order(model)
    jobs: dict[str, tuple[str, list[str], int]] = {}
    for low in lows:
        skel = skeleton(low)
        if skel not in near and skel not in jobs:
            jobs[skel] = (skel, sorted(_queries(skel, table)), where.get(skel, -1))
    if not jobs:
        return
    names = skeleton_list(model)
    found = nearest_many(list(jobs.values()), names, rank, table, MAX_EDIT, 10)
    if found is None:
        return
    for skel, pairs in zip(jobs, found, strict=True):
        _keep(near, skel, [(c, names[i]) for c, i in pairs])


def _nearest_python(
    skel: str, queries: set[str], model: Model, table: dict[str, list[tuple[str, float]]]
) -> list[tuple[float, str]]:
    """As `_nearest`, with rapidfuzz and the Python edit cost (no numba, or a one-off
    small text that does not pay for starting it)."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    names = skeleton_list(model)
    near: set[str] = set()
    for q in queries:
        limit = 1 if len(q) <= 2 else 2
        found = within(q, names, limit)  # compiled twin (pipeline.editcost), or None
        if found is None:
            found = [
                other
                for other, _, _ in process.extract(
                    q, names, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
                )
            ]
        near.update(found)
    rules = _ocr_rules(skel, table)
    inserts = {t: c for t, c in table.get("", ())}
    others = [other for other in sorted(near) if other != skel]
    # the compiled twin of _edit_cost (pipeline.editcost) when numba is there
    costs = edit_costs(skel, others, rules, inserts, MAX_EDIT)
    if costs is None:
        costs = [_edit_cost(skel, other, rules, inserts) for other in others]
    scored = [(c, o) for c, o in zip(costs, others, strict=True) if c <= MAX_EDIT]
    scored.sort()
    return scored[:10]


@lru_cache(maxsize=4)
def case_table(model: Model) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    """Syllable -> (log P(capitalised | word), log P(lower | word)) inside a sentence,
    smoothed towards the overall rate; and the pair for a word never seen."""
    raw = model.meta.get("case")
    counts: dict[str, tuple[int, int]] = raw if isinstance(raw, dict) else {}
    caps = sum(c for c, _ in counts.values())
    total = sum(c + n for c, n in counts.values())
    rate = (caps + 1) / (total + 2)
    table = {}
    for w, (c, n) in counts.items():
        p = (c + CASE_PRIOR * rate) / (c + n + CASE_PRIOR)
        table[w] = (math.log(p), math.log(1 - p))
    return table, (math.log(rate), math.log(1 - rate))


@lru_cache(maxsize=200_000)
def choices(
    low: str, mode: str, model: Model, table_path: str, case: int = 2
) -> tuple[tuple[tuple[str, float], ...], tuple[int, ...], tuple[float, ...]] | None:
    """Candidates of a lower-case token with their model ids and weighted costs.

    `case` is 1 for a capitalised word inside a sentence, 0 for a lower-case one there,
    2 where case says nothing (sentence start, capitals): inside a sentence 'So' is
    more likely 'Sở' and 'so' more likely 'số'.
    """
    cands = candidates(low, mode, model, table_path)
    if not cands:
        return None
    words = [w for w, _ in cands]
    if low not in words:
        # keeping a word the model does not know is allowed, at a price
        cands = (*cands, (low, KEEP_COST))
        words.append(low)
    index = model.index
    ids = tuple([index[w] if w in index else model.id(w) for w in words])
    costs = [CHANNEL_WEIGHT * c for _, c in cands]
    if case != 2 and CASE_WEIGHT > 0:
        table, unseen = case_table(model)
        lps = [table.get(w, unseen)[1 - case] for w in words]
        top = max(lps)
        costs = [c + CASE_WEIGHT * (top - lp) for c, lp in zip(costs, lps, strict=True)]
    return cands, ids, tuple(costs)
