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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.jit import Jit, compiled
from pipeline.lmtables import EMPTY, FOLLOW_MUL, HASH_MUL, Tables


@dataclass
class Lattice:
    """A document's candidates, flattened: distinct candidate sets, then slots naming them.

    Set j holds ids[off[j]:off[j+1]] with costs; `pos` gives each candidate's place among
    the set's distinct ids (a repeated id shares the place of its first occurrence).
    Sentence s is slots slot_set[sent[s]:sent[s+1]].
    """

    off: np.ndarray
    ids: np.ndarray
    costs: np.ndarray
    pos: np.ndarray
    slot_set: np.ndarray
    sent: np.ndarray


_Set = tuple[Sequence[int], Sequence[float], np.ndarray, np.ndarray, np.ndarray]
_SETS: dict[tuple[int, int], _Set] = {}  # by the ids of (ids, costs), which it keeps alive
MAX_SETS = 100_000


def _set_arrays(ids: Sequence[int], costs: Sequence[float]) -> _Set:
    """(ids, costs, and as arrays: ids, costs, places) of one candidate set, cached: the
    restore stage shares one (ids, costs) pair among all slots of a word."""
    key = (id(ids), id(costs))
    hit = _SETS.get(key)
    if hit is not None and hit[0] is ids and hit[1] is costs:
        return hit
    if len(set(ids)) == len(ids):
        pos = np.arange(len(ids), dtype=np.int64)
    else:
        first: dict[int, int] = {}
        pos = np.asarray([first.setdefault(i, len(first)) for i in ids], dtype=np.int64)
    made = (
        ids,
        costs,
        np.asarray(ids, dtype=np.int64),
        np.asarray(costs, dtype=np.float64),
        pos,
    )
    if len(_SETS) >= MAX_SETS:
        _SETS.clear()
    _SETS[key] = made
    return made


def lattice(
    sets: Sequence[tuple[Sequence[int], Sequence[float]]],
    slot_set: Sequence[int],
    sent: Sequence[int],
) -> Lattice:
    """Flatten candidate sets (ids, costs), the set of each slot, and sentence offsets."""
    parts = [_set_arrays(ids, costs) for ids, costs in sets]
    off = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum([len(p[0]) for p in parts], out=off[1:])

    def flat(i: int, dtype: type) -> np.ndarray:
        return np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, dtype=dtype)

    return Lattice(
        off,
        flat(2, np.int64),
        flat(3, np.float64),
        flat(4, np.int64),
        np.asarray(slot_set, dtype=np.int64),
        np.asarray(sent, dtype=np.int64),
    )


# ------------------------------------------------------------------ the kernel


def _follow_bit(c: int) -> int:
    """Bit of word c in a context's filter (as `lmtables.follow_bits`)."""
    return ((c * FOLLOW_MUL) & 0xFFFFFFFF) >> 26


def _find(slots: np.ndarray, bits: int, key: int) -> int:
    """Slot of `key` in a packed table, or -1."""
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
    uni, bow1, bi, bif, bib, b2, b2f, b2b, tr, trf, trb = t
    ab = (a << shift) | b
    j = _find(b2, b2b, ab)
    i = _trigram(tr, trb, b2, j, ab, c, shift)
    if i >= 0:
        return trf[i, 1]
    back = b2f[j, 1] if j >= 0 else 0.0
    i = _find(bi, bib, (b << shift) | c)
    if i >= 0:
        return back + bif[i, 1]
    return back + bow1[b] + uni[c]


def _trigram(tr: np.ndarray, trb: int, b2: np.ndarray, j: int, ab: int, c: int, shift: int) -> int:
    """Slot of trigram (ab, c), or -1; j is the slot of context ab in the back-off table
    (-1 when absent: then only the look-up can tell), whose filter may answer at once."""
    if j >= 0 and not (b2[j, 2] >> _follow_bit(c)) & 1:
        return -1
    return _find(tr, trb, (ab << shift) | c)


def _bigram(t: tuple[Any, ...], b: int, c: int, shift: int) -> float:
    """bi.get(b c, bow1[b] + uni[c]), the bigram back-off score as the reference writes it."""
    uni, bow1, bi, bif, bib = t[0], t[1], t[2], t[3], t[4]
    i = _find(bi, bib, (b << shift) | c)
    if i >= 0:
        return bif[i, 1]
    return bow1[b] + uni[c]


def _kernel(
    t: tuple[Any, ...],
    off: np.ndarray,
    ids: np.ndarray,
    costs: np.ndarray,
    pos: np.ndarray,
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
    b2k, b2v, b2b, trk, trv, trb = t[5], t[6], t[7], t[8], t[9], t[10]
    max_nc = 1
    for j in range(len(off) - 1):
        max_nc = max(max_nc, off[j + 1] - off[j])
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
    seen = np.empty(cap, np.int64)
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
                    low[k] = _bigram(t, b, ids[c0 + k], shift) - costs[c0 + k]
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
                    i2 = _find(b2k, b2b, ab)
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
                            i3 = _find(trk, trb, abs_ | ids[c0 + k])
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
                    # stable sort, best first (equal scores keep their order)
                    for x in range(n_keep):
                        v = nxt_s[keep[x]]
                        y = x
                        while y > 0 and nxt_s[ranked[y - 1]] < v:
                            ranked[y] = ranked[y - 1]
                            y -= 1
                        ranked[y] = keep[x]
                    n_ranked = n_keep
                    n_keep = beam_width
                    for x in range(beam_width):
                        keep[x] = ranked[x]
                    if keep_each:
                        n_seen = 0
                        for x in range(beam_width):
                            seen[n_seen] = nxt_c[ranked[x]]
                            n_seen += 1
                        for x in range(beam_width, n_ranked):
                            c = nxt_c[ranked[x]]
                            dup = False
                            for y in range(n_seen):
                                if seen[y] == c:
                                    dup = True
                                    break
                            if not dup:
                                seen[n_seen] = c
                                n_seen += 1
                                keep[n_keep] = ranked[x]
                                n_keep += 1
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
            j_ab = _find(b2k, b2b, ab)
            b2 = b2v[j_ab, 1] if j_ab >= 0 else 0.0
            for k in range(nc):
                c = ids[c0 + k]
                i3 = _trigram(trk, trb, b2k, j_ab, ab, c, shift)
                first[k] = b2 + _bigram(t, b, c, shift) if i3 < 0 else trv[i3, 1]
                bc = (b << shift) | c
                i2 = _find(b2k, b2b, bc)
                i3 = _trigram(trk, trb, b2k, i2, bc, d, shift)
                if i3 < 0:
                    second[k] = (b2v[i2, 1] if i2 >= 0 else 0.0) + _bigram(t, c, d, shift)
                else:
                    second[k] = trv[i3, 1]
            has_e = i + 1 < hi
            if has_e:
                de = _bigram(t, d, e, shift)
                for k in range(nc):
                    cd = (ids[c0 + k] << shift) | d
                    i2 = _find(b2k, b2b, cd)
                    i3 = _trigram(trk, trb, b2k, i2, cd, e, shift)
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
    # helpers are rebound to their compiled versions so that the kernel calls those
    g = globals()
    for name in ("_find", "_follow_bit", "_trigram", "_score", "_bigram", "_word"):
        g[name] = jit(g[name], True)
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
        t += (h.slots, h.floats, h.bits)
    run(
        t, lat.off, lat.ids, lat.costs, lat.pos, lat.slot_set, lat.sent, bos, eos, shift, beam,
        margin, keep_each, chosen, post, order, post_off,
    )  # fmt: skip
    return chosen, post, order, post_off
