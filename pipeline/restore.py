"""Stage restore: put back Vietnamese marks and undo OCR letter confusions.

Per document (and per line inside a clean document) it decides whether the text lacks
its marks: clean text passes through untouched. Otherwise every word gets candidates —
the syllables with the same skeleton, plus, for text read by an OCR engine without
Vietnamese data, syllables reachable through the noisy channel of
dictionaries/restore/confusions.tsv — and a syllable trigram model (pipeline.lm) picks the
most likely sequence by Viterbi search. Document symbols, numbers, Roman numerals,
e-mails, URLs and capital abbreviations are never turned into words. Case, punctuation,
spacing and line breaks are kept; each changed token is recorded as a TokenChange.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.errors import ModelError
from pipeline.lm import (
    ABBR,
    BOS,
    EOS,
    NUM,
    SHIFT,
    SYM,
    UNK,
    Model,
    abbr_token,
    load,
    token_class,
)
from pipeline.models import Document, TokenChange
from pipeline.registry import stage
from pipeline.settings import Settings
from pipeline.textutil import AlignedBuilder, skeleton
from pipeline.vnsyllable import TONED, is_valid, parse, restyle

CHANNEL_WEIGHT = 10.0  # log-probability units per unit of channel cost
KEEP_COST = 2.0  # cost of keeping a token the model does not know as it is
MARK_PENALTY = 0.3  # the OCR printed a mark but the candidate has none
MAX_CANDIDATES = 12
PRUNE = 4.0  # candidates this far (log-prob) below a token's best one are dropped
RANK_WEIGHT = 6.0  # channel cost against unigram log-probability when ranking candidates
BEAM = 10
CASE_WEIGHT = 0.5  # weight of the case evidence (log-probability units)
CASE_PRIOR = 4.0  # pseudo-counts pulling a word's capital rate towards the overall one
MARGIN = 8.0  # beam states this far (log-prob) below the best are dropped
_URL = r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_WORD = r"(?:[^\W_]|[¢&@€])+(?:[-/.](?:[^\W_]|[¢&@€])+)*"
_ITEM = re.compile(rf"(?P<url>{_URL})|(?P<word>{_WORD})|(?P<brk>[.;:!?]+(?=\s|$)|\n[ \t]*\n)")
_ROMAN = re.compile(r"^(?=[IVXL])M{0,3}(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})$")
_ROMAN_OCR = re.compile(r"^[IVX][IVX1l]*$")
_LETTERS = re.compile(r"[^\W\d_]")
# Latin-1 marked vowels an OCR engine without Vietnamese data can print
_LATIN1_MARKED = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")


@dataclass
class Slot:
    """One word of the text: its place, and the candidates restoration may choose from."""

    start: int
    end: int
    text: str
    fixed: str | None = None  # LM token when the word must stay as it is
    cands: Sequence[tuple[str, float]] = field(default_factory=list)  # (lower-case, cost)
    heading: bool = False  # inside a capitals heading: restored in capitals
    ids: Sequence[int] = ()  # model ids of the candidates
    costs: Sequence[float] = ()  # their channel costs, already weighted


# ------------------------------------------------------------------ resources


@lru_cache(maxsize=4)
def load_model(path: str | None) -> Model:
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


def _marks_profile(words: list[str], known: dict[str, list[str]]) -> tuple[float, float, float]:
    """(Vietnamese-only marked share, Latin-1 marked share, unknown-skeleton share) of words."""
    if not words:
        return 0.0, 0.0, 0.0
    vi = lat = bad = 0
    for w in words:
        low = w.lower()
        if any(c in TONED or c == "đ" for c in low if c not in _LATIN1_MARKED and ord(c) > 127):
            vi += 1
        elif any(c in _LATIN1_MARKED for c in w):
            lat += 1
        if skeleton(low) not in known:
            bad += 1
    n = len(words)
    return vi / n, lat / n, bad / n


def detect_mode(text: str, model: Model | None = None) -> str:
    """'clean', 'stripped' or 'ocr' for a text (see module docstring).

    Clean Vietnamese has a large share of words with marks only Vietnamese uses (ư, ơ, ă,
    đ, hook, tilde, dot below); OCR without Vietnamese data prints at most Latin-1 marks
    (é, ó...), digits inside words and skeletons no syllable has; stripped text has none.
    """
    known = skeleton_index(model or load_model(None))
    words = [w for w in re.findall(r"[^\W_]+", text) if _LETTERS.search(w)]
    words = [w for w in words if not (w.isupper() and len(w) > 1 and skeleton(w) not in known)]
    vi, lat, bad = _marks_profile(words, known)
    if vi >= 0.3 or (vi >= 0.15 and bad < 0.15):
        return "clean"
    digit_words = sum(1 for w in words if any(c.isdigit() for c in w))
    if lat >= 0.02 or bad >= 0.06 or digit_words >= max(2, 0.01 * len(words)):
        return "ocr"
    return "stripped"


# ------------------------------------------------------------------ candidates


@lru_cache(maxsize=100_000)
def _is_protected(token: str, heading: bool, mode: str) -> str | None:
    """The LM class of a token that must stay as it is, else None."""
    if _ROMAN.match(token) or (mode == "ocr" and _ROMAN_OCR.match(token) and len(token) > 1):
        return NUM
    if any(c in "-/." for c in token):
        return SYM
    letters = _LETTERS.findall(token)
    if not letters:
        return NUM
    has_digit = any(c.isdigit() for c in token)
    if has_digit and (mode != "ocr" or len(token) > 5):
        return NUM
    caps = "".join(letters)
    if mode == "ocr" and token.lower() in foreign_words():
        return UNK  # 'email', 'online', 'video' stay as printed
    if len(caps) > 1 and caps.isupper() and heading and not _syllable_skeleton(token):
        return ABBR  # UBND, BHXH inside a heading
    # an all-capitals word outside a heading is an abbreviation (UBND, HIS, AI) unless
    # OCR text shows a longer one that is a syllable ("HOI" read for "Hội")
    if (
        len(caps) > 1
        and caps.isupper()
        and not heading
        and not (mode == "ocr" and len(caps) > 2 and _syllable_skeleton(token))
    ):
        return ABBR
    return None


def _syllable_skeleton(token: str) -> bool:
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


def _mark_cost(token_low: str, cand: str) -> float:
    """Evidence of the marks that survived OCR: a mark seen, but none in the candidate.

    Which mark survived says little (Tesseract without Vietnamese data prints é for ế,
    ề, ệ and even ở), so only the presence of some mark counts.
    """
    if cand.isascii() and any(c in _LATIN1_MARKED for c in token_low):
        return MARK_PENALTY
    return 0.0


_DIGIT_MAP = str.maketrans(
    {"6": "o", "0": "o", "9": "o", "1": "l", "¢": "e", "&": "e", "€": "e", "@": "a"}
)


@lru_cache(maxsize=200_000)
def candidates(
    token_low: str, mode: str, model: Model, table_path: str
) -> tuple[tuple[str, float], ...]:
    """Lower-case candidate syllables of a lower-case token with their channel cost."""
    index = skeleton_index(model)
    skel = skeleton(token_low)
    out: dict[str, float] = {}
    exact = index.get(skel, [])
    for word in exact:
        out[word] = _mark_cost(token_low, word) if mode == "ocr" else 0.0
    if mode == "ocr":
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        table = confusions(table_path)
        query = skel.translate(_DIGIT_MAP)
        # two-letter confusions (ir -> u, we -> uo) cost two plain edits: search from the
        # query with each of them undone as well
        queries = {query}
        for src, targets in table.items():
            if len(src) == 2 and src in query:
                for t, _ in targets:
                    queries.add(query.replace(src, t, 1))
        names = skeleton_list(model)
        near: set[str] = set()
        for q in queries:
            limit = 1 if len(q) <= 2 else 2
            for other, _, _ in process.extract(
                q, names, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
            ):
                near.add(other)
        scored = []
        rules = _ocr_rules(skel, table)
        inserts = {t: c for t, c in table.get("", ())}
        for other in sorted(near):
            if other == skel:
                continue
            cost = _edit_cost(skel, other, rules, inserts)
            if cost <= MAX_EDIT:
                scored.append((cost, other))
        scored.sort()
        for cost, other in scored[:6]:
            for word in index[other][:6]:
                c = cost + _mark_cost(token_low, word)
                if c < out.get(word, 99.0):
                    out[word] = c
    # rank by unigram log-probability less the channel cost; drop the hopeless ones
    ranked = sorted(
        ((model.uni[model.id(w)] - RANK_WEIGHT * c, w, c) for w, c in out.items()),
        key=lambda t: (-t[0], t[1]),
    )
    if not ranked:
        return ()
    floor = ranked[0][0] - PRUNE
    return tuple((w, c) for v, w, c in ranked[:MAX_CANDIDATES] if v >= floor)


# ------------------------------------------------------------------ decoding


def _viterbi(
    model: Model, slots: list[Slot], memo: dict[tuple[int, int, int], list[float]] | None = None
) -> list[int]:
    """Index of the chosen candidate per slot (fixed slots have one candidate).

    Beam search over (previous word, word) states with the model's back-off scores
    inlined: this loop is where restoration spends its time. States more than MARGIN
    below the best are dropped as well as those beyond BEAM, so a narrow lattice (one
    candidate clearly ahead) costs little.
    """
    index, tri, bi, bow1, bow2, uni = (
        model.index,
        model.tri,
        model.bi,
        model.bow1,
        model.bow2,
        model.uni,
    )
    bos, eos = index[BOS], index[EOS]
    beam: dict[tuple[int, int], float] = {(bos, bos): 0.0}
    pointers: list[dict[tuple[int, int], tuple[int, int]]] = []
    tri_get, bi_get, bow1_get, bow2_get = tri.get, bi.get, bow1.get, bow2.get
    ninf = -math.inf
    lows: dict[tuple[int, int, int], list[float]] = {} if memo is None else memo
    for slot in slots:
        ids, costs = slot.ids, slot.costs
        nxt: dict[tuple[int, int], float] = {}
        back: dict[tuple[int, int], tuple[int, int]] = {}
        groups: dict[int, list[tuple[int, float]]] = {}
        for (a, b), s in beam.items():
            group = groups.get(b)
            if group is None:
                groups[b] = [(a, s)]
            else:
                group.append((a, s))
        span = range(len(ids))
        for b, states in groups.items():
            # bigram (back-off) score less the channel cost, per candidate; the memo is
            # keyed by object ids, valid while the caller holds the slots
            lkey = (b, id(ids), id(costs))
            low = lows.get(lkey)
            if low is None:
                bs = b << SHIFT
                b1 = bow1_get(b, 0.0)
                low = [
                    bi_get(bs | c, b1 + uni[c]) - cost for c, cost in zip(ids, costs, strict=True)
                ]
                lows[lkey] = low
            best = [ninf] * len(ids)
            arg = [0] * len(ids)
            unseen_s, unseen_a = ninf, -1
            for a, s in states:
                ab = (a << SHIFT) | b
                b2 = bow2_get(ab)
                if b2 is None:
                    # a context the model never saw has no trigram: only the best such
                    # state can win, whatever the candidate
                    if s > unseen_s:
                        unseen_s, unseen_a = s, a
                    continue
                abs_ = ab << SHIFT
                for k in span:
                    p = tri_get(abs_ | ids[k])
                    v = s + (b2 + low[k] if p is None else p - costs[k])
                    if v > best[k]:
                        best[k] = v
                        arg[k] = a
            for k in span:
                if unseen_a >= 0 and unseen_s + low[k] > best[k]:
                    best[k] = unseen_s + low[k]
                    arg[k] = unseen_a
                key = (b, ids[k])
                if best[k] > nxt.get(key, ninf):
                    nxt[key] = best[k]
                    back[key] = (arg[k], k)
        if len(nxt) > 1:
            floor = max(nxt.values()) - MARGIN
            keep = [key for key, v in nxt.items() if v >= floor]
            if len(keep) > BEAM:
                keep = sorted(keep, key=nxt.__getitem__, reverse=True)[:BEAM]
            beam = {key: nxt[key] for key in keep}
        else:
            beam = nxt
        pointers.append(back)
    state = max(beam, key=lambda st: beam[st] + model.score(st[0], st[1], eos))
    chosen = []
    for back in reversed(pointers):
        a, k = back[state]
        chosen.append(k)
        state = (a, state[0])
    chosen.reverse()
    return chosen


def _confidence(
    model: Model,
    slots: list[Slot],
    chosen: list[int],
    i: int,
    memo: dict[tuple[object, ...], list[tuple[str, float]]] | None = None,
) -> list[tuple[str, float]]:
    """Local posterior of each candidate of slot i given the chosen neighbours.

    `memo` keeps the answers within one text: the same word between the same
    neighbours ('Sở Y tế') recurs often in a document.
    """
    if len(slots[i].cands) == 1:
        return [(slots[i].cands[0][0], 1.0)]
    bos = model.id(BOS)

    def wid(j: int) -> int:
        if j < 0:
            return bos
        if j >= len(slots):
            return model.id(EOS)
        return slots[j].ids[chosen[j]]

    a, b, d, e = wid(i - 2), wid(i - 1), wid(i + 1), wid(i + 2)
    has_e = i + 1 < len(slots)
    key = (slots[i].cands, slots[i].costs, a, b, d, e, has_e)
    if memo is not None:
        known = memo.get(key)
        if known is not None:
            return known
    tri_get, bi_get, bow1_get, bow2_get, uni = (
        model.tri.get,
        model.bi.get,
        model.bow1.get,
        model.bow2.get,
        model.uni,
    )
    ab = (a << SHIFT) | b
    abs_, b2, bs, b1 = ab << SHIFT, bow2_get(ab, 0.0), b << SHIFT, bow1_get(b, 0.0)
    de = bi_get((d << SHIFT) | e, bow1_get(d, 0.0) + uni[e])  # log P(e | d), backed off
    scores = []
    for c, cost in zip(slots[i].ids, slots[i].costs, strict=True):
        # log P(c | a b) + log P(d | b c) + log P(e | c d), back-off inlined
        v = tri_get(abs_ | c)
        if v is None:
            v = b2 + bi_get(bs | c, b1 + uni[c])
        bc = bs | c
        p = tri_get((bc << SHIFT) | d)
        if p is None:
            p = bow2_get(bc, 0.0) + bi_get((c << SHIFT) | d, bow1_get(c, 0.0) + uni[d])
        v += p - cost
        if has_e:
            cd = (c << SHIFT) | d
            p = tri_get((cd << SHIFT) | e)
            v += bow2_get(cd, 0.0) + de if p is None else p
        scores.append(v)
    top = max(scores)
    z = sum(math.exp(v - top) for v in scores)
    post = [(w, math.exp(v - top) / z) for (w, _), v in zip(slots[i].cands, scores, strict=True)]
    post.sort(key=lambda kv: -kv[1])
    if memo is not None:
        memo[key] = post
    return post


def apply_case(pattern: str, word: str, upper: bool) -> str:
    """`word` in the case of `pattern` (all caps, capitalised, or lower)."""
    if upper:
        return word.upper()
    if pattern[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


# ------------------------------------------------------------------ the stage


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
def _choices(
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
    if all(w != low for w, _ in cands):
        # keeping a word the model does not know is allowed, at a price
        cands = (*cands, (low, KEEP_COST))
    ids = tuple(model.id(w) for w, _ in cands)
    costs = [CHANNEL_WEIGHT * c for _, c in cands]
    if case != 2 and CASE_WEIGHT > 0:
        table, unseen = case_table(model)
        lps = [table.get(w, unseen)[1 - case] for w, _ in cands]
        top = max(lps)
        costs = [c + CASE_WEIGHT * (top - lp) for c, lp in zip(costs, lps, strict=True)]
    return cands, ids, tuple(costs)


def _case_of(text: str, start: int, tok: str) -> int:
    """The `case` evidence of a word (see `_choices`)."""
    if not tok[:1].isalpha() or (tok.isupper() and len(tok) > 1):
        return 2
    j = start - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    if j < 0 or not (text[j].isalnum() or text[j] in ",)"):
        return 2
    return 1 if tok[0].isupper() else 0


def _caps_word(token: str) -> bool:
    """A word written in capitals (OCR may lower a letter or two: 'PiCH')."""
    letters = _LETTERS.findall(token)
    return len(letters) > 1 and sum(c.isupper() for c in letters) * 4 >= len(letters) * 3


def _heading_lines(text: str) -> list[bool]:
    """Per line: whether it is an all-capitals heading (>= 2 capital words, 2/3 of words)."""
    result = []
    for line in text.split("\n"):
        words = [w for w in re.findall(r"[^\W\d_]+", line) if len(w) > 1]
        caps = [w for w in words if _caps_word(w)]
        result.append(len(caps) >= 2 and len(caps) * 3 >= len(words) * 2)
    return result


def _caps_runs(matches: list[re.Match[str]], text: str, known: dict[str, list[str]]) -> set[int]:
    """Starts of capital words that stand next to another capital syllable: a heading
    fragment such as 'CỤC CHỨNG THỰC SỐ' inside a longer line, not a lone 'AI'."""
    flags = [
        m.lastgroup == "word" and _caps_word(m.group(0)) and skeleton(m.group(0)) in known
        for m in matches
    ]
    runs: set[int] = set()
    for i, m in enumerate(matches):
        if not flags[i]:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(matches) and flags[j]:
                a, b = sorted((i, j))
                if re.fullmatch(r"[\s,\-–]*", text[matches[a].end() : matches[b].start()]):
                    runs.add(m.start())
    return runs


def _slots_of(text: str, mode: str, model: Model, table_path: str) -> list[list[Slot]]:
    """Sentences of slots, with candidates filled in."""
    sentences: list[list[Slot]] = [[]]
    headings = _heading_lines(text)
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    matches = list(_ITEM.finditer(text))
    runs = _caps_runs(matches, text, skeleton_index(model))
    for m in matches:
        if m.lastgroup == "brk":
            if sentences[-1]:
                sentences.append([])
            continue
        tok = m.group(0)
        start, end = m.span()
        if m.lastgroup == "url":
            sentences[-1].append(
                Slot(start, end, tok, SYM, [(SYM, 0.0)], False, (model.id(SYM),), (0.0,))
            )
            continue
        heading = headings[bisect.bisect_right(line_starts, start) - 1] or start in runs
        label = end < len(text) and text[end] == ")" and len(tok) == 1
        fixed = NUM if label else _is_protected(tok, heading, mode)
        if fixed == ABBR:
            fixed = abbr_token(tok)
        if (
            fixed is None
            and mode != "ocr"
            and (any(ord(c) > 127 for c in tok) or not _LETTERS.search(tok))
        ):
            fixed = token_class(tok)  # marked words of stripped text are evidence kept as is
        if fixed is None:
            low = restyle(tok.lower())
            choice = _choices(low, mode, model, table_path, _case_of(text, start, tok))
            if choice is not None:
                cands, ids, costs = choice
                sentences[-1].append(Slot(start, end, tok, None, cands, heading, ids, costs))
                continue
            fixed = token_class(tok)
        sentences[-1].append(
            Slot(start, end, tok, fixed, [(fixed, 0.0)], heading, (model.id(fixed),), (0.0,))
        )
    return [s for s in sentences if s]


def restore_text(
    text: str, model: Model | None = None, mode: str | None = None, low_confidence: float = 0.5
) -> tuple[str, list[TokenChange], AlignedBuilder]:
    """Restored text, the changes made, and the builder holding the alignment."""
    from pipeline.settings import DEFAULT_DICTIONARIES

    model = model or load_model(None)
    table_path = str(DEFAULT_DICTIONARIES / "restore" / "confusions.tsv")
    mode = mode or detect_mode(text, model)
    builder = AlignedBuilder(text)
    changes: list[TokenChange] = []
    if mode == "clean":
        return text, changes, builder
    memo: dict[tuple[object, ...], list[tuple[str, float]]] = {}
    lows: dict[tuple[int, int, int], list[float]] = {}
    sentences = _slots_of(text, mode, model, table_path)
    for sent in sentences:
        chosen = _viterbi(model, sent, lows)
        for i, slot in enumerate(sent):
            if slot.fixed is not None:
                continue
            word = slot.cands[chosen[i]][0]
            if word == slot.text.lower() or word.startswith("<"):
                continue
            letters = "".join(_LETTERS.findall(slot.text))
            upper = (letters.isupper() and len(letters) > 1) or (
                slot.heading and (_caps_word(slot.text) or letters.isupper())
            )
            new = apply_case(slot.text, word, upper)
            if new == slot.text:
                continue
            post = _confidence(model, sent, chosen, i, memo)
            conf = dict(post).get(word, 0.0)
            changes.append(
                TokenChange(
                    slot.start,
                    slot.end,
                    slot.text,
                    new,
                    [apply_case(slot.text, w, upper) for w, _ in post if w != word][:4],
                    round(conf, 4),
                    conf < low_confidence,
                )
            )
            builder.replace(slot.start, slot.end, new)
    return builder.finish()[0], changes, builder


@stage("restore", assigns=("layers", "changes"))
def restore(doc: Document, settings: Settings) -> Document:
    """Restore marks and OCR confusions where the text lacks them; adds the 'restore' layer."""
    if not settings.restore:
        return doc
    model = load_model(str(settings.lm_model) if settings.lm_model else None)
    text, changes, builder = restore_text(
        doc.text, model, low_confidence=settings.restore_low_confidence
    )
    _, alignment = builder.finish()
    doc.add_layer("restore", text, alignment)
    doc.changes.extend(changes)
    return doc
