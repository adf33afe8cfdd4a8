"""One document's mentions of the same citation made to agree.

OCR damages the mentions of one cited document differently: a code cut off at a line end
("02-KH/BCĐ" beside "02-KH/BCĐTW"), a misread unit letter ("NIN" / "NLN") or digit. The
functions here take the document's citations as `pipeline.shortforms.find_full` found them
and give each damaged variant the symbol of a sure mention, flag twins that differ by a
look-alike digit, and let list items share the relation of the cue before them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Set

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from pipeline.citations import Rules, shape
from pipeline.keys import document_key
from pipeline.models import Citation


def cut_short(c: Citation, sure: list[Citation]) -> Citation | None:
    """The one sure peer whose issuer code `c`'s code begins ("02-KH/BCĐ" beside
    "02-KH/BCĐTW": the rest of the code cut off by a line end or a stamp)."""
    longer = {
        p.cited_symbol: p
        for p in sure
        if len(p.cited_issuer_code) > len(c.cited_issuer_code)
        and p.cited_issuer_code.startswith(c.cited_issuer_code)
    }
    return next(iter(longer.values())) if len(longer) == 1 else None


def unify(cites: list[Citation]) -> None:
    """Give low-confidence variants the symbol of a sure citation with the same number/type,
    and cut-off codes the symbol of the one sure citation their code begins."""
    sure: dict[tuple[str, str, str], list[Citation]] = {}
    for c in cites:
        if c.confidence >= 0.9:
            sure.setdefault((c.family, c.cited_number, c.cited_type), []).append(c)
    for c in cites:
        peers = sure.get((c.family, c.cited_number, c.cited_type), [])
        cut = cut_short(c, peers) if c.cited_issuer_code else None
        if cut:
            _take_symbol(c, cut)
            c.confidence = min(c.confidence, 0.85)
            continue
        if c.confidence >= 0.9:
            continue
        best = max(
            peers,
            key=lambda p: fuzz.ratio(p.cited_issuer_code, c.cited_issuer_code),
            default=None,
        )
        if best and fuzz.ratio(shape(best.cited_issuer_code), shape(c.cited_issuer_code)) >= 60:
            _take_symbol(c, best)
            c.confidence = max(c.confidence, 0.85)


def _take_symbol(c: Citation, peer: Citation) -> None:
    """`c` becomes a mention of `peer`'s symbol (keeping a year of its own)."""
    c.cited_symbol, c.cited_issuer_code, c.key = peer.cited_symbol, peer.cited_issuer_code, peer.key
    c.cited_year = c.cited_year or peer.cited_year


def variant_rank(sym: str, count: int, rare: Set[str]) -> tuple[bool, bool, int]:
    """How likely a printed variant is the true symbol: no letter abbreviations never hold,
    no doubled letter, most mentions."""
    codes = sym.split("/", 1)[-1]
    return (not any(ch in rare for ch in codes), not re.search(r"(.)\1", codes), count)


def unify_variants(cites: list[Citation], rules: Rules) -> None:
    """Mentions of one symbol that OCR or typing made differ by one character in a code no
    dictionary holds (a Công văn's unit, "3456/UBND-NLN" / "3456/UBND-NIN") are one document:
    same number, type and issuer (numbers are per issuer). The variant kept is the one whose
    codes use no letter Vietnamese abbreviations never start words with, then the one without
    a doubled letter, then the most frequent; on a full tie nothing changes."""
    rare = set(rules.code_rare_letters)
    groups: dict[tuple[str, str, str], list[Citation]] = {}
    for c in cites:
        if c.family == "administrative" and c.cited_symbol:
            key = (c.cited_number, c.cited_type, c.cited_issuer_code)
            groups.setdefault(key, []).append(c)
    for group in groups.values():
        if len({c.cited_year for c in group if c.cited_year}) > 1:
            continue  # dated in two years: two documents
        counts: dict[str, int] = {}
        for c in group:
            counts[c.cited_symbol] = counts.get(c.cited_symbol, 0) + 1
        if len(counts) < 2:
            continue

        ranks = {sym: variant_rank(sym, n, rare) for sym, n in counts.items()}
        ranked = sorted(counts, key=ranks.__getitem__, reverse=True)
        best = ranked[0]
        if ranks[best] == ranks[ranked[1]]:
            continue
        for c in group:
            if c.cited_symbol != best and Levenshtein.distance(c.cited_symbol, best) == 1:
                c.cited_symbol, c.key = best, document_key(best, c.family, c.cited_year)
                c.confidence = min(c.confidence, 0.85)


def inherit_relations(text: str, cites: list[Citation], rules: Rules) -> None:
    """In a list ("Căn cứ A; B; C", a title "về A; B; C") an item that opens with its own
    type name and no cue shares the relation of the item before it."""
    for prev, c in itertools.pairwise(cites):
        if c.relation != rules.default_relation or prev.relation == rules.default_relation:
            continue
        gap = text[prev.end : c.start]
        if ";" not in gap or re.search(r"\.\s|\n\s*\n", gap):
            continue
        if len(gap.rsplit(";", 1)[1].strip()) <= 30:
            c.relation = prev.relation


def misread_digit(a: str, b: str, pairs: Collection[str]) -> bool:
    """Numbers of one length that differ in one digit, a pair OCR confuses ("538"/"938")."""
    diff = [x + y for x, y in zip(a, b, strict=False) if x != y]
    return len(a) == len(b) and len(diff) == 1 and "".join(sorted(diff[0])) in pairs


def flag_twins(cites: list[Citation], rules: Rules) -> None:
    """A symbol printed once whose near twin (same type and issuer, number one keystroke
    away) is cited again and again is likely a typo ("72/NQ-CP" among many "71/NQ-CP"):
    keep it as printed but mark it ambiguous with a low confidence. When the two numbers
    differ by digits OCR confuses ("938-KH/TU" among many "538-KH/TU"), it is a misreading:
    it takes the twin's symbol."""
    pairs = {"".join(sorted(p)) for p in rules.digit_lookalikes}
    counts: dict[str, int] = {}
    for c in cites:
        counts[c.cited_symbol] = counts.get(c.cited_symbol, 0) + 1
    for c in cites:
        if counts[c.cited_symbol] != 1:
            continue
        for other in cites:
            same_kind = (other.cited_type, other.cited_issuer_code, other.family) == (
                c.cited_type,
                c.cited_issuer_code,
                c.family,
            )
            near = Levenshtein.distance(other.cited_number, c.cited_number) == 1
            if same_kind and near and counts[other.cited_symbol] >= 3:
                if misread_digit(c.cited_number, other.cited_number, pairs):
                    c.cited_symbol, c.cited_number, c.key = (
                        other.cited_symbol,
                        other.cited_number,
                        other.key,
                    )
                    c.confidence = min(c.confidence, 0.6)
                else:
                    c.status, c.confidence = "ambiguous", min(c.confidence, 0.5)
                break
