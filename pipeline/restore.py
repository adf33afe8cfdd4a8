"""Stage restore: put back Vietnamese marks and undo OCR letter confusions.

Per document (and per line inside a clean document) it decides whether the text lacks
its marks: clean text passes through untouched. Otherwise every word gets candidates —
the syllables with the same skeleton, plus, for text read by an OCR engine without
Vietnamese data, syllables reachable through the noisy channel of
dictionaries/restore/confusions.tsv — and a syllable trigram model (pipeline.lm) picks the
most likely sequence by beam search (compiled with numba in pipeline.decode when it is
installed; `_viterbi` and `_confidence` here are the pure-Python reference, same output).
Document symbols, numbers, Roman numerals, e-mails, URLs and capital abbreviations are
never turned into words. Case, punctuation, spacing and line breaks are kept; each
changed token is recorded as a TokenChange.
Candidate generation and the noisy channel live in pipeline.candidates.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline import decode, jit
from pipeline.candidates import (
    LETTERS,
    choices,
    is_protected,
    load_model,
    skeleton_index,
)
from pipeline.candidates import detect_mode as detect_mode
from pipeline.codefix import CodeTable, code_table, repair_token
from pipeline.lm import (
    ABBR,
    ABBR_PREFIX,
    BOS,
    EOS,
    NUM,
    SHIFT,
    SYM,
    Model,
    abbr_token,
    token_class,
)
from pipeline.models import Document, TokenChange
from pipeline.registry import stage
from pipeline.settings import Settings
from pipeline.textutil import AlignedBuilder, skeleton
from pipeline.vnsyllable import restyle

BEAM = 10
KEEP_EACH = 1  # keep each candidate's best state beyond the beam
MARGIN = 8.0  # beam states this far (log-prob) below the best are dropped
CODE_CONFIDENCE = 0.9  # a code repaired by the rules of pipeline.codefix
_URL = r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_WORD = r"(?:[^\W_]|[¢&@€])+(?:[-/.](?:[^\W_]|[¢&@€])+)*"
_ITEM = re.compile(rf"(?P<url>{_URL})|(?P<word>{_WORD})|(?P<brk>[.;:!?]+(?=\s|$)|\n[ \t]*\n)")


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
                ranked = sorted(keep, key=nxt.__getitem__, reverse=True)
                keep = ranked[:BEAM]
                if KEEP_EACH:
                    # every candidate keeps its best state, so a word that only the next
                    # word can vindicate ('thuc' read as 'thue') is still there to win
                    seen = {key[1] for key in keep}
                    for key in ranked[BEAM:]:
                        if key[1] not in seen:
                            seen.add(key[1])
                            keep.append(key)
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
    memo: dict[tuple[object, ...], list[float]] | None = None,
) -> list[tuple[str, float]]:
    """Local posterior of each candidate of slot i given the chosen neighbours.

    The score of candidate c is log P(c | a b) + log P(d | b c) + log P(e | c d) less
    its cost; `memo` keeps each of the three terms per candidate set within one text,
    keyed by the two neighbours it needs, since the same pairs recur ('Sở Y tế').
    """
    slot = slots[i]
    if len(slot.cands) == 1:
        return [(slot.cands[0][0], 1.0)]
    bos = model.id(BOS)

    def wid(j: int) -> int:
        if j < 0:
            return bos
        if j >= len(slots):
            return model.id(EOS)
        return slots[j].ids[chosen[j]]

    a, b, d, e = wid(i - 2), wid(i - 1), wid(i + 1), wid(i + 2)
    has_e = i + 1 < len(slots)
    memo = {} if memo is None else memo
    tri_get, bi_get, bow1_get, bow2_get, uni = (
        model.tri.get,
        model.bi.get,
        model.bow1.get,
        model.bow2.get,
        model.uni,
    )
    # keyed by the object id of the candidate ids, valid while the caller holds the slots
    ids = slot.ids
    sid = id(ids)
    key1 = (sid, 1, a, b)
    first = memo.get(key1)
    if first is None:
        ab = (a << SHIFT) | b
        abs_, b2, bs, b1 = ab << SHIFT, bow2_get(ab, 0.0), b << SHIFT, bow1_get(b, 0.0)
        first = []
        for c in ids:  # log P(c | a b)
            v = tri_get(abs_ | c)
            first.append(b2 + bi_get(bs | c, b1 + uni[c]) if v is None else v)
        memo[key1] = first
    key2 = (sid, 2, b, d)
    second = memo.get(key2)
    if second is None:
        bs = b << SHIFT
        second = []
        for c in ids:  # log P(d | b c)
            bc = bs | c
            p = tri_get((bc << SHIFT) | d)
            if p is None:
                p = bow2_get(bc, 0.0) + bi_get((c << SHIFT) | d, bow1_get(c, 0.0) + uni[d])
            second.append(p)
        memo[key2] = second
    third: list[float] | None = None
    if has_e:
        key3 = (sid, 3, d, e)
        third = memo.get(key3)
        if third is None:
            de = bi_get((d << SHIFT) | e, bow1_get(d, 0.0) + uni[e])  # log P(e | d)
            third = []
            for c in ids:  # log P(e | c d)
                cd = (c << SHIFT) | d
                p = tri_get((cd << SHIFT) | e)
                third.append(bow2_get(cd, 0.0) + de if p is None else p)
            memo[key3] = third
    scores = []
    for k, cost in enumerate(slot.costs):
        v = first[k]
        v += second[k] - cost
        if third is not None:
            v += third[k]
        scores.append(v)
    top = max(scores)
    exps = [math.exp(v - top) for v in scores]
    z = sum(exps)
    post = [(w, x / z) for (w, _), x in zip(slot.cands, exps, strict=True)]
    post.sort(key=lambda kv: -kv[1])
    return post


def apply_case(pattern: str, word: str, upper: bool) -> str:
    """`word` in the case of `pattern` (all caps, capitalised, or lower)."""
    if upper:
        return word.upper()
    if pattern[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


# a word in the case of its token, by `_style`: as is (lower), capitalised, capitals
_CASED: tuple[Callable[[str], str], ...] = (str, lambda w: w[:1].upper() + w[1:], str.upper)


@lru_cache(maxsize=100_000)
def _style(token: str, heading: bool, ocr: bool = False) -> int:
    """Index into _CASED of how a word replacing `token` is written (as `apply_case`)."""
    if _upper(token, heading, ocr):
        return 2
    return 1 if token[:1].isupper() else 0


# ------------------------------------------------------------------ the stage


def _case_of(text: str, start: int, tok: str) -> int:
    """The `case` evidence of a word (see `choices`)."""
    if not tok[:1].isalpha() or (tok.isupper() and len(tok) > 1):
        return 2
    j = start - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    if j < 0 or not (text[j].isalnum() or text[j] in ",)"):
        return 2
    return 1 if tok[0].isupper() else 0


@lru_cache(maxsize=100_000)
def _upper(token: str, heading: bool, ocr: bool = False) -> bool:
    """Whether a word is restored in capitals: written so, or a capital word of a heading.

    In OCR text a capital word outside a heading that is restored as a word at all (not
    an abbreviation) is a capitalised word whose marked vowel was read as a capital
    ('BO Y tế', 'HOI nghị' for 'Bộ Y tế', 'Hội nghị'): it is written capitalised.
    """
    if ocr and not heading:
        return False
    letters = "".join(LETTERS.findall(token))
    return (letters.isupper() and len(letters) > 1) or (
        heading and (_caps_word(token) or letters.isupper())
    )


@lru_cache(maxsize=100_000)
def _caps_word(token: str) -> bool:
    """A word written in capitals (OCR may lower a letter or two: 'PiCH')."""
    letters = LETTERS.findall(token)
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
    # a one-letter capital syllable ('Y' of 'SỞ Y TẾ') links the capital words around it
    single = [
        m.lastgroup == "word" and len(m.group(0)) == 1 and m.group(0).isupper() for m in matches
    ]

    def joined(a: int, b: int) -> bool:
        return re.fullmatch(r"[\s,\-–]*", text[matches[a].end() : matches[b].start()]) is not None

    runs: set[int] = set()
    for i, m in enumerate(matches):
        if not flags[i]:
            continue
        for j in (i - 1, i + 1):
            if not 0 <= j < len(matches):
                continue
            a, b = sorted((i, j))
            if flags[j] and joined(a, b):
                runs.add(m.start())
            k = 2 * j - i  # the word beyond a one-letter link
            if single[j] and 0 <= k < len(matches) and flags[k]:
                lo, hi = sorted((i, k))
                if joined(lo, j) and joined(j, hi):
                    runs.update((m.start(), matches[j].start()))
    return runs


_Content = tuple[str | None, Sequence[tuple[str, float]], Sequence[int], Sequence[float]]


@lru_cache(maxsize=200_000)  # a pure function of its arguments: shared across texts
def _slot_content(
    tok: str, heading: bool, label: bool, case: int, mode: str, model: Model, table_path: str
) -> _Content:
    """(fixed LM token or None, candidates, their ids, their costs) of one word."""
    fixed = NUM if label else is_protected(tok, heading, mode)
    if fixed == ABBR:
        fixed = abbr_token(tok)
    if (
        fixed is None
        and mode != "ocr"
        and (any(ord(c) > 127 for c in tok) or not LETTERS.search(tok))
    ):
        fixed = token_class(tok)  # marked words of stripped text are evidence kept as is
    if fixed is None:
        choice = choices(restyle(tok.lower()), mode, model, table_path, case)
        if choice is not None:
            return (None, *choice)
        fixed = token_class(tok)
    return fixed, [(fixed, 0.0)], (model.id(fixed),), (0.0,)


def _slots_of(text: str, mode: str, model: Model, table_path: str) -> list[list[Slot]]:
    """Sentences of slots, with candidates filled in."""
    sentences: list[list[Slot]] = [[]]
    headings = _heading_lines(text)
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    matches = list(_ITEM.finditer(text))
    runs = _caps_runs(matches, text, skeleton_index(model))
    # the same token in the same setting gets the same (shared) candidate objects, which
    # also lets the decoder's memo, keyed by object ids, hit
    seen: dict[tuple[str, bool, bool, int], _Content] = {}
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
        case = _case_of(text, start, tok)
        key = (tok, heading, label, case)
        made = seen.get(key)
        if made is None:
            made = seen[key] = _slot_content(tok, heading, label, case, mode, model, table_path)
        fixed, cands, ids, costs = made
        sentences[-1].append(Slot(start, end, tok, fixed, cands, heading, ids, costs))
    return [s for s in sentences if s]


class _Decoded:
    """The chosen candidate of every slot of a text (flattened), and the local posterior
    of a slot's candidates on demand: computed in Python, the reference."""

    def __init__(self, model: Model, sentences: list[list[Slot]]) -> None:
        self.model = model
        self.sentences = sentences
        self.where: list[tuple[int, int]] = []  # (sentence, index in it) per slot
        self.per_sent: list[list[int]] = []
        self.chosen: list[int] = []
        lows: dict[tuple[int, int, int], list[float]] = {}
        for s, sent in enumerate(sentences):
            chosen = _viterbi(model, sent, lows)
            self.per_sent.append(chosen)
            self.chosen.extend(chosen)
            self.where.extend((s, i) for i in range(len(sent)))
        self.memo: dict[tuple[object, ...], list[float]] = {}

    def posterior(self, g: int, k: int) -> tuple[float, list[str]]:
        """(posterior of candidate k of slot g, its five likeliest candidates' words)."""
        s, i = self.where[g]
        post = _confidence(self.model, self.sentences[s], self.per_sent[s], i, self.memo)
        word = self.sentences[s][i].cands[k][0]
        return dict(post).get(word, 0.0), [w for w, _ in post[:5]]


class _KernelDecoded(_Decoded):
    """As `_Decoded`, all sentences decoded, and every posterior, by one kernel call."""

    def __init__(self, model: Model, sentences: list[list[Slot]]) -> None:
        sets: dict[tuple[int, int], int] = {}
        contents: list[tuple[Sequence[int], Sequence[float]]] = []
        slot_set: list[int] = []
        sent_off = [0]
        self.cands: list[Sequence[tuple[str, float]]] = []
        for sent in sentences:
            for slot in sent:
                key = (id(slot.ids), id(slot.costs))  # shared objects: one set per distinct word
                j = sets.get(key)
                if j is None:
                    j = sets[key] = len(contents)
                    contents.append((slot.ids, slot.costs))
                slot_set.append(j)
                self.cands.append(slot.cands)
            sent_off.append(len(slot_set))
        lat = decode.lattice(contents, slot_set, sent_off)
        chosen, post, order, offs = decode.decode(
            model.tables(), lat, model.id(BOS), model.id(EOS), SHIFT, BEAM, MARGIN, KEEP_EACH
        )
        self.chosen = chosen.tolist()
        self.post: list[float] = post.tolist()
        self.order: list[int] = order.tolist()
        self.offs: list[int] = offs.tolist()

    def posterior(self, g: int, k: int) -> tuple[float, list[str]]:
        at = self.offs[g]
        cands = self.cands[g]
        top = self.order[at : at + min(5, len(cands))]
        return self.post[at + k], [cands[r][0] for r in top]


def restore_text(
    text: str,
    model: Model | None = None,
    mode: str | None = None,
    low_confidence: float = 0.5,
    kernel: bool | None = None,
) -> tuple[str, list[TokenChange], AlignedBuilder]:
    """Restored text, the changes made, and the builder holding the alignment.

    `kernel` False forces the pure-Python decoder, True the compiled one when numba is
    installed; by default the compiled one is used once it pays off (`pipeline.jit.warm`).
    Either gives the same output.
    """
    from pipeline.settings import DEFAULT_DICTIONARIES

    model = model or load_model(None)
    table_path = str(DEFAULT_DICTIONARIES / "restore" / "confusions.tsv")
    mode = mode or detect_mode(text, model)
    builder = AlignedBuilder(text)
    changes: list[TokenChange] = []
    if mode == "clean":
        return text, changes, builder
    codes = code_table(DEFAULT_DICTIONARIES)
    sentences = _slots_of(text, mode, model, table_path)
    jit.note_work(sum(len(sent) for sent in sentences))
    use_kernel = (kernel or (kernel is None and jit.warm())) and decode.available()
    decoded = (_KernelDecoded if use_kernel else _Decoded)(model, sentences)
    chosen = decoded.chosen
    g = -1
    for sent in sentences:
        for slot in sent:
            g += 1
            if slot.fixed is not None:
                if slot.fixed == SYM or slot.fixed.startswith(ABBR_PREFIX):
                    _repair_code(slot, codes, mode == "ocr", changes, builder)
                continue
            k = chosen[g]
            tok = slot.text
            word = slot.cands[k][0]
            if word == tok.lower() or word.startswith("<"):
                continue
            case = _CASED[_style(tok, slot.heading, mode == "ocr")]
            new = case(word)
            if new == tok:
                continue
            conf, top = decoded.posterior(g, k)
            changes.append(
                TokenChange(
                    slot.start,
                    slot.end,
                    tok,
                    new,
                    [case(w) for w in top if w != word][:4],
                    round(conf, 4),
                    conf < low_confidence,
                )
            )
            builder.replace(slot.start, slot.end, new)
    return builder.finish()[0], changes, builder


def _repair_code(
    slot: Slot, codes: CodeTable, ocr: bool, changes: list[TokenChange], builder: AlignedBuilder
) -> None:
    """Give a symbol or abbreviation its Đ back ('QD-UBND' -> 'QĐ-UBND'; see codefix)."""
    fixed = repair_token(slot.text, codes, ocr)
    if fixed is None:
        return
    changes.append(TokenChange(slot.start, slot.end, slot.text, fixed, [], CODE_CONFIDENCE))
    builder.replace(slot.start, slot.end, fixed)


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
    for change in changes:  # offsets are in the current text: map them to the input
        change.src_start, change.src_end = doc.to_source(change.start, change.end)
        change.page = doc.page_of(change.src_start)
    doc.add_layer("restore", text, alignment)
    doc.changes.extend(changes)
    return doc
