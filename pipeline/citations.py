"""Find references to other documents: full symbols, short forms, laws by name.

Symbols are matched on the current text (Đ vs D matters there); cue words (type names,
"số", "ngày", "của", relation cues) are matched on a folded copy of the same length
(`fold_ocr`), so the rules work on restored text and on mark-less OCR text alike.
Printed codes damaged by OCR or typing ("Nb", "QP", "BCDDTWW", "QN") are repaired by
general rules (Đ look-alikes, doubled letters, swapped letters) against the known codes
in `dictionaries/`, then against the other citations of the same document.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Callable, Collection, Set
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Levenshtein

from pipeline.keys import document_key
from pipeline.models import Citation, Section
from pipeline.textutil import strip_marks

# --------------------------------------------------------------------------- dictionaries


@dataclass
class Rules:
    """The extraction rules read from `dictionaries/` (one instance per directory)."""

    type_names: dict[str, str]  # code -> canonical name ("NQ" -> "Nghị quyết")
    name_codes: dict[str, str]  # canonical name -> code ("Nghị quyết" -> "NQ")
    text_abbreviations: dict[str, str]
    normative_types: set[str]
    issuer_codes: dict[str, str]  # code -> body
    issuer_names: list[str]
    header_names: dict[str, str]
    places: dict[str, str]
    relation_cues: dict[str, list[str]]
    default_relation: str
    laws: list[tuple[str, str, int, str]]  # (title, symbol, year, issuer)
    headings: list[str]
    type_lines: dict[str, str]
    signer_titles: dict[str, str]
    collectives: list[str]
    surnames: list[str]
    units: list[str]
    roles: dict[str, list[str]]
    assignment_headings: list[str]
    bare_units: list[str] = field(default_factory=list)


def _yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


@lru_cache(maxsize=4)
def load_rules(directory: Path) -> Rules:
    """Read every rule file this stage uses from `directory` (cached per directory)."""
    types = _yaml(directory / "doc_types.yaml")
    issuers = _yaml(directory / "issuers.yaml")
    relations = _yaml(directory / "relations.yaml")
    headings = _yaml(directory / "headings.yaml")
    units = _yaml(directory / "units.yaml")
    places = _yaml(directory / "places.yaml")
    laws: list[tuple[str, str, int, str]] = []
    with (directory / "law_titles.tsv").open(encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if row and not row[0].startswith("#") and len(row) >= 4:
                laws.append((row[0], row[1], int(row[2]), row[3]))
    return Rules(
        type_names=dict(types["types"]),
        name_codes=dict(types["names"]),
        text_abbreviations=dict(types.get("text_abbreviations", {})),
        normative_types=set(types.get("normative_types", [])),
        issuer_codes=dict(issuers["codes"]),
        issuer_names=list(issuers["names"]),
        header_names=dict(issuers.get("header_names", {})),
        places=dict(places["places"]),
        relation_cues={k: list(v) for k, v in relations["cues"].items()},
        default_relation=str(relations.get("default", "dan_chieu")),
        laws=laws,
        headings=list(headings["headings"]),
        type_lines=dict(headings["type_lines"]),
        signer_titles=dict(headings["signer_titles"]),
        collectives=list(headings.get("collectives", [])),
        surnames=list(headings.get("surnames", [])),
        units=list(units["units"]),
        roles={k: list(v) for k, v in units["roles"].items()},
        assignment_headings=list(units["assignment_headings"]),
        bare_units=list(units.get("bare_units", [])),
    )


# --------------------------------------------------------------------------- folding

_OCR_LETTER = str.maketrans({"&": "e", "¢": "e", "€": "e", "@": "a", "|": "l"})
_DIGIT_AS_LETTER = re.compile(r"(?<=[a-z])[0-9]|[0-9](?=[a-z])")
_DIGIT_MAP = {"6": "o", "0": "o", "9": "o", "1": "i", "8": "a", "3": "e", "4": "a"}


def fold(text: str) -> str:
    """Lower-case, mark-free copy of `text`, same length (đ -> d)."""
    return strip_marks(text).lower()


def fold_ocr(text: str) -> str:
    """`fold` plus OCR look-alikes read as letters ("s6" -> "so", "K&" -> "ke"); same length."""
    out = fold(text).translate(_OCR_LETTER)
    return _DIGIT_AS_LETTER.sub(lambda m: _DIGIT_MAP.get(m.group(), m.group()), out)


def loose_pattern(phrase: str) -> str:
    """Regex for a mark-free phrase that tolerates OCR-garbled vowels and spacing."""
    words = fold(phrase).split()
    parts = []
    for word in words:
        pieces = re.split(r"([aeiouy]+)", re.sub(r"[^a-z0-9]", "", word))
        parts.append(
            "".join("[aeiouyjw]{1,4}" if re.fullmatch("[aeiouy]+", p) else p for p in pieces if p)
        )
    return r"\s*[,\-]?\s*".join(parts)


def best_name(
    words_text: str, names: list[str], *, threshold: float = 82.0
) -> tuple[str, int] | None:
    """The dictionary name that best matches the start of `words_text` (folded), with the
    number of characters of `words_text` it covers; None when nothing is close enough."""
    best: tuple[float, str, int] | None = None
    tokens = list(re.finditer(r"\S+", words_text))
    for name in names:
        n = len(name.split())
        if len(tokens) < n:
            continue
        last = tokens[n - 1]
        end = last.start() + len(last.group().rstrip(",.;:)\"”'"))
        cand = re.sub(r"[^\w\s]", "", fold_ocr(words_text[:end]))
        target = re.sub(r"[^\w\s]", "", fold(name))
        score = fuzz.ratio(" ".join(cand.split()), " ".join(target.split()))
        if score >= threshold and (best is None or (n, score) > (len(best[1].split()), best[0])):
            best = (score, name, end)
    return (best[1], best[2]) if best else None


# --------------------------------------------------------------------------- symbols

_S = r"[ \t]*(?:\r?\n[ \t]*){0,2}"
_CODE = r"[A-ZĐÐ][A-Za-zĐđÐƯư]{0,9}(?:\d{1,3})?(?!\w)"
_SLASH = r"[ \t]*(?:/[ \t]*[\[|]?|[|\[]|(?<=\s)I(?=[A-ZĐ]{2})|(?<=\d)[Il](?=[A-ZĐ]))[ \t]*"
SYMBOL_RE = re.compile(
    rf"(?<![\d/.\-])(?<![^\W\d_]-)(?P<num>\d(?:\d|[OoIlSBAZG](?=\d)){{0,4}}(?:\.\d{{1,2}})?)(?:"
    rf"(?P<party>{_S}-{_S}(?:-{_S})?(?P<ptype>{_CODE}){_S}/{_S}(?P<piss>{_CODE}))"
    rf"|(?P<norm>{_S}/{_S}(?P<year>(?:19|20)\d\d){_S}/{_S}(?P<ntype>{_CODE})"
    rf"(?:{_S}-{_S}(?P<niss>{_CODE})(?P<niss2>(?:-{_CODE})*))?)"
    rf"|(?P<adm>{_SLASH}(?P<atype>{_CODE}){_S}-{_S}(?P<aiss>{_CODE})(?:-(?P<aunit>{_CODE}))?)"
    rf")"
)
_DIGIT_LOOKALIKES = str.maketrans("OoIlSBAZG", "001158426")
_LAW_TERM = re.compile(r"QH\d{1,2}")


def _shape(code: str) -> str:
    """Code with Đ look-alikes merged and doubled letters collapsed (for fuzzy repair)."""
    s = code.upper().replace("Ð", "D").replace("Đ", "D").replace("P", "D").replace("B", "D")
    return re.sub(r"(.)\1+", r"\1", s)


def repair_code(
    code: str, known: Collection[str], seen: Set[str] = frozenset()
) -> tuple[str, float]:
    """The known code a printed code stands for, with a confidence; printed when unsure."""
    code = code.replace("Ð", "Đ").replace("TƯ", "TW")  # "Trung ương" is TW in symbols
    if code in known or code in seen:
        return code, 1.0
    pool = list(dict.fromkeys([*known, *seen]))
    shape = _shape(code)
    same = [k for k in pool if _shape(k) == shape]
    if same:
        return min(same, key=lambda k: Levenshtein.distance(fold(k), fold(code))), 0.9
    close = [
        k
        for k in pool
        if (
            len(k) == len(code)
            and sorted(k.upper()) == sorted(code.upper())
            and OSA.distance(k.upper(), code.upper()) == 1
        )
        or (len(shape) >= 4 and Levenshtein.distance(_shape(k), shape) <= 1)
    ]
    if len(close) == 1:
        return close[0], 0.75
    upper = code.upper() if code.isupper() or len(code) > 3 else code
    return upper, 0.6


@dataclass
class ParsedSymbol:
    """A symbol split into its parts, repaired and normalised."""

    symbol: str
    printed: str
    family: str
    number: str
    type_code: str
    issuer_code: str
    year: int | None
    confidence: float


def parse_symbol(m: re.Match[str], rules: Rules, seen: Set[str] = frozenset()) -> ParsedSymbol:
    """Normalise a `SYMBOL_RE` match: join broken pieces, repair codes, pick the family."""
    types = set(rules.type_names)
    issuers = set(rules.issuer_codes)
    num = m.group("num").translate(_DIGIT_LOOKALIKES)  # OCR: "2A6" -> "246"
    printed = re.sub(r"\s+", "", m.group(0))
    if m.group("party"):
        t, tc = repair_code(m.group("ptype"), types, seen)
        i, ic = repair_code(m.group("piss"), issuers, seen)
        return ParsedSymbol(f"{num}-{t}/{i}", printed, "party", num, t, i, None, min(tc, ic))
    if m.group("norm"):
        year = int(m.group("year"))
        raw_type = m.group("ntype")
        if _LAW_TERM.fullmatch(raw_type) and not m.group("niss"):
            return ParsedSymbol(
                f"{num}/{year}/{raw_type}", printed, "normative", num, "L", "QH", year, 1.0
            )
        t, tc = repair_code(raw_type, rules.normative_types | types, seen)
        i, ic = repair_code(m.group("niss") or "", issuers, seen) if m.group("niss") else ("", 1.0)
        more = "".join(
            "-" + repair_code(x, issuers, seen)[0] for x in (m.group("niss2") or "").split("-") if x
        )  # a joint circular names every issuer: 08/2016/TTLT-BYT-BNV
        sym = f"{num}/{year}/{t}-{i}{more}" if i else f"{num}/{year}/{t}"
        return ParsedSymbol(sym, printed, "normative", num, t, i, year, min(tc, ic))
    raw_type, raw_iss, unit = m.group("atype"), m.group("aiss"), m.group("aunit")
    if raw_type.replace("Ð", "Đ") in issuers and raw_type not in types:
        # Công văn: <n>/<ISSUER>-<UNIT>
        sym = f"{num}/{raw_type}-{raw_iss}" + (f"-{unit}" if unit else "")
        return ParsedSymbol(sym, printed, "administrative", num, "CV", raw_type, None, 1.0)
    t, tc = repair_code(raw_type, types, seen)
    if t not in types:
        i2, ic2 = repair_code(raw_type, issuers, seen)
        if i2 in issuers:
            sym = f"{num}/{i2}-{raw_iss}" + (f"-{unit}" if unit else "")
            return ParsedSymbol(sym, printed, "administrative", num, "CV", i2, None, ic2)
    i, ic = repair_code(raw_iss, issuers, seen)
    sym = f"{num}/{t}-{i}" + (f"-{unit}" if unit else "")
    return ParsedSymbol(sym, printed, "administrative", num, t, i, None, min(tc, ic))


# --------------------------------------------------------------------------- context

_DATE_NUM = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?!\d)")
_DATE_WORDS = re.compile(r"(\d{1,2})\s+th[a-z]{1,4}\s+(\d{1,2})\s*,?\s+n[a-z]{1,3}\s+(\d{4})(?!\d)")
_DATE_AFTER = re.compile(r"[\s,]*(?:ban hanh\s+)?ng[a-z]{1,3}\s+")
OF_RE = re.compile(r"[\s,]*(?:c[a-z]{0,3}a|do)\s+")
SO_RE = re.compile(r"\s*(?:s[a-z]{0,2}|50)\s*[.:]?\s*$")


def parse_date(folded: str) -> tuple[str, int] | None:
    """ISO date at the start of `folded` ("19/8/2025", "19 thang 8 nam 2025"), with its length."""
    for rx in (_DATE_NUM, _DATE_WORDS):
        m = rx.match(folded)
        if m:
            d, mo, y = (int(g) for g in m.groups())
            if 1 <= d <= 31 and 1 <= mo <= 12 and 1900 <= y <= 2100:
                return f"{y:04d}-{mo:02d}-{d:02d}", m.end()
    return None


def date_after(folded: str, pos: int) -> tuple[str, int] | None:
    """A "ngày <date>" right after `pos` in the folded text: (ISO date, end offset)."""
    m = _DATE_AFTER.match(folded, pos)
    if not m:
        return None
    got = parse_date(folded[m.end() : m.end() + 40])
    return (got[0], m.end() + got[1]) if got else None


def type_before(folded: str, pos: int, rules: Rules) -> tuple[str, str, int] | None:
    """The type name printed just before a symbol ("Nghị quyết số"): (name, code, start)."""
    window_start = max(0, pos - 45)
    window = folded[window_start:pos]
    so = SO_RE.search(window)
    head = window[: so.start()] if so else window
    best: tuple[int, str, str, int] | None = None
    for name, code in rules.name_codes.items():
        m = re.search(r"(?:^|[^a-z])(" + loose_pattern(name) + r")\s*$", head)
        if m and (best is None or len(name) > best[0]):
            best = (len(name), name, code, window_start + m.start(1))
    if best:
        return best[1], best[2], best[3]
    if so:  # OCR-damaged type name right before "số": compare the last words
        words = list(re.finditer(r"\S+", head))
        for n in (3, 2, 1):
            if len(words) < n:
                continue
            first = words[-n]
            flat = re.sub(r"[^a-z]", "", head[first.start() :])
            for name, code in rules.name_codes.items():
                close = fuzz.ratio(flat, re.sub(r"[^a-z]", "", fold(name))) >= 80
                if len(name.split()) == n and len(flat) >= 5 and close:
                    return name, code, window_start + first.start()
    return None


def issuer_after(text: str, folded: str, pos: int, rules: Rules) -> tuple[str, int] | None:
    """The body named by "của <issuer>" after `pos`: (canonical name, end offset)."""
    m = OF_RE.match(folded, pos)
    if not m:
        return None
    start = m.end()
    chunk = text[start : start + 90]
    got = best_name(chunk, rules.issuer_names)
    if not got:
        return None
    name, length = got
    end = start + length
    tail = fold_ocr(text[end : end + 40])
    loc = re.match(r"\s+(tinh|thanh pho|th[a-z]{2,4}\s+ph[a-z]{1,2})?\s*", tail)
    if loc:
        rest = text[end + loc.end() : end + 40]
        place = best_name(rest, list(rules.places), threshold=85.0)
        kind = ""
        if loc.group(1):
            printed_kind = text[end + loc.start(1)]
            kind = "tỉnh" if loc.group(1) == "tinh" else "thành phố"
            kind = kind.capitalize() if printed_kind.isupper() else kind
        if place:
            name = " ".join(x for x in (name, kind, place[0]) if x)
            end += loc.end() + place[1]
        elif kind:
            name = f"{name} {kind}"
            end += loc.end(1)
    if name.startswith("Ủy ban nhân dân"):
        name = "UBND" + name[len("Ủy ban nhân dân") :]
    return name, end


def relation_before(folded: str, pos: int, floor: int, rules: Rules) -> str:
    """The relation cue nearest before `pos`, looking back no further than `floor`."""
    window = folded[floor:pos]
    best: tuple[int, str] | None = None
    for relation, cues in rules.relation_cues.items():
        for cue in cues:
            for m in re.finditer(r"(?:^|[^a-z])" + re.escape(cue) + r"(?![a-z])", window):
                if best is None or m.start() > best[0]:
                    best = (m.start(), relation)
    return best[1] if best else rules.default_relation


def clause_start(folded: str, pos: int) -> int:
    """Start of the clause holding `pos` (after ';', '.', a blank line or a bullet)."""
    lo = max(0, pos - 400)
    window = folded[lo:pos]
    cuts = [m.end() for m in re.finditer(r"[;:]\s|\.\s+(?=[a-z0-9])|\n\s*\n|\n\s*[-+•]\s", window)]
    return lo + (cuts[-1] if cuts else 0)


def make_citation(
    text: str,
    folded: str,
    m: re.Match[str],
    rules: Rules,
    seen: Set[str] = frozenset(),
    span: tuple[int, int] | None = None,
) -> Citation:
    """A full citation from a symbol match with its type, date, issuer and relation.

    `span` places it in `text` when `m` was matched on another text (the printed input)."""
    p = parse_symbol(m, rules, seen)
    start, end = span or (m.start(), m.end())
    typed = type_before(folded, start, rules)
    mention_start = typed[2] if typed else start
    code = typed[1] if typed and p.family != "normative" else p.type_code
    type_name = rules.type_names.get(code, typed[0] if typed else "")
    dated = date_after(folded, end)
    cited_date = dated[0] if dated else None
    after = dated[1] if dated else end
    issued = issuer_after(text, folded, after, rules)
    issuer = issued[0] if issued else ""
    year = p.year or (int(cited_date[:4]) if cited_date else None)
    floor = clause_start(folded, mention_start)
    return Citation(
        cited_symbol=p.symbol,
        raw_text=text[start:end],
        start=start,
        end=end,
        family=p.family,
        cited_type=p.type_code,
        cited_type_name=type_name,
        cited_number=p.number,
        cited_year=year,
        cited_issuer_code=p.issuer_code,
        cited_issuer=issuer,
        cited_date=cited_date,
        key=document_key(p.symbol, p.family, year),
        relation=relation_before(folded, mention_start, floor, rules),
        form="full",
        confidence=p.confidence,
        printed_symbol=p.printed,
    )


# --------------------------------------------------------------------------- whole text


def _unify(cites: list[Citation]) -> None:
    """Give low-confidence variants the symbol of a sure citation with the same number/type."""
    sure: dict[tuple[str, str, str], list[Citation]] = {}
    for c in cites:
        if c.confidence >= 0.9:
            sure.setdefault((c.family, c.cited_number, c.cited_type), []).append(c)
    for c in cites:
        if c.confidence >= 0.9:
            continue
        peers = sure.get((c.family, c.cited_number, c.cited_type), [])
        best = max(
            peers,
            key=lambda p: fuzz.ratio(p.cited_issuer_code, c.cited_issuer_code),
            default=None,
        )
        if best and fuzz.ratio(_shape(best.cited_issuer_code), _shape(c.cited_issuer_code)) >= 60:
            c.cited_symbol, c.cited_issuer_code, c.key = (
                best.cited_symbol,
                best.cited_issuer_code,
                best.key,
            )
            c.cited_year = c.cited_year or best.cited_year
            c.confidence = max(c.confidence, 0.85)


def _inherit_relations(text: str, cites: list[Citation], rules: Rules) -> None:
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


def _flag_twins(cites: list[Citation]) -> None:
    """A symbol printed once whose near twin (same type and issuer, number one keystroke
    away) is cited again and again is likely a typo ("72/NQ-CP" among many "71/NQ-CP"):
    keep it as printed but mark it ambiguous with a low confidence."""
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
                c.status, c.confidence = "ambiguous", min(c.confidence, 0.5)
                break


def _localise(name: str, home: tuple[str, str, str] | None) -> str:
    """Complete a local body named without its place ("UBND tỉnh") with the document's own.

    `home` is (place, kind, own issuer base): "Sở Y tế" is completed only when it is the
    document's own issuer, since another Sở may belong to any province.
    """
    if not home or not name:
        return name
    place, kind, own = home
    if fold(place) in fold(name):
        return name
    if re.search(r"(?i)(tỉnh|thành phố)$", name):
        return f"{name} {place}"
    if name == "UBND" or name == own:
        return f"{name} {kind} {place}"
    return name


def _fill_from_first(
    cites: list[Citation], rules: Rules, home: tuple[str, str, str] | None
) -> None:
    """Later mentions inherit date, issuer and year from the first, fuller mention."""
    first: dict[str, Citation] = {}
    for c in cites:
        f = first.setdefault(c.cited_symbol, c)
        if f is c:
            continue
        if c.cited_date is None and f.cited_date:
            c.cited_date = f.cited_date
        if f.cited_date is None and c.cited_date:
            f.cited_date = c.cited_date
    for c in cites:
        f = first[c.cited_symbol]
        c.cited_date = c.cited_date or f.cited_date
        if c.family == "administrative" and c.cited_year is None and c.cited_date:
            c.cited_year = int(c.cited_date[:4])
            c.key = document_key(c.cited_symbol, c.family, c.cited_year)
    by_symbol: dict[str, list[Citation]] = {}
    for c in cites:
        by_symbol.setdefault(c.cited_symbol, []).append(c)
    for group in by_symbol.values():
        named = [c.cited_issuer for c in group if c.cited_issuer]
        default = rules.issuer_codes.get(group[0].cited_issuer_code, "")
        best = max(set(named), key=lambda n: (named.count(n), len(n))) if named else default
        if default and fold(best) in fold(default) and best != default:
            best = default  # "của Chính phủ" for a QĐ-TTg: the code names the body exactly
        best = _localise(best, home)
        for c in group:
            c.cited_issuer = best
        years = [c.cited_year for c in group if c.cited_year]
        for c in group:
            if c.cited_year is None and years and c.family == "administrative":
                c.cited_year = years[0]
                c.key = document_key(c.cited_symbol, c.family, c.cited_year)


Mapper = Callable[[int, int], tuple[int, int]]


def find_full(
    text: str,
    rules: Rules,
    skip: Collection[tuple[int, int]] = (),
    home: tuple[str, str, str] | None = None,
    printed: tuple[str, Mapper, Mapper] | None = None,
) -> list[Citation]:
    """Every full-symbol citation in `text`, except matches inside `skip` spans.

    With `printed` = (source text, to_source, from_source), symbols are read from the printed
    input too: a rewriting stage may have damaged a code ("BYT" -> "BỤT"), so a symbol is
    parsed from its printed characters, and one found only there is placed back in `text`."""
    folded = fold_ocr(text)
    cites = []
    src_hits = list(SYMBOL_RE.finditer(printed[0])) if printed else []
    used: set[int] = set()
    for m in SYMBOL_RE.finditer(text):
        if any(s <= m.start() < e for s, e in skip):
            continue
        match, span = m, (m.start(), m.end())
        if printed:
            s0, s1 = printed[1](m.start(), m.end())
            for i, h in enumerate(src_hits):
                if h.start() < s1 and s0 < h.end():
                    t0, t1 = printed[2](h.start(), h.end())
                    match, span = h, (min(m.start(), t0), max(m.end(), t1))
                    used.add(i)
                    break
        cites.append(make_citation(text, folded, match, rules, span=span))
    for i, h in enumerate(src_hits):
        if printed and i not in used:
            t0, t1 = printed[2](h.start(), h.end())
            skipped = any(s <= t0 < e for s, e in skip)
            overlaps = any(c.start < t1 and t0 < c.end for c in cites)
            if t1 > t0 and not skipped and not overlaps:
                cites.append(make_citation(text, folded, h, rules, span=(t0, t1)))
    cites.sort(key=lambda c: c.start)
    _unify(cites)
    _flag_twins(cites)
    _inherit_relations(text, cites, rules)
    _fill_from_first(cites, rules, home)
    return cites


def _short_pattern(rules: Rules) -> re.Pattern[str]:
    names = sorted(rules.name_codes, key=len, reverse=True)
    alts = "|".join(f"(?P<n{i}>{loose_pattern(n)})" for i, n in enumerate(names))
    return re.compile(
        rf"(?<![a-z])(?:{alts})\s+(?:(?:so|s[a-z]{{1,2}}|50)\s*)?(?P<num>\d{{1,4}})(?![\d/\-]|\.\d|\s*[-/]\s*[a-z])"
    )


def find_short(text: str, rules: Rules, full: list[Citation]) -> list[Citation]:
    """Short forms ("Nghị quyết 57", "Kế hoạch số 02", "NQ số 57") resolved to a full citation."""
    folded = fold_ocr(text)
    names = sorted(rules.name_codes, key=len, reverse=True)
    taken = [(c.start, c.end) for c in full]
    out: list[Citation] = []
    rx = _short_pattern(rules)
    abbr = "|".join(re.escape(a) for a in rules.text_abbreviations)
    abbr_rx = re.compile(
        rf"(?<!\w)(?P<abbr>{abbr})\s+(?:s\w{{0,2}}\s*)?(?P<num>\d{{1,4}})(?![\d/\-\w]|\.\d)"
    )
    hits: list[tuple[int, int, str, str, int]] = []
    for m in rx.finditer(folded):
        idx = next(int(k[1:]) for k, v in m.groupdict().items() if v and k.startswith("n"))
        code = rules.name_codes[names[idx]]
        hits.append((m.start(), m.end(), code, m.group("num"), m.start("num")))
    for m in abbr_rx.finditer(text):
        code = rules.text_abbreviations[m.group("abbr")]
        hits.append((m.start(), m.end(), code, m.group("num"), m.start("num")))
    for start, end, code, num, _ in sorted(hits):
        if any(s < end + 3 and start < e for s, e in taken):
            continue
        if SYMBOL_RE.match(text, end + 1) or re.match(r"\s*\d", text[end : end + 3]):
            continue
        cands = {
            c.cited_symbol: c
            for c in full
            if c.cited_number.lstrip("0") == num.lstrip("0")
            and (c.cited_type == code or (code == "L" and c.cited_type in ("L", "QH")))
        }
        status = "resolved" if len(cands) == 1 else ("ambiguous" if cands else "unresolved")
        ref = next(iter(cands.values())) if len(cands) == 1 else None
        floor = clause_start(folded, start)
        out.append(
            Citation(
                cited_symbol=ref.cited_symbol if ref else "",
                raw_text=text[start:end],
                start=start,
                end=end,
                family=ref.family if ref else "name",
                cited_type=code,
                cited_type_name=rules.type_names.get(code, ""),
                cited_number=num,
                cited_year=ref.cited_year if ref else None,
                cited_issuer_code=ref.cited_issuer_code if ref else "",
                cited_issuer=ref.cited_issuer if ref else "",
                cited_date=ref.cited_date if ref else None,
                key=ref.key if ref else "",
                relation=relation_before(folded, start, floor, rules),
                form="short",
                confidence=0.9 if ref else 0.4,
                status=status,
                printed_symbol="",
            )
        )
        taken.append((start, end))
    return out


def find_laws_by_name(text: str, rules: Rules, full: list[Citation]) -> list[Citation]:
    """Laws cited by title without a number, looked up in `law_titles.tsv`."""
    folded = fold_ocr(text)
    out: list[Citation] = []
    starts = sorted(c.start for c in full)
    for m in re.finditer(r"(?<![a-z])(?:bo\s+)?l[a-z]{1,3}t(?=\s+[^\W\d_])", folded):
        if text[m.start()].islower():
            continue
        rest = text[m.end() : m.end() + 160]
        clause_end = re.search(r"[;]|\.\s", rest)
        limit = m.end() + (clause_end.start() if clause_end else len(rest))
        nxt = next((s for s in starts if s >= m.end()), None)
        if nxt is not None and nxt <= limit:
            continue  # the title of a numbered citation that follows
        if fold_ocr(rest).lstrip().startswith(("sua doi", "so ")):
            continue
        titles = [t[0].split(" ", 1)[1] for t in rules.laws]
        got = best_name(rest.lstrip(), titles, threshold=90.0)
        pad = len(rest) - len(rest.lstrip())
        if got:
            title_end = m.end() + pad + got[1]
            law = rules.laws[titles.index(got[0])]
            amended = re.match(
                r"\s*\(\s*s[a-z]{1,3}\s+d[a-z]{1,3}\s*\)", folded[title_end : title_end + 20]
            )
            if amended:
                title_end += amended.end()
            resolved = not amended
            title = "Luật " + got[0] + (" (sửa đổi)" if amended else "")
        else:
            words = re.match(r"\s*((?:[A-ZĐÀ-Ỹ]\w*)(?:[ \t]+\w+){0,9})", rest)
            if not words or not words.group(1)[0].isupper():
                continue
            cut = re.search(r"[ \t]+(?:số|của|ngày|và|về|quy định)\b", words.group(1))
            title_end = m.end() + words.start(1) + (cut.start() if cut else len(words.group(1)))
            title = "Luật " + " ".join(text[m.end() : title_end].split())
            law, resolved = None, False
        floor = clause_start(folded, m.start())
        sym = law[1] if (law and resolved) else ""
        out.append(
            Citation(
                cited_symbol="",  # not printed: the table's number goes into the key only
                raw_text=text[m.start() : title_end],
                start=m.start(),
                end=title_end,
                family="normative" if sym else "name",
                cited_type="L",
                cited_type_name="Luật",
                cited_number=sym.split("/")[0] if sym else "",
                cited_year=law[2] if (law and resolved) else None,
                cited_issuer_code="QH" if sym else "",
                cited_issuer="Quốc hội",
                cited_title=title,
                key=document_key(sym, "normative")
                if sym
                else document_key("", "name", title=title),
                relation=relation_before(folded, m.start(), floor, rules),
                form="name",
                confidence=0.8 if sym else 0.5,
                status="resolved" if sym else "unresolved",
            )
        )
    return out


def section_path(sections: list[Section], pos: int) -> str:
    """ "II/3" for an offset under heading II, item 3; the part label outside the body."""
    chain: list[Section] = []
    for s in sections:
        if s.start <= pos < max(s.end, s.start + 1):
            chain.append(s)
    numbered = [
        s.number for s in chain if s.label in ("part", "heading", "article", "item", "subitem")
    ]
    if numbered:
        return "/".join(numbered)
    top = [s for s in chain if s.level == 0]
    return top[0].label if top else ""
