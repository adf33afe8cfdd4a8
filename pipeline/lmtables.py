"""The trigram model as arrays, for the compiled decoder (pipeline.decode).

Dense unigram and first-order back-off weights by word id, and three hash tables
(bigrams, second-order back-off weights, trigrams) by open addressing with linear
probing, built with numpy alone so they can be made at save time and stored in the
model file (`Tables.state`); a file whose LAYOUT differs gets them rebuilt on load.
The back-off table carries, per two-word context, a 64-bit filter of the words that
follow it in some trigram, so most absent trigrams cost the decoder no look-up; and
each table has a blocked Bloom filter of its keys (`HashTable.bloom`, made on first use),
small enough to stay in cache, which rules out most absent n-grams (most of what the
decoder asks for) without touching the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

HASH_MUL = 0x9E3779B97F4A7C15  # Fibonacci hashing: the top bits of key * this
FOLLOW_MUL = 2654435761  # the same idea on 32 bits, for the context filters
BLOOM_MUL1 = 0xBF58476D1CE4E5B9  # the mixing of the Bloom filters (as splitmix64)
BLOOM_MUL2 = 0x94D049BB133111EB
BLOOM_KEYS = 4  # keys per 64-bit block of a Bloom filter, at most (on average)
_U64 = np.uint64
EMPTY = -1  # the key of a free slot (n-gram keys are never negative)
LOAD = 0.6  # at most this share of a table's slots is used
LAYOUT = 2  # of the arrays saved in a model file; another layout is rebuilt on load


@dataclass(frozen=True)
class HashTable:
    """int64 key -> float64 value by open addressing with linear probing.

    `slots` is (size, 2) int64: the key, then the value's bits, side by side so that a
    look-up usually touches one cache line; a free slot holds EMPTY. The back-off table
    of two-word contexts has a third column: a 64-bit filter of the words that follow
    the context in some trigram (`follow_bits`).
    """

    slots: np.ndarray
    bits: int

    @property
    def floats(self) -> np.ndarray:
        return self.slots.view(np.float64)

    @cached_property
    def bloom(self) -> tuple[np.ndarray, int]:
        """A blocked Bloom filter of the keys (`bloom_filter`), made on first use."""
        keys = self.slots[:, 0]
        return bloom_filter(keys[keys != EMPTY])


def home(keys: np.ndarray, bits: int) -> np.ndarray:
    """The first slot tried for each key: the top `bits` bits of key * HASH_MUL."""
    return ((keys.view(_U64) * _U64(HASH_MUL)) >> _U64(64 - bits)).astype(np.int64)


def follow_bits(words: np.ndarray) -> np.ndarray:
    """Bit of each word id in a context's filter (`pipeline.decode._follow_bit` in the
    kernel): the top six of the low 32 bits of id * FOLLOW_MUL."""
    return ((words * FOLLOW_MUL) & 0xFFFFFFFF) >> 26


def follow_filters(contexts: np.ndarray, tri: dict[int, float], shift: int) -> np.ndarray:
    """Per context key (a<<shift|b): the filter of the words c of its trigrams."""
    keys = np.fromiter(tri.keys(), dtype=np.int64, count=len(tri))
    ctx = keys >> shift
    bits = np.left_shift(np.int64(1), follow_bits(keys & ((1 << shift) - 1)))
    order = np.argsort(ctx, kind="stable")
    ctx, bits = ctx[order], bits[order]
    out = np.zeros(len(contexts), dtype=np.int64)
    if len(ctx) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, ctx[1:] != ctx[:-1]])
    uniq, masks = ctx[starts], np.bitwise_or.reduceat(bits, starts)
    at = np.minimum(np.searchsorted(uniq, contexts), len(uniq) - 1)
    found = uniq[at] == contexts
    out[found] = masks[at[found]]
    return out


def bloom_parts(keys: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Block (of 2**bits) and three-bit mask of each key in a Bloom filter: both from one
    64-bit mix of the key, the block from its top bits (`pipeline.decode._maybe`)."""
    with np.errstate(over="ignore"):
        h = keys.astype(np.int64).view(_U64) * _U64(BLOOM_MUL1)
        h ^= h >> _U64(31)
        h *= _U64(BLOOM_MUL2)
    one, six = _U64(1), _U64(63)
    mask = (one << ((h >> _U64(8)) & six)) | (one << ((h >> _U64(14)) & six))
    mask |= one << ((h >> _U64(20)) & six)
    return (h >> _U64(64 - bits)).astype(np.int64), mask


def bloom_filter(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """(uint64 blocks, log2 of their number) of a blocked Bloom filter of `keys`.

    Most n-grams the decoder asks for are absent; the filter (a few hundred kilobytes
    that stay in cache, one word per question) answers most of those questions without
    touching the far larger hash table. It never says no to a key it holds.
    """
    bits = 1
    while (1 << bits) * BLOOM_KEYS < len(keys):
        bits += 1
    blocks = np.zeros(1 << bits, dtype=_U64)
    where, mask = bloom_parts(keys, bits)
    np.bitwise_or.at(blocks, where, mask)
    return blocks, bits


def maybe(bloom: tuple[np.ndarray, int], key: int) -> bool:
    """Whether a Bloom filter may hold `key` (False: it surely does not)."""
    blocks, bits = bloom
    where, mask = bloom_parts(np.array([key], dtype=np.int64), bits)
    return bool((blocks[where[0]] & mask[0]) == mask[0])


def pack(table: dict[int, float], extra: np.ndarray | None = None) -> HashTable:
    """A hash table with the entries of a dict, built by rounds of vectorised probing.

    In each round every key not yet placed tries its current slot; of those aiming at
    one free slot the first takes it, the others (and those that found it taken) move
    on by one, so every slot between a key's home and its place is occupied.
    """
    n = len(table)
    keys = np.fromiter(table.keys(), dtype=np.int64, count=n)
    vals = np.fromiter(table.values(), dtype=np.float64, count=n)
    bits = 4
    while (1 << bits) * LOAD < n:
        bits += 1
    mask = (1 << bits) - 1
    slots = np.full((1 << bits, 2 if extra is None else 3), EMPTY, dtype=np.int64)
    pending = np.arange(n)
    at = home(keys, bits)
    while pending.size:
        here = at[pending]
        free = slots[here, 0] == EMPTY
        places, first = np.unique(here[free], return_index=True)
        winners = pending[free][first]
        slots[places, 0] = keys[winners]
        slots[places, 1] = vals[winners].view(np.int64)
        if extra is not None:
            slots[places, 2] = extra[winners]
        placed = np.zeros(n, dtype=bool)
        placed[winners] = True
        pending = pending[~placed[pending]]
        at[pending] = (at[pending] + 1) & mask
    return HashTable(slots, bits)


def lookup(table: HashTable, key: int) -> float | None:
    """The value of `key`, or None (the kernel's look-up in Python, for tests)."""
    mask = (1 << table.bits) - 1
    h = int(home(np.array([key], dtype=np.int64), table.bits)[0])
    while True:
        k = int(table.slots[h, 0])
        if k == key:
            return float(table.floats[h, 1])
        if k == EMPTY:
            return None
        h = (h + 1) & mask


@dataclass(frozen=True)
class Tables:
    """The model's scores as arrays, for the kernel."""

    uni: np.ndarray  # log P1 by id
    bow1: np.ndarray  # first-order back-off weight by id (0 when the model has none)
    bi: HashTable
    bow2: HashTable
    tri: HashTable

    def state(self) -> dict[str, Any]:
        """Plain arrays for pickling (see `from_state`)."""
        out: dict[str, Any] = {"layout": LAYOUT, "uni": self.uni, "bow1": self.bow1}
        for name in ("bi", "bow2", "tri"):
            t: HashTable = getattr(self, name)
            out[name] = (t.slots, t.bits)
        return out

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Tables | None:
        """The tables of `state`, or None when they were saved in another layout."""
        if state.get("layout") != LAYOUT:
            return None
        tables = {n: HashTable(*state[n]) for n in ("bi", "bow2", "tri")}
        return cls(state["uni"], state["bow1"], **tables)


def build_tables(
    uni: Sequence[float],
    bi: dict[int, float],
    bow1: dict[int, float],
    tri: dict[int, float],
    bow2: dict[int, float],
    shift: int,
) -> Tables:
    """Arrays of a back-off model given as the dicts of `pipeline.lm.Model`."""
    uni_a = np.asarray(uni, dtype=np.float64)
    bow1_a = np.zeros(len(uni_a), dtype=np.float64)
    for k, v in bow1.items():
        bow1_a[k] = v
    contexts = np.fromiter(bow2.keys(), dtype=np.int64, count=len(bow2))
    follow = follow_filters(contexts, tri, shift)
    return Tables(uni_a, bow1_a, pack(bi), pack(bow2, follow), pack(tri))
