"""Compiled weighted edit distance of the OCR noisy channel (pipeline.candidates).

For an OCR token, candidate generation prices the edit from its skeleton to every
syllable skeleton within two plain edits: often a hundred or more per token, which in
Python is most of the time spent on a new OCR token. `edit_costs` prices them all in one
call of a numba kernel that runs the same dynamic programme, operation for operation, as
`pipeline.candidates._edit_cost` (same float sums, same pruning), so the costs are equal.
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
    max_edit: float,
    out: np.ndarray,
) -> None:
    """out[x] = weighted edit cost from `ocr` to the x-th true skeleton."""
    n = len(ocr)
    longest = 0
    for x in range(len(true_off) - 1):
        longest = max(longest, true_off[x + 1] - true_off[x])
    dist = np.empty((n + 1, longest + 1), np.float64)
    for x in range(len(true_off) - 1):
        t0 = true_off[x]
        m = true_off[x + 1] - t0
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
                    ins = 1.0
                    ch = true[t0 + j]
                    for y in range(len(ins_chars)):
                        if ins_chars[y] == ch:
                            ins = ins_costs[y]
                    c = d + ins
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
        out[x] = dist[n, m]


def _setup(jit: Jit) -> Callable[..., Any]:
    return jit(_kernel, False)


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
    true_off = np.zeros(len(others) + 1, dtype=np.int64)
    np.cumsum([len(o) for o in others], out=true_off[1:])
    out = np.empty(len(others), dtype=np.float64)
    run(
        _codes(ocr),
        np.asarray(rule_off, dtype=np.int64),
        np.asarray(rule_k, dtype=np.int64),
        np.asarray(rule_cost, dtype=np.float64),
        np.asarray(rule_t_off, dtype=np.int64),
        _codes(rule_t),
        np.asarray([ord(c) for c, _ in ins], dtype=np.int64),
        np.asarray([v for _, v in ins], dtype=np.float64),
        _codes("".join(others)),
        true_off,
        max_edit,
        out,
    )
    costs: list[float] = out.tolist()
    return costs


# ------------------------------------------------------------------ neighbour search


def _within_kernel(
    query: np.ndarray, codes: np.ndarray, off: np.ndarray, limit: int, out: np.ndarray
) -> int:
    """Indices (into `out`) of the strings within Levenshtein distance `limit` of `query`,
    by the bit-parallel algorithm of Myers (1999) in Hyyrö's form; returns their count."""
    m = len(query)
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
    return jit(_within_kernel, False)


_ENCODED: dict[int, tuple[Sequence[str], np.ndarray, np.ndarray]] = {}


def within(query: str, names: Sequence[str], limit: int) -> list[str] | None:
    """The names within Levenshtein distance `limit` of `query` (as rapidfuzz's
    `process.extract` with that cut-off), or None: no numba, not worth it yet, or a
    query too long for one machine word."""
    if len(query) > 63 or not warm():
        return None
    run = compiled("within", _setup_within)
    if run is None:
        return None
    enc = _ENCODED.get(id(names))
    if enc is None or enc[0] is not names:
        off = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum([len(n) for n in names], out=off[1:])
        enc = (names, _codes("".join(names)), off)
        if len(_ENCODED) >= 4:
            _ENCODED.clear()
        _ENCODED[id(names)] = enc  # holds `names`, so its id stays its own
    out = np.empty(len(names), dtype=np.int64)
    count = run(_codes(query), enc[1], enc[2], limit, out)
    return [names[i] for i in out[:count].tolist()]
