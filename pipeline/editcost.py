"""Compiled weighted edit distance of the OCR noisy channel (pipeline.candidates).

For an OCR token, candidate generation prices the edit from its skeleton to every
syllable skeleton within two plain edits: often a hundred or more per token, which in
Python is most of the time spent on a new OCR token. `edit_costs` prices them all in one
call of a numba kernel that runs the same dynamic programme, operation for operation, as
`pipeline.candidates._edit_cost` (same float sums, same pruning), so the costs are equal.
`nearest_at` does a token's whole search in one call: the skeletons within two plain edits
of its queries (`_within_kernel`, bit-parallel, behind a letter-set test that rules out
most skeletons at once), priced, and the ten cheapest picked; `nearest_many` does it for
all the new tokens of a text in one call, building each token's rules itself, since the
Python around a call per token cost more than the search. A query that is itself a
skeleton (most OCR words are read right but for their marks) takes its neighbours from a
table of every skeleton's neighbours, built once per skeleton list (`_neighbours`, some
25 ms): only the misread ones are searched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pipeline.jit import Jit, compiled, warm

Rules = Sequence[Sequence[tuple[int, str, float]]]


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def _kernel(
    ocr: np.ndarray,
    rule_off: np.ndarray,
    rule_k: np.ndarray,
    rule_cost: np.ndarray,
    rule_t_off: np.ndarray,
    rule_t: np.ndarray,
    ins_chars: np.ndarray,
    ins_costs: np.ndarray,
    true: np.ndarray,
    true_off: np.ndarray,
    pick: np.ndarray,
    max_edit: float,
    out: np.ndarray,
) -> None:
    """out[x] = weighted edit cost from `ocr` to the true skeleton number pick[x]."""
    n = len(ocr)
    longest = 0
    for x in range(len(pick)):
        longest = max(longest, true_off[pick[x] + 1] - true_off[pick[x]])
    dist = np.empty((n + 1, longest + 1), np.float64)
    ins_at = np.empty(longest + 1, np.float64)
    for x in range(len(pick)):
        out[x] = _price(
            ocr, rule_off, rule_k, rule_cost, rule_t_off, rule_t, ins_chars, ins_costs, true,
            true_off[pick[x]], true_off[pick[x] + 1], max_edit, dist, ins_at,
        )  # fmt: skip


def _price(
    ocr: np.ndarray,
    rule_off: np.ndarray,
    rule_k: np.ndarray,
    rule_cost: np.ndarray,
    rule_t_off: np.ndarray,
    rule_t: np.ndarray,
    ins_chars: np.ndarray,
    ins_costs: np.ndarray,
    true: np.ndarray,
    t0: int,
    t1: int,
    max_edit: float,
    dist: np.ndarray,
    ins_at: np.ndarray,
) -> float:
    """The weighted edit cost from `ocr` to true[t0:t1] (`dist` and `ins_at` are room
    for the work). Cells above `max_edit` are not extended: a cost above it comes out
    as some value above it, since no step costs less than nothing."""
    n = len(ocr)
    m = t1 - t0
    for j in range(m):  # the cost of inserting each letter of this skeleton
        ins = 1.0
        ch = true[t0 + j]
        for y in range(len(ins_chars)):
            if ins_chars[y] == ch:
                ins = ins_costs[y]
        ins_at[j] = ins
    for i in range(n + 1):
        for j in range(m + 1):
            dist[i, j] = 99.0
    dist[0, 0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            d = dist[i, j]
            if d > max_edit:
                continue
            if i < n:
                if j < m:
                    step = d if ocr[i] == true[t0 + j] else d + 1.0
                    if step < dist[i + 1, j + 1]:
                        dist[i + 1, j + 1] = step
                if d + 1.0 < dist[i + 1, j]:
                    dist[i + 1, j] = d + 1.0
            if j < m:
                c = d + ins_at[j]
                if c < dist[i, j + 1]:
                    dist[i, j + 1] = c
            for r in range(rule_off[i], rule_off[i + 1]):
                s0 = rule_t_off[r]
                tl = rule_t_off[r + 1] - s0
                if j + tl > m:
                    continue
                same = True
                for y in range(tl):
                    if true[t0 + j + y] != rule_t[s0 + y]:
                        same = False
                        break
                if same and d + rule_cost[r] < dist[i + rule_k[r], j + tl]:
                    dist[i + rule_k[r], j + tl] = d + rule_cost[r]
    return float(dist[n, m])


def _bind(jit: Jit, *names: str) -> Callable[..., Any]:
    """Rebind the named functions to their compiled versions (once; compiled functions
    call each other's compiled versions); returns the last."""
    g = globals()
    for name in names:
        if not hasattr(g[name], "py_func"):
            g[name] = jit(g[name], False)
    fn: Callable[..., Any] = g[names[-1]]
    return fn


def _setup(jit: Jit) -> Callable[..., Any]:
    return _bind(jit, "_price", "_kernel")


def _rule_arrays(rules: Rules, inserts: dict[str, float]) -> tuple[np.ndarray, ...]:
    """The rules and letter insertions as the kernel's arrays."""
    rule_off = [0]
    rule_k: list[int] = []
    rule_cost: list[float] = []
    rule_t_off = [0]
    rule_t = ""
    for here in rules:
        for k, t, cost in here:
            rule_k.append(k)
            rule_cost.append(cost)
            rule_t += t
            rule_t_off.append(len(rule_t))
        rule_off.append(len(rule_k))
    ins = [(c, v) for c, v in inserts.items() if len(c) == 1]  # only letters are looked up
    return (
        np.asarray(rule_off, dtype=np.int64),
        np.asarray(rule_k, dtype=np.int64),
        np.asarray(rule_cost, dtype=np.float64),
        np.asarray(rule_t_off, dtype=np.int64),
        _codes(rule_t),
        np.asarray([ord(c) for c, _ in ins], dtype=np.int64),
        np.asarray([v for _, v in ins], dtype=np.float64),
    )


def edit_costs(
    ocr: str,
    others: Sequence[str],
    rules: Rules,
    inserts: dict[str, float],
    max_edit: float,
    force: bool = False,
) -> list[float] | None:
    """The cost of each of `others` (as `candidates._edit_cost`), or None when the caller
    should price them in Python: no numba, or not worth starting it yet (`jit.warm`)."""
    if not (force or warm()):
        return None
    run = compiled("editcost", _setup)
    if run is None:
        return None
    if not others:
        return []
    true_off = np.zeros(len(others) + 1, dtype=np.int64)
    np.cumsum([len(o) for o in others], out=true_off[1:])
    out = np.empty(len(others), dtype=np.float64)
    pick = np.arange(len(others), dtype=np.int64)
    arrays = _rule_arrays(rules, inserts)
    run(_codes(ocr), *arrays, _codes("".join(others)), true_off, pick, max_edit, out)
    costs: list[float] = out.tolist()
    return costs


# ------------------------------------------------------------------ neighbour search


def _letter_mask(codes: np.ndarray, lo: int, hi: int) -> np.uint64:
    """The characters of codes[lo:hi] as a set: bit (code % 64) for each."""
    mask = np.uint64(0)
    for i in range(lo, hi):
        mask |= np.uint64(1) << np.uint64(codes[i] % 64)
    return mask


def _more_bits(x: np.uint64, limit: int) -> bool:
    """Whether x has more than `limit` bits set."""
    for _ in range(limit):
        x &= x - np.uint64(1)
    return x != np.uint64(0)


def _within_kernel(
    query: np.ndarray,
    codes: np.ndarray,
    off: np.ndarray,
    letters: np.ndarray,
    limit: int,
    out: np.ndarray,
) -> int:
    """Indices (into `out`) of the strings within Levenshtein distance `limit` of `query`,
    by the bit-parallel algorithm of Myers (1999) in Hyyrö's form; returns their count.

    `letters` holds each string's `_letter_mask`: a string that lacks more than `limit`
    of the query's characters, or has more than `limit` the query lacks, is farther (each
    edit mends at most one of each), so most strings cost no more than that test.
    """
    m = len(query)
    own = _letter_mask(query, 0, m)
    # where each character occurs in the query (bit i: position i): ASCII in a table,
    # the others in a short list
    ascii_masks = np.zeros(128, np.uint64)
    chars = np.empty(m, np.int64)
    masks = np.zeros(m, np.uint64)
    n_chars = 0
    for i in range(m):
        if query[i] < 128:
            ascii_masks[query[i]] |= np.uint64(1) << np.uint64(i)
            continue
        at = -1
        for y in range(n_chars):
            if chars[y] == query[i]:
                at = y
                break
        if at < 0:
            at = n_chars
            chars[at] = query[i]
            n_chars += 1
        masks[at] |= np.uint64(1) << np.uint64(i)
    full = (np.uint64(1) << np.uint64(m)) - np.uint64(1) if m < 64 else ~np.uint64(0)
    top = np.uint64(1) << np.uint64(m - 1) if m > 0 else np.uint64(0)
    one = np.uint64(1)
    found = 0
    for x in range(len(off) - 1):
        t0 = off[x]
        n = off[x + 1] - t0
        if n - m > limit or m - n > limit:
            continue
        if _more_bits(own & ~letters[x], limit) or _more_bits(letters[x] & ~own, limit):
            continue
        if m == 0:
            if n <= limit:
                out[found] = x
                found += 1
            continue
        vp = full
        vn = np.uint64(0)
        score = m
        for j in range(n):
            ch = codes[t0 + j]
            if ch < 128:
                eq = ascii_masks[ch]
            else:
                eq = np.uint64(0)
                for y in range(n_chars):
                    if chars[y] == ch:
                        eq = masks[y]
                        break
            xv = eq | vn
            xh = (((eq & vp) + vp) & full ^ vp) | eq
            hp = vn | (~(xh | vp) & full)
            hn = vp & xh
            if hp & top:
                score += 1
            elif hn & top:
                score -= 1
            hp = ((hp << one) | one) & full
            hn = (hn << one) & full
            vp = hn | (~(xv | hp) & full)
            vn = hp & xv
        if score <= limit:
            out[found] = x
            found += 1
    return found


def _setup_within(jit: Jit) -> Callable[..., Any]:
    return _bind(jit, "_letter_mask", "_more_bits", "_within_kernel")


# ------------------------------------------------------------------ both at once


def _nearest_kernel(
    queries: np.ndarray,
    q_off: np.ndarray,
    limits: np.ndarray,
    codes: np.ndarray,
    off: np.ndarray,
    letters: np.ndarray,
    rank: np.ndarray,
    own: int,
    ocr: np.ndarray,
    rule_off: np.ndarray,
    rule_k: np.ndarray,
    rule_cost: np.ndarray,
    rule_t_off: np.ndarray,
    rule_t: np.ndarray,
    ins_chars: np.ndarray,
    ins_costs: np.ndarray,
    max_edit: float,
    out_idx: np.ndarray,
    out_cost: np.ndarray,
    q_names: np.ndarray,
    nb_off: np.ndarray,
    nb_idx: np.ndarray,
) -> int:
    """The strings within `limits[q]` plain edits of some query q (but string `own`),
    priced from `ocr` (`_kernel`); of those within `max_edit`, the len(out_idx) cheapest
    (ties: lower `rank` first) into out_idx/out_cost, cheapest first; returns how many.
    A query that is string q_names[q] (not -1) has its strings ready in nb_idx
    (`_neighbour_kernel`), the others are searched."""
    n_names = len(off) - 1
    hit = np.zeros(n_names, np.bool_)
    buf = np.empty(n_names, np.int64)
    for q in range(len(q_off) - 1):
        if q_names[q] >= 0:
            for y in range(nb_off[q_names[q]], nb_off[q_names[q] + 1]):
                hit[nb_idx[y]] = True
            continue
        query = queries[q_off[q] : q_off[q + 1]]
        count = _within_kernel(query, codes, off, letters, limits[q], buf)
        for y in range(count):
            hit[buf[y]] = True
    if own >= 0:
        hit[own] = False
    n_pick = 0
    for x in range(n_names):
        if hit[x]:
            buf[n_pick] = x
            n_pick += 1
    longest = 0
    for x in range(n_pick):
        longest = max(longest, off[buf[x] + 1] - off[buf[x]])
    dist = np.empty((len(ocr) + 1, longest + 1), np.float64)
    ins_at = np.empty(longest + 1, np.float64)
    top = len(out_idx)
    n = 0
    for x in range(n_pick):
        # once `top` are found, a string dearer than the dearest of them cannot enter:
        # its pricing may stop at that bound (the cheaper ones come out exact)
        bound = max_edit if n < top else min(max_edit, out_cost[top - 1])
        c = _price(
            ocr, rule_off, rule_k, rule_cost, rule_t_off, rule_t, ins_chars, ins_costs, codes,
            off[buf[x]], off[buf[x] + 1], bound, dist, ins_at,
        )  # fmt: skip
        if c > max_edit:
            continue
        r = rank[buf[x]]
        y = n
        while y > 0 and (
            out_cost[y - 1] > c or (out_cost[y - 1] == c and rank[out_idx[y - 1]] > r)
        ):
            if y < top:
                out_cost[y] = out_cost[y - 1]
                out_idx[y] = out_idx[y - 1]
            y -= 1
        if y < top:
            out_cost[y] = c
            out_idx[y] = buf[x]
            if n < top:
                n += 1
    return n


def _setup_nearest(jit: Jit) -> Callable[..., Any]:
    return _bind(jit, "_price", "_letter_mask", "_more_bits", "_within_kernel", "_nearest_kernel")


def _neighbour_kernel(
    codes: np.ndarray, off: np.ndarray, letters: np.ndarray, nb_off: np.ndarray
) -> np.ndarray:
    """Per string x, the strings within 1 (x of at most two letters) or 2 plain edits of
    it, ascending: nb_idx[nb_off[x]:nb_off[x+1]] of the array returned."""
    n_names = len(off) - 1
    buf = np.empty(n_names, np.int64)
    out = np.empty(16 * n_names + 1, np.int64)
    size = 0
    for x in range(n_names):
        n = off[x + 1] - off[x]
        count = _within_kernel(codes[off[x] : off[x + 1]], codes, off, letters, 1 + (n > 2), buf)
        if size + count > len(out):
            grown = np.empty(2 * (size + count), np.int64)
            grown[:size] = out[:size]
            out = grown
        out[size : size + count] = buf[:count]
        size += count
        nb_off[x + 1] = size
    return out[:size].copy()


def _setup_neighbours(jit: Jit) -> Callable[..., Any]:
    return _bind(jit, "_letter_mask", "_more_bits", "_within_kernel", "_neighbour_kernel")


_NEIGHBOURS: dict[int, tuple[Sequence[str], dict[str, int], np.ndarray, np.ndarray]] = {}


def _neighbours(names: Sequence[str]) -> tuple[dict[str, int], np.ndarray, np.ndarray] | None:
    """(string -> index, nb_off, nb_idx) of `_neighbour_kernel` for a list of strings,
    built once while it lives: a query that is one of them needs no search."""
    got = _NEIGHBOURS.get(id(names))
    if got is None or got[0] is not names:
        run = compiled("neighbours", _setup_neighbours)
        if run is None or any(len(n) > 63 for n in names):
            return None
        codes, off, letters = _encoded(names)
        nb_off = np.zeros(len(names) + 1, dtype=np.int64)
        nb_idx = run(codes, off, letters, nb_off)
        got = (names, {n: i for i, n in enumerate(names)}, nb_off, nb_idx)
        _NEIGHBOURS.clear()
        _NEIGHBOURS[id(names)] = got  # holds `names`, so its id stays its own
    return got[1], got[2], got[3]


def nearest_at(
    ocr: str,
    queries: Sequence[str],
    names: Sequence[str],
    rank: np.ndarray,
    own: int,
    rules: Rules,
    inserts: dict[str, float],
    max_edit: float,
    top: int,
) -> list[tuple[float, int]] | None:
    """The (cost, index into `names`) of the `top` cheapest names within two plain edits
    (one for a query of at most two letters) of some query, but names[own], priced as
    `edit_costs`, ties in `rank` order; None without compiled code (see `within_at`)."""
    if any(len(q) > 63 for q in queries) or not warm():
        return None
    run = compiled("nearest", _setup_nearest)
    if run is None:
        return None
    codes, off, letters = _encoded(names)
    q_off = np.zeros(len(queries) + 1, dtype=np.int64)
    np.cumsum([len(q) for q in queries], out=q_off[1:])
    limits = np.asarray([1 if len(q) <= 2 else 2 for q in queries], dtype=np.int64)
    out_idx = np.empty(top, dtype=np.int64)
    out_cost = np.empty(top, dtype=np.float64)
    n = run(
        _codes("".join(queries)), q_off, limits, codes, off, letters, rank, own, _codes(ocr),
        *_rule_arrays(rules, inserts), max_edit, out_idx, out_cost,
        np.full(len(queries), -1, dtype=np.int64), np.zeros(1, np.int64), np.zeros(0, np.int64),
    )  # fmt: skip
    return list(zip(out_cost[:n].tolist(), out_idx[:n].tolist(), strict=True))


_ENCODED: dict[int, tuple[Sequence[str], np.ndarray, np.ndarray, np.ndarray]] = {}


def _encoded(names: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(code points, offsets, letter masks) of a list of strings, kept while it lives."""
    enc = _ENCODED.get(id(names))
    if enc is None or enc[0] is not names:
        off = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum([len(n) for n in names], out=off[1:])
        masks = np.asarray([sum({1 << (ord(c) % 64) for c in n}) for n in names], dtype=np.uint64)
        enc = (names, _codes("".join(names)), off, masks)
        if len(_ENCODED) >= 4:
            _ENCODED.clear()
        _ENCODED[id(names)] = enc  # holds `names`, so its id stays its own
    return enc[1], enc[2], enc[3]


def within_at(query: str, names: Sequence[str], limit: int) -> np.ndarray | None:
    """Indices (ascending) of the names within Levenshtein distance `limit` of `query`
    (as rapidfuzz's `process.extract` with that cut-off), or None: no numba, not worth
    it yet, or a query too long for one machine word."""
    if len(query) > 63 or not warm():
        return None
    run = compiled("within", _setup_within)
    if run is None:
        return None
    codes, off, letters = _encoded(names)
    out = np.empty(len(names), dtype=np.int64)
    count = run(_codes(query), codes, off, letters, limit, out)
    return out[:count]


def within(query: str, names: Sequence[str], limit: int) -> list[str] | None:
    """The names within Levenshtein distance `limit` of `query`, or None (`within_at`)."""
    found = within_at(query, names, limit)
    return None if found is None else [names[i] for i in found.tolist()]


# ------------------------------------------------------------------ many tokens at once


def _batch_kernel(
    ocrs: np.ndarray,
    ocr_off: np.ndarray,
    queries: np.ndarray,
    q_off: np.ndarray,
    tok_q: np.ndarray,
    limits: np.ndarray,
    owns: np.ndarray,
    codes: np.ndarray,
    off: np.ndarray,
    letters: np.ndarray,
    rank: np.ndarray,
    src: np.ndarray,
    src_k: np.ndarray,
    tab_t_off: np.ndarray,
    tab_t: np.ndarray,
    tab_cost: np.ndarray,
    ins_chars: np.ndarray,
    ins_costs: np.ndarray,
    max_edit: float,
    out_idx: np.ndarray,
    out_cost: np.ndarray,
    out_n: np.ndarray,
    q_names: np.ndarray,
    nb_off: np.ndarray,
    nb_idx: np.ndarray,
) -> None:
    """`_nearest_kernel` for every token t: OCR skeleton ocrs[ocr_off[t]:ocr_off[t+1]],
    queries tok_q[t]..tok_q[t+1] (numbers into q_off), `owns[t]`; its rules (`_ocr_rules`)
    built here from the table entries (src[e] of src_k[e] letters -> tab_t[e], tab_cost[e]).
    The top results of token t go to row t of out_idx/out_cost, their count to out_n[t]."""
    n_tab = len(src_k)
    for t in range(len(owns)):
        ocr = ocrs[ocr_off[t] : ocr_off[t + 1]]
        n = len(ocr)
        rule_off = np.zeros(n + 2, np.int64)
        count = size = 0
        for step in range(2):  # count the rules, then fill them in
            if step == 1:
                rule_k = np.empty(count, np.int64)
                rule_cost = np.empty(count, np.float64)
                rule_t_off = np.zeros(count + 1, np.int64)
                rule_t = np.empty(size, np.int64)
            r = size = 0
            for i in range(n + 1):
                for k in range(1, 3):
                    for e in range(n_tab):
                        if i + k > n or src_k[e] != k or src[e, 0] != ocr[i]:
                            continue
                        if k == 2 and src[e, 1] != ocr[i + 1]:
                            continue
                        t0, t1 = tab_t_off[e], tab_t_off[e + 1]
                        if step == 1:
                            rule_k[r] = k
                            rule_cost[r] = tab_cost[e]
                            rule_t[size : size + t1 - t0] = tab_t[t0:t1]
                            rule_t_off[r + 1] = size + t1 - t0
                        r += 1
                        size += t1 - t0
                rule_off[i + 1] = r
            count = r
        lo, hi = tok_q[t], tok_q[t + 1]
        out_n[t] = _nearest_kernel(
            queries[q_off[lo] : q_off[hi]], q_off[lo : hi + 1] - q_off[lo], limits[lo:hi],
            codes, off, letters, rank, owns[t], ocr, rule_off, rule_k, rule_cost, rule_t_off,
            rule_t, ins_chars, ins_costs, max_edit, out_idx[t], out_cost[t], q_names[lo:hi],
            nb_off, nb_idx,
        )  # fmt: skip


def _setup_batch(jit: Jit) -> Callable[..., Any]:
    return _bind(
        jit, "_price", "_letter_mask", "_more_bits", "_within_kernel", "_nearest_kernel",
        "_batch_kernel",
    )  # fmt: skip


def _table_arrays(table: dict[str, list[tuple[str, float]]]) -> tuple[np.ndarray, ...]:
    """The one- and two-letter entries of a confusion table, and its letter insertions
    (the "" entry), as `_batch_kernel`'s arrays."""
    entries = [(s, t, c) for s, targets in table.items() if 1 <= len(s) <= 2 for t, c in targets]
    src = np.full((max(len(entries), 1), 2), -1, dtype=np.int64)
    for e, (s, _, _) in enumerate(entries):
        src[e, : len(s)] = [ord(c) for c in s]
    t_off = np.zeros(len(entries) + 1, dtype=np.int64)
    np.cumsum([len(t) for _, t, _ in entries], out=t_off[1:])
    ins = [(c, v) for c, v in table.get("", ()) if len(c) == 1]
    return (
        src,
        np.asarray([len(s) for s, _, _ in entries], dtype=np.int64),
        t_off,
        _codes("".join(t for _, t, _ in entries)),
        np.asarray([c for _, _, c in entries], dtype=np.float64),
        np.asarray([ord(c) for c, _ in ins], dtype=np.int64),
        np.asarray([v for _, v in ins], dtype=np.float64),
    )


def nearest_many(
    jobs: Sequence[tuple[str, Sequence[str], int]],
    names: Sequence[str],
    rank: np.ndarray,
    table: dict[str, list[tuple[str, float]]],
    max_edit: float,
    top: int,
) -> list[list[tuple[float, int]]] | None:
    """`nearest_at` for many (ocr, queries, own) at once, in one compiled call, with the
    rules and insertions of the confusion table `table`; None without compiled code."""
    if any(len(q) > 63 for _, qs, _ in jobs for q in qs) or not warm():
        return None
    run = compiled("nearest_many", _setup_batch)
    if run is None:
        return None
    codes, off, letters = _encoded(names)
    arrays = _TABLES.get(id(table))
    if arrays is None or arrays[0] is not table:
        arrays = (table, _table_arrays(table))
        _TABLES.clear()
        _TABLES[id(table)] = arrays
    ocrs = [o for o, _, _ in jobs]
    ocr_off = np.zeros(len(jobs) + 1, dtype=np.int64)
    np.cumsum([len(o) for o in ocrs], out=ocr_off[1:])
    flat = [q for _, qs, _ in jobs for q in qs]
    q_off = np.zeros(len(flat) + 1, dtype=np.int64)
    np.cumsum([len(q) for q in flat], out=q_off[1:])
    tok_q = np.zeros(len(jobs) + 1, dtype=np.int64)
    np.cumsum([len(qs) for _, qs, _ in jobs], out=tok_q[1:])
    limits = np.asarray([1 if len(q) <= 2 else 2 for q in flat], dtype=np.int64)
    owns = np.asarray([w for _, _, w in jobs], dtype=np.int64)
    out_idx = np.empty((len(jobs), top), dtype=np.int64)
    out_cost = np.empty((len(jobs), top), dtype=np.float64)
    out_n = np.zeros(len(jobs), dtype=np.int64)
    ready = _neighbours(names)
    if ready is None:
        q_names, nb_off, nb_idx = np.full(len(flat), -1, np.int64), np.zeros(1, np.int64), off[:0]
    else:
        where, nb_off, nb_idx = ready
        q_names = np.asarray([where.get(q, -1) for q in flat], dtype=np.int64)
    run(
        _codes("".join(ocrs)), ocr_off, _codes("".join(flat)), q_off, tok_q, limits, owns,
        codes, off, letters, rank, *arrays[1], max_edit, out_idx, out_cost, out_n, q_names,
        nb_off, nb_idx,
    )  # fmt: skip
    costs, idx, ns = out_cost.tolist(), out_idx.tolist(), out_n.tolist()
    return [list(zip(costs[t][: ns[t]], idx[t][: ns[t]], strict=True)) for t in range(len(jobs))]


_TABLES: dict[int, tuple[dict[str, list[tuple[str, float]]], tuple[np.ndarray, ...]]] = {}
