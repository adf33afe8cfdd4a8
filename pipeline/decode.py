"""Compiled decoder for restoration: the beam search and the confidences in one numba kernel.

The trigram model comes as arrays (`pipeline.lmtables.Tables`); a document's lattice is
flattened too: each distinct candidate set once (`Lattice`), each slot naming its set,
sentences as offsets.
`decode` runs every sentence in one call and returns the chosen candidate per slot and
the local posterior of every candidate. The kernel reproduces, operation for operation,
`pipeline.restore._viterbi` and `_confidence` (the pure-Python reference, used when numba
is missing), so ties break the same way and the output text is identical.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from pipeline.jit import Jit, compiled
from pipeline.lmtables import BLOOM_MUL1, BLOOM_MUL2, EMPTY, FOLLOW_MUL, HASH_MUL, Tables


@dataclass
class Lattice:
    """A document's candidates, flattened: distinct candidate sets, then slots naming them.

    Set j holds ids[off[j]:off[j+1]] with costs. Sentence s is slots
    slot_set[sent[s]:sent[s+1]].
    """

    off: np.ndarray
    ids: np.ndarray
    costs: np.ndarray
    slot_set: np.ndarray
    sent: np.ndarray


def lattice(
    sets: Sequence[tuple[Sequence[int], Sequence[float]]],
    slot_set: Sequence[int],
    sent: Sequence[int],
) -> Lattice:
    """Flatten candidate sets (ids, costs), the set of each slot, and sentence offsets."""
    off = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum([len(ids) for ids, _ in sets], out=off[1:])
    total = int(off[-1])
    return Lattice(
        off,
        np.fromiter(chain.from_iterable(ids for ids, _ in sets), np.int64, total),
        np.fromiter(chain.from_iterable(costs for _, costs in sets), np.float64, total),
        np.asarray(slot_set, dtype=np.int64),
        np.asarray(sent, dtype=np.int64),
    )


# ------------------------------------------------------------------ the kernel


def _follow_bit(c: int) -> int:
    """Bit of word c in a context's filter (as `lmtables.follow_bits`)."""
    return ((c * FOLLOW_MUL) & 0xFFFFFFFF) >> 26


def _maybe(bloom: np.ndarray, bbits: int, key: int) -> bool:
    """Whether the Bloom filter may hold `key` (as `lmtables.maybe`)."""
    h = np.uint64(key) * np.uint64(BLOOM_MUL1)
    h ^= h >> np.uint64(31)
    h *= np.uint64(BLOOM_MUL2)
    one, six = np.uint64(1), np.uint64(63)
    want = (one << ((h >> np.uint64(8)) & six)) | (one << ((h >> np.uint64(14)) & six))
    want |= one << ((h >> np.uint64(20)) & six)
    return (bloom[np.int64(h >> np.uint64(64 - bbits))] & want) == want


def _find(slots: np.ndarray, bits: int, bloom: np.ndarray, bbits: int, key: int) -> int:
    """Slot of `key` in a packed table, or -1 (most absent keys the filter rules out)."""
    if not _maybe(bloom, bbits, key):
        return -1
    mask = (1 << bits) - 1
    h = np.int64((np.uint64(key) * np.uint64(HASH_MUL)) >> np.uint64(64 - bits))
    while True:
        k = slots[h, 0]
        if k == key:
            return int(h)
        if k == EMPTY:
            return -1
        h = (h + 1) & mask


def _score(t: tuple[Any, ...], a: int, b: int, c: int, shift: int) -> float:
    """log P(c | a b), as `Model.score`."""
    uni, bow1, bik, bif, bib, bil, bilb, b2k, b2f, b2b, b2l, b2lb = t[:12]
    trk, trf, trb, trl, trlb = t[12:17]
    ab = (a << shift) | b
    j = _find(b2k, b2b, b2l, b2lb, ab)
    i = -1  # the trigram (ab, c); the context's filter may rule it out
    if j < 0 or (b2k[j, 2] >> _follow_bit(c)) & 1:
        i = _find(trk, trb, trl, trlb, (ab << shift) | c)
    if i >= 0:
        return trf[i, 1]
    back = b2f[j, 1] if j >= 0 else 0.0
    i = _find(bik, bib, bil, bilb, (b << shift) | c)
    if i >= 0:
        return back + bif[i, 1]
    return back + bow1[b] + uni[c]


def _bigram(
    uni: np.ndarray,
    bow1: np.ndarray,
    bik: np.ndarray,
    bif: np.ndarray,
    bib: int,
    bil: np.ndarray,
    bilb: int,
    b: int,
    c: int,
    shift: int,
) -> float:
    """bi.get(b c, bow1[b] + uni[c]), the bigram back-off score as the reference writes it."""
    i = _find(bik, bib, bil, bilb, (b << shift) | c)
    if i >= 0:
        return bif[i, 1]
    return bow1[b] + uni[c]


def _kernel(
    t: tuple[Any, ...],
    off: np.ndarray,
    ids: np.ndarray,
    costs: np.ndarray,
    slot_set: np.ndarray,
    sent: np.ndarray,
    bos: int,
    eos: int,
    shift: int,
    beam_width: int,
    margin: float,
    keep_each: int,
    chosen: np.ndarray,
    post: np.ndarray,
    order: np.ndarray,
    post_off: np.ndarray,
) -> None:
    """Beam search of every sentence, then the posteriors of each slot's candidates
    (`order`: each slot's candidate indices, most likely first, ties in candidate order)."""
    uni, bow1, bik, bif, bib, bil, bilb = t[:7]
    b2k, b2v, b2b, b2l, b2lb = t[7:12]
    trk, trv, trb, trl, trlb = t[12:17]
    max_nc = 1
    for j in range(len(off) - 1):
        max_nc = max(max_nc, off[j + 1] - off[j])
    # each candidate's place among its set's distinct ids (a repeated id shares the place
    # of its first occurrence): the reference keeps one beam state per word
    pos = np.empty(len(ids), np.int64)
    for j in range(len(off) - 1):
        places = 0
        for k in range(off[j], off[j + 1]):
            pos[k] = -1
            for y in range(off[j], k):
                if ids[y] == ids[k]:
                    pos[k] = pos[y]
                    break
            if pos[k] < 0:
                pos[k] = places
                places += 1
    cap = (beam_width + max_nc + 1) * max_nc + 1
    # the beam of the current slot: previous word, word, score, index into history
    beam_a = np.empty(cap, np.int64)
    beam_b = np.empty(cap, np.int64)
    beam_s = np.empty(cap, np.float64)
    beam_h = np.empty(cap, np.int64)
    # candidates for the next beam, in the order the reference's dict would hold them
    nxt_b = np.empty(cap, np.int64)
    nxt_c = np.empty(cap, np.int64)
    nxt_s = np.empty(cap, np.float64)
    nxt_k = np.empty(cap, np.int64)
    nxt_p = np.empty(cap, np.int64)
    keep = np.empty(cap, np.int64)
    ranked = np.empty(cap, np.int64)
    group_of = np.empty(cap, np.int64)
    low = np.empty(max_nc, np.float64)
    cbit = np.empty(max_nc, np.int64)
    best = np.empty(max_nc, np.float64)
    arg = np.empty(max_nc, np.int64)
    intop = np.zeros(cap, np.bool_)
    taken = np.empty(max_nc, np.bool_)
    best_x = np.empty(max_nc, np.int64)
    extra = np.empty(max_nc, np.int64)
    # history of kept states (candidate index, the state before it) of one sentence
    longest = 1
    for s in range(len(sent) - 1):
        longest = max(longest, sent[s + 1] - sent[s])
    hist_cap = longest * (beam_width + max_nc + 1) + 1
    hist_k = np.empty(hist_cap, np.int64)
    hist_prev = np.empty(hist_cap, np.int64)
    first = np.empty(max_nc, np.float64)
    second = np.empty(max_nc, np.float64)
    third = np.empty(max_nc, np.float64)
    ninf = -np.inf
    for s in range(len(sent) - 1):
        lo, hi = sent[s], sent[s + 1]
        m = 1
        beam_a[0] = bos
        beam_b[0] = bos
        beam_s[0] = 0.0
        beam_h[0] = -1
        n_hist = 0
        for slot in range(lo, hi):
            j = slot_set[slot]
            c0 = off[j]
            nc = off[j + 1] - c0
            # group the states by their last word, groups in order of first appearance
            n_groups = 0
            for x in range(m):
                g = -1
                for y in range(x):
                    if beam_b[y] == beam_b[x]:
                        g = group_of[y]
                        break
                if g < 0:
                    g = n_groups
                    n_groups += 1
                group_of[x] = g
            n_nxt = 0
            for g in range(n_groups):
                b = -1
                for x in range(m):
                    if group_of[x] == g:
                        b = beam_b[x]
                        break
                for k in range(nc):
                    low[k] = (
                        _bigram(uni, bow1, bik, bif, bib, bil, bilb, b, ids[c0 + k], shift)
                        - costs[c0 + k]
                    )
                    cbit[k] = _follow_bit(ids[c0 + k])
                    best[k] = ninf
                    arg[k] = 0
                unseen_s = ninf
                unseen_x = -1
                for x in range(m):
                    if group_of[x] != g:
                        continue
                    sc = beam_s[x]
                    ab = (beam_a[x] << shift) | b
                    i2 = _find(b2k, b2b, b2l, b2lb, ab)
                    if i2 < 0:
                        if sc > unseen_s:
                            unseen_s = sc
                            unseen_x = x
                        continue
                    b2 = b2v[i2, 1]
                    follow = b2k[i2, 2]
                    abs_ = ab << shift
                    for k in range(nc):
                        i3 = -1
                        if (follow >> cbit[k]) & 1:
                            i3 = _find(trk, trb, trl, trlb, abs_ | ids[c0 + k])
                        v = sc + (b2 + low[k] if i3 < 0 else trv[i3, 1] - costs[c0 + k])
                        if v > best[k]:
                            best[k] = v
                            arg[k] = x
                group_base = n_nxt
                for k in range(nc):
                    if unseen_x >= 0 and unseen_s + low[k] > best[k]:
                        best[k] = unseen_s + low[k]
                        arg[k] = unseen_x
                    p = pos[c0 + k]
                    if p == n_nxt - group_base:  # the id's first occurrence: a new state
                        at = n_nxt
                        n_nxt += 1
                        nxt_b[at] = b
                        nxt_c[at] = ids[c0 + k]
                        nxt_s[at] = best[k]
                        nxt_k[at] = k
                        nxt_p[at] = arg[k]
                    else:
                        at = group_base + p
                        if best[k] > nxt_s[at]:
                            nxt_s[at] = best[k]
                            nxt_k[at] = k
                            nxt_p[at] = arg[k]
            # prune: the MARGIN floor, then the best BEAM, then each candidate's best
            n_keep = 0
            if n_nxt > 1:
                top = nxt_s[0]
                for x in range(1, n_nxt):
                    if nxt_s[x] > top:
                        top = nxt_s[x]
                floor = top - margin
                for x in range(n_nxt):
                    if nxt_s[x] >= floor:
                        keep[n_keep] = x
                        n_keep += 1
                if n_keep > beam_width:
                    # the best BEAM, best first, equal scores in their order (a bounded
                    # insertion: the reference sorts them all, stably)
                    n_top = 0
                    for x in range(n_keep):
                        e = keep[x]
                        intop[e] = False
                        v = nxt_s[e]
                        y = n_top
                        while y > 0 and nxt_s[ranked[y - 1]] < v:
                            if y < beam_width:
                                ranked[y] = ranked[y - 1]
                            y -= 1
                        if y < beam_width:
                            ranked[y] = e
                            if n_top < beam_width:
                                n_top += 1
                    n_extra = 0
                    if keep_each:
                        # every other candidate keeps its best state (the first of its
                        # states in the reference's sorted order), in that order
                        for k in range(nc):
                            taken[k] = False
                            best_x[k] = -1
                        for x in range(beam_width):
                            intop[ranked[x]] = True
                            taken[pos[c0 + nxt_k[ranked[x]]]] = True
                        for x in range(n_keep):
                            e = keep[x]
                            p = pos[c0 + nxt_k[e]]
                            if intop[e] or taken[p]:
                                continue
                            if best_x[p] < 0 or nxt_s[e] > nxt_s[best_x[p]]:
                                best_x[p] = e
                        for k in range(nc):
                            e = best_x[k]
                            if e < 0:
                                continue
                            v = nxt_s[e]
                            y = n_extra
                            while y > 0 and (
                                nxt_s[extra[y - 1]] < v
                                or (nxt_s[extra[y - 1]] == v and extra[y - 1] > e)
                            ):
                                extra[y] = extra[y - 1]
                                y -= 1
                            extra[y] = e
                            n_extra += 1
                    for x in range(beam_width):
                        keep[x] = ranked[x]
                    for x in range(n_extra):
                        keep[beam_width + x] = extra[x]
                    n_keep = beam_width + n_extra
            else:
                for x in range(n_nxt):
                    keep[x] = x
                n_keep = n_nxt
            # the new beam, each state remembering its candidate and its predecessor (an
            # index into the old beam, turned into a history index before that is overwritten)
            for x in range(n_keep):
                e = keep[x]
                hist_k[n_hist + x] = nxt_k[e]
                hist_prev[n_hist + x] = beam_h[nxt_p[e]]
            for x in range(n_keep):
                e = keep[x]
                beam_a[x] = nxt_b[e]
                beam_b[x] = nxt_c[e]
                beam_s[x] = nxt_s[e]
                beam_h[x] = n_hist + x
            n_hist += n_keep
            m = n_keep
        # the best final state, with the end of sentence scored; then trace back
        fin = 0
        fin_v = ninf
        for x in range(m):
            v = beam_s[x] + _score(t, beam_a[x], beam_b[x], eos, shift)
            if v > fin_v:
                fin_v = v
                fin = x
        h = beam_h[fin]
        for slot in range(hi - 1, lo - 1, -1):
            chosen[slot] = hist_k[h]
            h = hist_prev[h]
        # posteriors of each slot's candidates given the chosen neighbours
        for i in range(lo, hi):
            j = slot_set[i]
            c0 = off[j]
            nc = off[j + 1] - c0
            po = post_off[i]
            if nc == 1:
                post[po] = 1.0
                order[po] = 0
                continue
            a = _word(ids, off, slot_set, chosen, i - 2, lo, hi, bos, eos)
            b = _word(ids, off, slot_set, chosen, i - 1, lo, hi, bos, eos)
            d = _word(ids, off, slot_set, chosen, i + 1, lo, hi, bos, eos)
            e = _word(ids, off, slot_set, chosen, i + 2, lo, hi, bos, eos)
            ab = (a << shift) | b
            j_ab = _find(b2k, b2b, b2l, b2lb, ab)
            b2 = b2v[j_ab, 1] if j_ab >= 0 else 0.0
            for k in range(nc):
                c = ids[c0 + k]
                i3 = -1  # the trigram (ab, c); the context's filter may rule it out
                if j_ab < 0 or (b2k[j_ab, 2] >> _follow_bit(c)) & 1:
                    i3 = _find(trk, trb, trl, trlb, (ab << shift) | c)
                first[k] = (
                    b2 + _bigram(uni, bow1, bik, bif, bib, bil, bilb, b, c, shift)
                    if i3 < 0
                    else trv[i3, 1]
                )
                bc = (b << shift) | c
                i2 = _find(b2k, b2b, b2l, b2lb, bc)
                i3 = -1  # the trigram (bc, d); the context's filter may rule it out
                if i2 < 0 or (b2k[i2, 2] >> _follow_bit(d)) & 1:
                    i3 = _find(trk, trb, trl, trlb, (bc << shift) | d)
                if i3 < 0:
                    second[k] = (b2v[i2, 1] if i2 >= 0 else 0.0) + _bigram(
                        uni, bow1, bik, bif, bib, bil, bilb, c, d, shift
                    )
                else:
                    second[k] = trv[i3, 1]
            has_e = i + 1 < hi
            if has_e:
                de = _bigram(uni, bow1, bik, bif, bib, bil, bilb, d, e, shift)
                for k in range(nc):
                    cd = (ids[c0 + k] << shift) | d
                    i2 = _find(b2k, b2b, b2l, b2lb, cd)
                    i3 = -1  # the trigram (cd, e); the context's filter may rule it out
                    if i2 < 0 or (b2k[i2, 2] >> _follow_bit(e)) & 1:
                        i3 = _find(trk, trb, trl, trlb, (cd << shift) | e)
                    if i3 < 0:
                        third[k] = (b2v[i2, 1] if i2 >= 0 else 0.0) + de
                    else:
                        third[k] = trv[i3, 1]
            top = ninf
            for k in range(nc):
                v = first[k]
                v += second[k] - costs[c0 + k]
                if has_e:
                    v += third[k]
                first[k] = v
                if v > top:
                    top = v
            z = 0.0
            for k in range(nc):
                first[k] = np.exp(first[k] - top)
                z += first[k]
            for k in range(nc):
                v = first[k] / z
                post[po + k] = v
                y = k
                while y > 0 and post[po + order[po + y - 1]] < v:
                    order[po + y] = order[po + y - 1]
                    y -= 1
                order[po + y] = k


def _word(
    ids: np.ndarray,
    off: np.ndarray,
    slot_set: np.ndarray,
    chosen: np.ndarray,
    j: int,
    lo: int,
    hi: int,
    bos: int,
    eos: int,
) -> int:
    """The chosen id of slot j of the sentence lo:hi (<s> before it, </s> after it)."""
    if j < lo:
        return bos
    if j >= hi:
        return eos
    return int(ids[off[slot_set[j]] + chosen[j]])


# ------------------------------------------------------------------ compiling


def _setup(jit: Jit) -> Callable[..., Any]:
    # helpers are rebound to their compiled versions so that the kernel calls those;
    # not inlined at numba's level (LLVM inlines them anyway): numba-level inlining of
    # helpers taking arrays put atomic reference counting in the innermost loops
    g = globals()
    for name in ("_maybe", "_find", "_follow_bit", "_score", "_bigram", "_word"):
        g[name] = jit(g[name], False)
    return jit(_kernel, False)


def kernel() -> Callable[..., Any] | None:
    """The compiled kernel (see pipeline.jit), or None without numba."""
    return compiled("decode", _setup)


def available() -> bool:
    """Whether the compiled kernel can be used."""
    return kernel() is not None


def decode(
    tables: Tables,
    lat: Lattice,
    bos: int,
    eos: int,
    shift: int,
    beam: int,
    margin: float,
    keep_each: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Chosen candidate per slot; posterior per slot candidate, the candidates of each slot
    by falling posterior, and each slot's offset into these two."""
    run = kernel()
    if run is None:
        raise RuntimeError("the compiled decoder needs numba")
    sizes = lat.off[1:][lat.slot_set] - lat.off[:-1][lat.slot_set]
    post_off = np.zeros(len(lat.slot_set) + 1, dtype=np.int64)
    np.cumsum(sizes, out=post_off[1:])
    chosen = np.zeros(len(lat.slot_set), dtype=np.int64)
    post = np.empty(int(post_off[-1]), dtype=np.float64)
    order = np.empty(int(post_off[-1]), dtype=np.int64)
    t: tuple[Any, ...] = (tables.uni, tables.bow1)
    for h in (tables.bi, tables.bow2, tables.tri):
        t += (h.slots, h.floats, h.bits, *h.bloom)
    run(
        t, lat.off, lat.ids, lat.costs, lat.slot_set, lat.sent, bos, eos, shift, beam,
        margin, keep_each, chosen, post, order, post_off,
    )  # fmt: skip
    _settle()
    return chosen, post, order, post_off


_SETTLED: list[bool] = []


def _settle() -> None:
    """Once the kernel has run (numba imported, the kernel compiled or loaded from the
    on-disk cache), keep the objects that made it out of the collector's full passes,
    as pipeline.lm does for the model: they live as long as the process, and walking
    them cost ~30 ms a full pass, one or two per page of OCR text restored."""
    if not _SETTLED:
        _SETTLED.append(True)
        gc.collect()
        gc.freeze()
