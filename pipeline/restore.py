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
Candidate generation and the noisy channel live in pipeline.candidates, the words of a
text with their candidates (the lattice) in pipeline.lattice.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Sequence

from pipeline import decode, jit
from pipeline.candidates import detect_mode as detect_mode
from pipeline.candidates import load_model as load_model
from pipeline.codefix import CodeTable, code_table, repair_token
from pipeline.lattice import _ITEM as _ITEM
from pipeline.lattice import Slot as Slot
from pipeline.lattice import _items as _items
from pipeline.lattice import _sentences, _Words, _words_of
from pipeline.lattice import _slots_of as _slots_of
from pipeline.lattice import apply_case as apply_case
from pipeline.lm import ABBR_PREFIX, BOS, EOS, SHIFT, SYM, Model
from pipeline.models import Document, TokenChange
from pipeline.registry import stage
from pipeline.settings import Settings
from pipeline.textutil import AlignedBuilder

BEAM = 10
KEEP_EACH = 1  # keep each candidate's best state beyond the beam
MARGIN = 8.0  # beam states this far (log-prob) below the best are dropped
CODE_CONFIDENCE = 0.9  # a code repaired by the rules of pipeline.codefix

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


# ------------------------------------------------------------------ the stage


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

    def ranked(self, g: int, k: int) -> tuple[float, list[int]]:
        """As `posterior`, with candidate indices for words (a set's words are distinct)."""
        s, i = self.where[g]
        conf, top = self.posterior(g, k)
        place = {w: r for r, (w, _) in enumerate(self.sentences[s][i].cands)}
        return conf, [place[w] for w in top]


class _KernelDecoded:
    """As `_Decoded`: all sentences decoded, and every posterior, by one kernel call.

    `sets` are the distinct candidate sets (ids, costs), `slot_set` names each slot's,
    `sent` the sentences as offsets into the slots, `words` each set's words.
    """

    def __init__(
        self,
        model: Model,
        sets: Sequence[tuple[Sequence[int], Sequence[float]]],
        slot_set: Sequence[int],
        sent: Sequence[int],
        words: Sequence[Sequence[tuple[str, float]]],
    ) -> None:
        lat = decode.lattice(sets, slot_set, sent)
        chosen, post, order, offs = decode.decode(
            model.tables(), lat, model.id(BOS), model.id(EOS), SHIFT, BEAM, MARGIN, KEEP_EACH
        )
        self.chosen: list[int] = chosen.tolist()
        self.post: list[float] = post.tolist()
        self.order: list[int] = order.tolist()
        self.offs: list[int] = offs.tolist()
        self.slot_set = slot_set
        self.words = words

    @classmethod
    def of_slots(cls, model: Model, sentences: list[list[Slot]]) -> _KernelDecoded:
        """Decode sentences of slots (slots sharing candidate objects share a set)."""
        sets: dict[tuple[int, int], int] = {}
        contents: list[tuple[Sequence[int], Sequence[float]]] = []
        words: list[Sequence[tuple[str, float]]] = []
        slot_set: list[int] = []
        sent_off = [0]
        for sent in sentences:
            for slot in sent:
                key = (id(slot.ids), id(slot.costs))
                j = sets.get(key)
                if j is None:
                    j = sets[key] = len(contents)
                    contents.append((slot.ids, slot.costs))
                    words.append(slot.cands)
                slot_set.append(j)
            sent_off.append(len(slot_set))
        return cls(model, contents, slot_set, sent_off, words)

    def ranked(self, g: int, k: int) -> tuple[float, list[int]]:
        """(posterior of candidate k of slot g, its five likeliest candidates' indices)."""
        at = self.offs[g]
        return self.post[at + k], self.order[at : at + min(5, self.offs[g + 1] - at)]

    def posterior(self, g: int, k: int) -> tuple[float, list[str]]:
        """As `_Decoded.posterior`."""
        conf, top = self.ranked(g, k)
        cands = self.words[self.slot_set[g]]
        return conf, [cands[r][0] for r in top]


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
    Either gives the same output. The cycle collector pauses meanwhile: restoration makes
    many short-lived objects and no cycles, so its passes would only cost time.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _restore_text(text, model, mode, low_confidence, kernel)
    finally:
        if paused:
            gc.enable()


def _restore_text(
    text: str,
    model: Model | None,
    mode: str | None,
    low_confidence: float,
    kernel: bool | None,
) -> tuple[str, list[TokenChange], AlignedBuilder]:
    from pipeline.settings import DEFAULT_DICTIONARIES

    model = model or load_model(None)
    table_path = str(DEFAULT_DICTIONARIES / "restore" / "confusions.tsv")
    mode = mode or detect_mode(text, model)
    builder = AlignedBuilder(text)
    changes: list[TokenChange] = []
    if mode == "clean":
        return text, changes, builder
    words = _words_of(text, mode, model, table_path)
    jit.note_work(len(words.start))
    decoded: _Decoded | _KernelDecoded
    if (kernel or (kernel is None and jit.warm())) and decode.available():
        sets = [(c[2], c[3]) for c in words.contents]
        cands = [c[1] for c in words.contents]
        decoded = _KernelDecoded(model, sets, words.entry, words.sent, cands)
    else:
        decoded = _Decoded(model, _sentences(words))
    # what each entry's candidates turn the word into (None: nothing), codes repaired
    news = [c[5] for c in words.contents]
    coded = _repaired_codes(words, mode == "ocr", news)
    starts, ends, tokens, contents = words.start, words.end, words.tokens, words.contents
    ranked = decoded.ranked
    # the kernel's posteriors read in place (as `_KernelDecoded.ranked`, without a call
    # per changed word)
    post = offs = order = None
    if isinstance(decoded, _KernelDecoded):
        post, offs, order = decoded.post, decoded.offs, decoded.order
    at_starts: list[int] = []
    at_ends: list[int] = []
    written: list[str] = []
    for g, (e, k) in enumerate(zip(words.entry, decoded.chosen, strict=True)):
        new = news[e][k]
        if new is None:
            continue
        start, end = starts[g], ends[g]
        at_starts.append(start)
        at_ends.append(end)
        written.append(new)
        if e in coded:
            changes.append(TokenChange(start, end, tokens[e], new, [], CODE_CONFIDENCE))
        else:
            if post is None or offs is None or order is None:
                conf, top = ranked(g, k)
            else:
                at = offs[g]
                conf, top = post[at + k], order[at : min(at + 5, offs[g + 1])]
            cased = contents[e][4]
            changes.append(
                TokenChange(
                    start,
                    end,
                    tokens[e],
                    new,
                    [cased[r] for r in top if r != k][:4],
                    round(conf, 4),
                    conf < low_confidence,
                )
            )
    builder.replace_many(at_starts, at_ends, written)
    return builder.finish()[0], changes, builder


def _repaired_codes(words: _Words, ocr: bool, news: list[tuple[str | None, ...]]) -> set[int]:
    """Entries of symbols and abbreviations whose code parts get their Đ back ('QD-UBND'
    -> 'QĐ-UBND'; see codefix): their `news` is set to the repair; returns them."""
    from pipeline.settings import DEFAULT_DICTIONARIES

    codes: CodeTable | None = None
    coded: set[int] = set()
    for e, content in enumerate(words.contents):
        fixed = content[0]
        if fixed is None or not (fixed == SYM or fixed.startswith(ABBR_PREFIX)):
            continue
        if codes is None:
            codes = code_table(DEFAULT_DICTIONARIES)
        repaired = repair_token(words.tokens[e], codes, ocr)
        if repaired is not None:
            news[e] = (repaired,)
            coded.add(e)
    return coded


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
