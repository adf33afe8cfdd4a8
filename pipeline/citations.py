"""Read one citation: a printed symbol with its type, date, issuer and relation.

The rules (`load_rules`) and the OCR folding live here too; `shortforms` reads the whole
document with them (`find_full`, short forms, laws by name).

Symbols are matched on the current text (Đ vs D matters there); cue words (type names,
"số", "ngày", "của", relation cues) are matched on a folded copy of the same length
(`fold_ocr`), so the rules work on restored text and on mark-less OCR text alike.
Printed codes damaged by OCR or typing ("Nb", "QP", "BCDDTWW", "QN", "WBND") are repaired
by general rules (Đ look-alikes, doubled letters, swapped letters, letters OCR confuses)
against the known codes in `dictionaries/` (and, in `shortforms`, the other citations of
the same document). Separators OCR misread are read too: a dash or "." for the hyphen, a
space inside a code ("UBN D") or for the hyphen, a lost "/"; each such reading must land
on known codes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Collection, Set
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Levenshtein

from pipeline.codefix import shape as shape  # Đ look-alikes merged, doubles collapsed
from pipeline.models import Section
from pipeline.textutil import strip_marks

T = TypeVar("T")

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
    central_bodies: set[str] = field(default_factory=set)
    task_verbs: list[str] = field(default_factory=list)
    leader_titles: list[str] = field(default_factory=list)
    execution_cues: list[str] = field(default_factory=list)
    drop_tails: list[str] = field(default_factory=list)
    recipient_cues: list[str] = field(default_factory=list)
    year_types: set[str] = field(default_factory=set)
    code_rare_letters: list[str] = field(default_factory=list)
    digit_lookalikes: list[str] = field(default_factory=list)
    party_types: set[str] = field(default_factory=set)
    derived: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)


def derived(rules: Rules, key: str, make: Callable[[Rules], T]) -> T:
    """A value computed once from `rules` (folded name lists and the like), kept on them."""
    if key not in rules.derived:
        rules.derived[key] = make(rules)
    return cast(T, rules.derived[key])


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
        central_bodies=set(issuers.get("central_party_bodies", [])),
        task_verbs=list(units.get("task_verbs", [])),
        leader_titles=list(units.get("leader_titles", [])),
        execution_cues=list(units.get("execution_cues", [])),
        drop_tails=list(units.get("drop_tails", [])),
        recipient_cues=list(units.get("recipient_cues", [])),
        year_types=set(types.get("year_types", [])),
        code_rare_letters=list(types.get("code_rare_letters", [])),
        digit_lookalikes=[str(p) for p in types.get("digit_lookalikes", [])],
        party_types=set(types.get("party_types", [])),
    )


# --------------------------------------------------------------------------- folding

_OCR_LETTER = str.maketrans({"&": "e", "¢": "e", "€": "e", "@": "a", "|": "l", "$": "s"})
_DIGIT_AS_LETTER = re.compile(r"(?<=[a-z])[0-9]|[0-9](?=[a-z])")
_DIGIT_MAP = {"6": "o", "0": "o", "9": "o", "1": "i", "8": "a", "3": "e", "4": "a"}


_SHORT = 200  # strings up to this length are folded through a cache (names, lines)


def fold(text: str) -> str:
    """Lower-case, mark-free copy of `text`, same length (đ -> d)."""
    return _fold_short(text) if len(text) <= _SHORT else _fold_long(text)


def _fold(text: str) -> str:
    return strip_marks(text).lower()


# Whole documents are folded by several readers in turn: a few are kept.
_fold_short = lru_cache(maxsize=65536)(_fold)
_fold_long = lru_cache(maxsize=4)(_fold)  # whole documents: only the current ones


def fold_ocr(text: str) -> str:
    """`fold` plus OCR look-alikes read as letters ("s6" -> "so", "K&" -> "ke"); same length."""
    return _fold_ocr_short(text) if len(text) <= _SHORT else _fold_ocr_long(text)


def _fold_ocr(text: str) -> str:
    out = fold(text).translate(_OCR_LETTER)
    return _DIGIT_AS_LETTER.sub(lambda m: _DIGIT_MAP.get(m.group(), m.group()), out)


_fold_ocr_short = lru_cache(maxsize=65536)(_fold_ocr)
_fold_ocr_long = lru_cache(maxsize=4)(_fold_ocr)


@lru_cache(maxsize=4096)
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


@lru_cache(maxsize=65536)
def _name_key(folded: str) -> str:
    """Folded text without punctuation, single-spaced: what `best_name` compares."""
    return " ".join(re.sub(r"[^\w\s]", "", folded).split())


def best_name(
    words_text: str, names: list[str], *, threshold: float = 82.0
) -> tuple[str, int] | None:
    """The dictionary name that best matches the start of `words_text` (folded), with the
    number of characters of `words_text` it covers; None when nothing is close enough."""
    best: tuple[int, float, str, int] | None = None  # (words, score, name, end)
    tokens = list(re.finditer(r"\S+", words_text))
    heads: dict[int, tuple[str, int]] = {}  # words -> (key of the first words, their end)
    for name, n, key in _keyed_names(tuple(names)):
        if len(tokens) < n or (best is not None and n < best[0]):
            continue
        if n not in heads:
            last = tokens[n - 1]
            end = last.start() + len(last.group().rstrip(",.;:)\"”'"))
            heads[n] = (_name_key(fold_ocr(words_text[:end])), end)
        cand, end = heads[n]
        score = fuzz.ratio(cand, key)
        if score >= threshold and (best is None or (n, score) > best[:2]):
            best = (n, score, name, end)
    return (best[2], best[3]) if best else None


@lru_cache(maxsize=64)
def _keyed_names(names: tuple[str, ...]) -> list[tuple[str, int, str]]:
    """Each name with its number of words and its `_name_key`."""
    return [(name, len(name.split()), _name_key(fold(name))) for name in names]


# --------------------------------------------------------------------------- symbols

_S = r"[ \t]*(?:\r?\n[ \t]*){0,2}"
# the hyphen as typed, and the dashes OCR and word processors print for it (regex class body)
_DASH = r"\-‐‑–—−"
# "5924/QĐ- _⏎BYT", "1588/QĐ-⏎- TTg": a speck or the hyphen repeated before the next line
_HY = rf"{_S}[{_DASH}]{_S}(?:[_|~:.,'{_DASH}]{_S}(?<=\s))?"
# OCR: the hyphen between two codes read as "." or as a space; allowed only between codes
# that are both known (checked in `parse_symbol`)
_SOFT_HY = r"\.(?=[A-ZĐ])|[ \t]+(?=[A-ZĐ])"
_CODE_BODY = r"[A-ZĐÐ][A-Za-zĐđÐƯư]{0,9}(?:\d{1,2}[\dSOIl]?)?"
_CODE = _CODE_BODY + r"(?!\w)"
_SLASH = r"[ \t]*(?:/[ \t]*[\[|()]?|[|\[]|(?<=\s)I(?=[A-ZĐ]{2})|(?<=\d)[IlJ](?=[A-ZĐ]))[ \t]*"
_YEAR_SLASH = rf"(?:{_S}/{_S}|(?<=\d)[Il](?=[A-ZĐ]))"  # OCR: "/" after the year read as I/l
# OCR: a space inside the last code ("UBN D", "T W", "TT g", "QH 15"); kept only when the
# joined code is a known one (`_join_tail`), else cut off the match
_TAIL = r"(?:[ \t](?P<tail>[A-ZĐ]{1,3}|g|\d{2})(?![\w/]))?"
SYMBOL_RE = re.compile(
    rf"(?<![\d/.{_DASH}])(?<![^\W\d_][{_DASH}])"
    rf"(?P<num>\d(?:\d|[OoIlSBAZG](?=\d)){{0,6}}(?:\.\d{{1,2}})?)(?:"
    rf"(?P<party>(?P<phy>{_HY}(?:[{_DASH}]{_S})?|(?=[A-ZĐ]))"
    rf"(?P<ptype>{_CODE_BODY}|[A-ZĐ]{{1,2}} [A-ZĐ]{{1,2}}(?=/))"
    rf"(?:(?!\w)[,.]?{_S}//?{_S}|(?P<psep>[Il|]))(?P<piss>{_CODE}))"
    rf"|(?P<norm>{_S}/{_S}(?P<year>[12](?:[ ]?[\dOoIlS]){{3}}){_YEAR_SLASH}(?P<ntype>{_CODE})"
    rf"(?:(?:{_HY}|(?P<nsoft>{_SOFT_HY}))(?P<niss>{_CODE})"
    rf"(?P<niss2>(?:[{_DASH}](?:{_CODE}|{_S}[A-ZĐ]{{2,}}\d*(?!\w)))*))?)"
    rf"|(?P<adm>(?:{_SLASH}|(?P<anoslash>(?<=\d)(?=[A-ZĐ])))"
    rf"(?P<atype>[A-ZĐ]{{1,2}} [A-ZĐ]{{1,2}}(?=[{_DASH}])|{_CODE})"
    rf"(?:{_HY}|(?P<asoft>{_SOFT_HY}))"
    rf"(?P<aiss>{_CODE})(?:[{_DASH}](?P<aunit>{_CODE}))?(?P<amore>(?:[{_DASH}]{_CODE})*))"
    rf"|(?P<merged>{_SLASH}(?P<mcode>[A-ZĐÐ][A-Za-zĐđÐ]{{3,11}})(?![\w/{_DASH}]))"
    rf"){_TAIL}"
)
_DIGIT_LOOKALIKES = str.maketrans("OoIlSBAZG", "001158426")
_DASHES = str.maketrans({c: "-" for c in _DASH[2:]})
_LAW_TERM = re.compile(r"QH[\dSOIl]{1,2}")


def repair_code(
    code: str, known: Collection[str], seen: Set[str] = frozenset()
) -> tuple[str, float]:
    """The known code a printed code stands for, with a confidence; printed when unsure."""
    code = code.replace("Ð", "Đ").replace("TƯ", "TW")  # "Trung ương" is TW in symbols
    if code in known or code in seen:
        return code, 1.0
    pool = list(dict.fromkeys([*known, *seen]))
    printed_shape = shape(code)
    # one letter has no shape to go by: "D" is not "BB"
    same = [k for k in pool if shape(k) == printed_shape and (len(code) > 1 or len(k) == 1)]
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
        or (len(printed_shape) >= 4 and Levenshtein.distance(shape(k), printed_shape) <= 1)
        # the last letter cut off by a line end or a stamp: "UBN" for UBND
        or (len(code) >= 3 and len(k) == len(code) + 1 and k.upper().startswith(code.upper()))
    ]
    if len(close) != 1:  # "WBND": UBND or HĐND? "KI": KL? the one a letter OCR confuses
        close = [k for k in (close or pool) if _lookalike_swap(shape(k), printed_shape)]
    if len(close) == 1:
        return close[0], 0.75
    upper = code.upper() if code.isupper() or len(code) > 3 else code
    return upper, 0.6


# Capital letters OCR reads one for the other (shapes that differ by a stroke or a gap).
LETTER_LOOKALIKES = frozenset(
    "".join(sorted(p)) for p in ("UW", "UV", "VW", "IL", "IT", "DO", "OQ", "CG", "EF", "HN", "MN")
)


def _lookalike_swap(a: str, b: str) -> bool:
    """`a` and `b` differ in one place only, by two letters OCR confuses."""
    if len(a) != len(b):
        return False
    diff = [x + y for x, y in zip(a, b, strict=True) if x != y]
    return len(diff) == 1 and "".join(sorted(diff[0])) in LETTER_LOOKALIKES


def sure_code(code: str, known: Collection[str], seen: Set[str] = frozenset()) -> bool:
    """`code` is a known code, as printed or through a sure repair (Đ look-alike, doubling)."""
    if len(code) < 2:  # "D" is no code, though its shape is that of "BB"
        return code in known
    got, conf = repair_code(code, known, seen)
    return got in known and conf >= 0.9


def split_merged(
    code: str, types: Collection[str], issuers: Collection[str], seen: Set[str] = frozenset()
) -> tuple[str, str, float] | None:
    """A type code and an issuer code run together ("QDBYT" -> QĐ, BYT), when exactly one
    split gives two known codes (each exact or a sure repair)."""
    found = []
    for k in range(1, len(code)):
        t, tc = repair_code(code[:k], types, seen)
        i, ic = repair_code(code[k:], issuers, seen)
        if t in types and i in issuers and min(tc, ic) >= 0.9:
            found.append((t, i, min(tc, ic) * 0.9))
    return found[0] if len(found) == 1 else None


@dataclass
class ParsedSymbol:
    """A symbol split into its parts, repaired and normalised.

    `cut` is the number of characters at the end of the match that are not part of the
    symbol (a letter after a space that did not complete the last code)."""

    symbol: str
    printed: str
    family: str
    number: str
    type_code: str
    issuer_code: str
    year: int | None
    confidence: float
    cut: int = 0


def _rejected(printed: str) -> ParsedSymbol:
    """A match that only looked like a symbol (confidence 0: callers drop it)."""
    return ParsedSymbol("", printed, "", "", "", "", None, 0.0)


def _last_code(g: dict[str, str]) -> str:
    """The group holding the last code of the match (where a split-off tail belongs)."""
    if g["party"]:
        return "piss"
    if g["norm"]:
        return "niss2" if g["niss2"] else ("niss" if g["niss"] else "ntype")
    if g["adm"]:
        return "amore" if g["amore"] else ("aunit" if g["aunit"] else "aiss")
    return "mcode"


def _join_tail(m: re.Match[str], g: dict[str, str], rules: Rules, seen: Set[str]) -> int:
    """Join a code split by a space ("UBN D" -> UBND) into `g` when the joined code is a
    known one and the printed part alone is not; otherwise the number of characters to cut."""
    tail = g["tail"]
    if not tail:
        return 0
    key = _last_code(g)
    issuers = set(rules.issuer_codes)
    if key == "niss2":
        head, _, last = g[key].rpartition("-")
        last = last.strip()
    else:
        head, last = "", g[key]
    joined = last + tail
    if key == "ntype":
        ok = last == "QH" and tail.isdigit()  # a law's term: "QH 15"
    elif key in ("piss", "niss", "niss2") or (key == "aiss" and g["atype"] not in issuers):
        ok = sure_code(joined, issuers, seen) and not sure_code(last, issuers, seen)
    else:
        ok = False  # unit codes are not in the dictionaries: nothing says the join is right
    if ok:
        g[key] = f"{head}-{joined}" if key == "niss2" else joined
        return 0
    return m.end() - m.start("tail") + 1


def parse_symbol(m: re.Match[str], rules: Rules, seen: Set[str] = frozenset()) -> ParsedSymbol:
    """Normalise a `SYMBOL_RE` match: join broken pieces, repair codes, pick the family.

    Forms read only through an OCR repair (separator lost or read as a letter) must resolve
    to known codes; otherwise the result has confidence 0 and is not a symbol."""
    g = {k: re.sub(r"\s+", "", v).translate(_DASHES) if v else "" for k, v in m.groupdict().items()}
    g["atype_raw"] = m.group("atype") or ""
    g["ptype_raw"] = m.group("ptype") or ""
    for soft in ("nsoft", "asoft", "anoslash"):  # empty matches: flags
        g[soft] = "soft" if m.group(soft) is not None else ""
    cut = _join_tail(m, g, rules, seen)
    p = _parse_groups(g, rules, seen)
    matched = m.group(0)[: len(m.group(0)) - cut]
    p.printed, p.cut = re.sub(r"\s+", "", matched), cut
    if p.confidence > 0 and (g["asoft"] or g["anoslash"] or g["nsoft"]):
        p.confidence = min(p.confidence, 0.85)  # read through a lost or misread separator
    return p


def _parse_groups(g: dict[str, str], rules: Rules, seen: Set[str]) -> ParsedSymbol:
    """`parse_symbol` on the match's groups (spaces removed, dashes made "-")."""
    types = set(rules.type_names)
    issuers = set(rules.issuer_codes)
    num = g["num"].translate(_DIGIT_LOOKALIKES)  # OCR: "2A6" -> "246"
    printed = ""  # set by the caller
    # "24I2024": the "/" before the year read as I or l, not as the digit 1
    slash_read = re.fullmatch(r"(\d{1,3})[Il|]((?:19|20)\d\d)", g["num"])
    glued = slash_read or re.fullmatch(r"(\d{1,3})((?:19|20)\d\d)", num)
    if g["adm"] and glued and g["atype"] in rules.year_types and not g["asoft"]:
        # OCR lost the "/" between number and year: "132014/TTLT-BYT" is 13/2014/TTLT-BYT
        num, year = glued.group(1), int(glued.group(2))
        i, ic = repair_code(g["aiss"], issuers, seen)
        t, more = g["atype"], (g["aunit"] and "-" + g["aunit"]) + g["amore"]
        sym = f"{num}/{year}/{t}-{i}" + "".join(
            f"-{repair_code(x, issuers, seen)[0]}" for x in more.split("-") if x
        )
        return ParsedSymbol(sym, printed, "normative", num, t, i, year, min(ic, 0.85))
    if len(num.split(".")[0]) >= 6:
        return _rejected(printed)  # no document number runs to six digits
    if g["party"]:
        t, tc = repair_code(g["ptype"], types, seen)
        i, ic = repair_code(g["piss"], issuers, seen)
        # "-" lost, "/" read as I, or a space inside the type ("57-N Q/TW")
        loose = g["psep"] or not g["phy"] or " " in g["ptype_raw"]
        if loose and (t not in types or i not in issuers or min(tc, ic) < 0.9):
            return _rejected(printed)
        return ParsedSymbol(f"{num}-{t}/{i}", printed, "party", num, t, i, None, min(tc, ic))
    if g["merged"]:  # "1588/QDBYT": the "-" between type and issuer lost
        split = split_merged(g["mcode"], types, issuers, seen)
        if not split:
            return _rejected(printed)
        t, i, conf = split
        return ParsedSymbol(f"{num}/{t}-{i}", printed, "administrative", num, t, i, None, conf)
    if g["norm"]:
        return _normative(num, g, rules, seen)
    raw_type, raw_iss, unit = g["atype"], g["aiss"], g["aunit"]
    if (g["asoft"] or g["anoslash"]) and not (
        sure_code(raw_type, types | issuers, seen) and sure_code(raw_iss, issuers, seen)
    ):
        return _rejected(printed)  # "-" read as "." or a space, "/" lost: both codes known
    if " " in g["atype_raw"] and repair_code(raw_type, types, seen)[0] not in types:
        return _rejected(printed)  # OCR split a type code: "N Q-CP"; only a known code joins
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
    sym = f"{num}/{t}-{i}" + (f"-{unit}" if unit else "") + g["amore"]
    return ParsedSymbol(sym, printed, "administrative", num, t, i, None, min(tc, ic))


def _normative(num: str, g: dict[str, str], rules: Rules, seen: Set[str]) -> ParsedSymbol:
    """A symbol with a year: <n>/<year>/<TYPE>[-<ISSUER>...] or a law's <n>/<year>/QH<term>."""
    types = set(rules.type_names)
    issuers = set(rules.issuer_codes)
    year = int(g["year"].translate(_DIGIT_LOOKALIKES))
    raw_type = g["ntype"]
    if g["nsoft"] and not sure_code(g["niss"], issuers, seen):
        g["niss"] = g["niss2"] = ""  # "11/2024/NĐ CP": only a known issuer follows a space
    if _LAW_TERM.fullmatch(raw_type) and not g["niss"]:
        term = "QH" + raw_type[2:].translate(_DIGIT_LOOKALIKES)
        return ParsedSymbol(f"{num}/{year}/{term}", "", "normative", num, "L", "QH", year, 1.0)
    t, tc = repair_code(raw_type, rules.normative_types | types, seen)
    split = None if g["niss"] or tc >= 0.9 else split_merged(raw_type, types, issuers)
    if split:  # "96/2023/NDCP"
        t, i, conf = split
        return ParsedSymbol(f"{num}/{year}/{t}-{i}", "", "normative", num, t, i, year, conf)
    i, ic = repair_code(g["niss"], issuers, seen) if g["niss"] else ("", 1.0)
    more = "".join(
        "-" + repair_code(x, issuers, seen)[0] for x in g["niss2"].split("-") if x
    )  # a joint circular names every issuer: 08/2016/TTLT-BYT-BNV
    sym = f"{num}/{year}/{t}-{i}{more}" if i else f"{num}/{year}/{t}"
    return ParsedSymbol(sym, "", "normative", num, t, i, year, min(tc, ic))


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


@lru_cache(maxsize=4096)
def _ending_with(name: str) -> re.Pattern[str]:
    """Regex for `name` (loosely spelt) ending a folded window."""
    return re.compile(r"(?:^|[^a-z])(" + loose_pattern(name) + r")\s*$")


@lru_cache(maxsize=4096)
def _last_letters(name: str) -> str:
    """The letters a match of `_ending_with(name)` can end with ("" when not known)."""
    pattern = loose_pattern(name)
    if pattern.endswith("[aeiouyjw]{1,4}"):
        return "aeiouyjw"
    return pattern[-1] if pattern[-1:].isalnum() else ""


def type_before(folded: str, pos: int, rules: Rules) -> tuple[str, str, int] | None:
    """The type name printed just before a symbol ("Nghị quyết số"): (name, code, start)."""
    window_start = max(0, pos - 45)
    window = folded[window_start:pos]
    so = SO_RE.search(window)
    head = window[: so.start()] if so else window
    best: tuple[int, str, str, int] | None = None
    last = head.rstrip()[-1:]
    for name, code in rules.name_codes.items():
        ends = _last_letters(name)
        if ends and last not in ends:
            continue
        m = _ending_with(name).search(head)
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
                close = fuzz.ratio(flat, _letters(fold(name))) >= 80
                if len(name.split()) == n and len(flat) >= 5 and close:
                    return name, code, window_start + first.start()
    return None


@lru_cache(maxsize=4096)
def _letters(folded: str) -> str:
    return re.sub(r"[^a-z]", "", folded)


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


def issuer_code_of(name: str, rules: Rules) -> str | None:
    """The code of a body named in full ("Thủ tướng Chính phủ" -> "TTg"), when one only."""
    codes = [c for c, body in rules.issuer_codes.items() if body == name]
    return codes[0] if len(codes) == 1 else None


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
