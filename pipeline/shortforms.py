"""Citations resolved across one document: full symbols made consistent, short forms, laws
by name.

`find_full` reads every printed symbol (through `make_citation`) and makes the
document's mentions agree: a damaged variant takes the symbol of a sure one (a code cut off
at a line end, a misread unit letter or digit), a symbol left incomplete is dropped, later
mentions inherit date and issuer from the first, list items share a relation. Short forms ("Nghị
quyết 57", "Kế hoạch số 02", "NQ số 57") are resolved against those full citations by type
and number; laws cited by title ("Luật Khám bệnh, chữa bệnh") are looked up in
`dictionaries/law_titles.tsv`. Cue words are matched on the OCR-folded text, so the rules
work on restored text and mark-less OCR text alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Set
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from pipeline.citations import (
    SYMBOL_RE,
    ParsedSymbol,
    Rules,
    best_name,
    date_after,
    derived,
    fold,
    fold_ocr,
    issuer_after,
    issuer_code_of,
    loose_pattern,
    parse_date,
    parse_symbol,
    shape,
    type_before,
)
from pipeline.header import is_own
from pipeline.keys import document_key
from pipeline.mentions import flag_twins, inherit_relations, unify, unify_variants
from pipeline.models import Citation, DocumentMeta

# --------------------------------------------------------------------------- one citation

_GARBLED_DATE = re.compile(r"[\s,]*ng[a-z]{1,3}\s+[0-9/.\-|il]{4,14}")


@lru_cache(maxsize=256)
def _cue_re(cue: str) -> re.Pattern[str]:
    """A mark-free cue on folded text; a word-final "c" may be OCR'd as "e" ("thue hien")."""
    body = re.sub(r"c(?= |$)", "[ce]", re.escape(cue).replace(r"\ ", " "))
    return re.compile(r"(?:^|[^a-z])" + body.replace(" ", r"\s+") + r"(?![a-z])")


@lru_cache(maxsize=256)
def _cue_head(cue: str) -> str:
    """Characters every match of `_cue_re(cue)` holds: its first word (bar a final "c")."""
    head = cue.split(" ")[0]
    return head[:-1] if head.endswith("c") else head


def relation_before(folded: str, pos: int, floor: int, rules: Rules) -> str:
    """The relation cue nearest before `pos`, looking back no further than `floor`."""
    window = folded[floor:pos]
    best: tuple[int, str] | None = None
    for relation, cues in rules.relation_cues.items():
        for cue in cues:
            if _cue_head(cue) not in window:
                continue
            for m in _cue_re(cue).finditer(window):
                if best is None or m.start() > best[0]:
                    best = (m.start(), relation)
    return best[1] if best else rules.default_relation


def clause_start(folded: str, pos: int) -> int:
    """Start of the clause holding `pos` (after ';', '.', a blank line or a bullet)."""
    lo = max(0, pos - 400)
    window = folded[lo:pos]
    cuts = [m.end() for m in re.finditer(r"[;:]\s|\.\s+(?=[a-z0-9])|\n\s*\n|\n\s*[-+•]\s", window)]
    return lo + (cuts[-1] if cuts else 0)


def _title_near(title: str, near: str) -> bool:
    """A law's title printed in `near` (folded); an amending law ("Luật sửa đổi, bổ sung một
    số điều của Luật X") also as "Luật X được sửa đổi, bổ sung bởi Luật số ..."."""
    body = " ".join(fold(title.split(" ", 1)[1]).split())
    if fuzz.partial_ratio(body, near) >= 90:
        return True
    amended = body.split(" cua luat ", 1)
    return (
        len(amended) == 2
        and "sua doi" in near
        and fuzz.partial_ratio(amended[1], near) >= 90
        and len(amended[1]) >= 6
    )


def _law_by_title(text: str, start: int, end: int, p: ParsedSymbol, rules: Rules) -> None:
    """A law number one digit off a law in `law_titles.tsv` (same year and term) whose title
    is printed next to it was misread ("31/2024/QH15 ... sửa đổi ... Luật Bảo hiểm y tế"
    for 51/2024/QH15): take the table's number."""
    if p.issuer_code != "QH" or any(law[1] == p.symbol for law in rules.laws):
        return
    near = " ".join(fold_ocr(text[max(0, start - 150) : end + 200]).split())
    term = p.symbol.split("/", 1)[1]
    hits = [
        law
        for law in rules.laws
        if law[1].split("/", 1)[1] == term
        and Levenshtein.distance(law[1].split("/")[0], p.number) == 1
        and _title_near(law[0], near)
    ]
    if len(hits) == 1:
        p.symbol, p.number, p.confidence = hits[0][1], hits[0][1].split("/")[0], 0.8


def _needs_issuer(issuer_code: str, type_code: str, rules: Rules) -> bool:
    """A normative symbol of a known type printed without the issuer its type always carries
    ("101/2024/NĐ" cut at a line end): only a law ("15/2023/QH15") has none."""
    return not issuer_code and type_code in rules.type_names and type_code not in ("L", "QH")


def _complete_from_peers(cites: list[Citation], rules: Rules) -> list[Citation]:
    """Normative symbols printed without their issuer take the issuer of a full mention with
    the same number, year and type; those left incomplete are dropped."""
    out = []
    for c in cites:
        if not _needs_issuer(c.cited_issuer_code, c.cited_type, rules):
            out.append(c)
            continue
        peers = {
            p.cited_symbol: p
            for p in cites
            if p.cited_issuer_code
            and (p.family, p.cited_number, p.cited_year, p.cited_type)
            == (c.family, c.cited_number, c.cited_year, c.cited_type)
        }
        if len(peers) == 1:
            peer = next(iter(peers.values()))
            c.cited_symbol, c.cited_issuer_code, c.key = (
                peer.cited_symbol,
                peer.cited_issuer_code,
                peer.key,
            )
            c.confidence = min(c.confidence, 0.85)
            out.append(c)
    return out


def _year_agrees(p: ParsedSymbol, cited_date: str | None) -> bool:
    """A normative symbol's year is the year it was signed: a year that cannot be one (not
    19xx or 20xx) one digit away from the date printed after it ("178/2934/NĐ-CP ngày
    31/12/2024") was misread, and the date's is taken. When both are possible years, either
    may be the misread one: the symbol stays as printed. False when no year is left."""
    year = p.year or 0
    misread = not 1900 <= year <= 2099
    if cited_date and misread and Levenshtein.distance(str(year), cited_date[:4]) == 1:
        p.symbol = p.symbol.replace(f"/{year}/", f"/{cited_date[:4]}/", 1)
        year = p.year = int(cited_date[:4])
        p.confidence = min(p.confidence, 0.75)
    return 1900 <= year <= 2099


def _type_from_name(p: ParsedSymbol, named: str, rules: Rules) -> None:
    """A type code OCR garbled at one end ("1981/ )Đ-TTg" after "Quyết định số") takes the
    code of the type name printed before it, when the printed part is the start or end of
    that code."""
    t = p.type_code
    if not t or t in rules.type_names or named in ("CV", "L") or p.confidence == 0:
        return
    if not (shape(named).endswith(shape(t)) or shape(named).startswith(shape(t))):
        return
    head = {"party": f"{p.number}-", "normative": f"{p.number}/{p.year}/"}.get(
        p.family, f"{p.number}/"
    )
    if p.symbol.startswith(head + t):
        p.symbol = head + named + p.symbol[len(head + t) :]
        p.type_code, p.confidence = named, max(p.confidence, 0.75)


def _cut_off(family: str, type_code: str, issuer_code: str) -> bool:
    """An issuer code of one letter: the rest cut off by a line end or a stamp ("72-NQ/T")."""
    return type_code not in ("CV", "L") and len(issuer_code) == 1


def _plausible(p: ParsedSymbol, typed: bool, rules: Rules) -> bool:
    """Whether a parsed symbol can be a document's symbol: not when neither its type code nor
    its issuer code is known and no type name stands before it ("tỉnh lộ 48/TL-NA")."""
    if p.family == "administrative" and p.type_code != "CV" and not typed:
        return p.type_code in rules.type_names or p.issuer_code in rules.issuer_codes
    return True


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
    end = max(start + 1, end - p.cut)
    if p.confidence == 0:
        return Citation("", text[start:end], start, end, confidence=0.0, status="unresolved")
    typed = type_before(folded, start, rules)
    if typed:
        _type_from_name(p, typed[1], rules)
    mention_start = typed[2] if typed else start
    code = typed[1] if typed and p.family != "normative" else p.type_code
    type_name = rules.type_names.get(code, typed[0] if typed else "")
    dated = date_after(folded, end)
    cited_date = dated[0] if dated else None
    if p.family == "normative" and p.year and not _year_agrees(p, cited_date):
        return Citation("", text[start:end], start, end, confidence=0.0, status="unresolved")
    garbled = None if dated else _GARBLED_DATE.match(folded, end)
    after = dated[1] if dated else (garbled.end() if garbled else end)  # "ngày 06/0172022."
    issued = issuer_after(text, folded, after, rules)
    issuer = issued[0] if issued else ""
    year = p.year or (int(cited_date[:4]) if cited_date else None)
    floor = clause_start(folded, mention_start)
    if p.family == "party" and p.issuer_code == "TU" and issuer in rules.central_bodies:
        # "TƯ" printed without its mark reads as Tỉnh ủy: the body named after it decides
        p.issuer_code, p.symbol = "TW", f"{p.number}-{p.type_code}/TW"
    _law_by_title(text, start, end, p, rules)
    named = issuer_code_of(issuer, rules)
    if (  # an unknown code the named body explains ("TTEg" ... "của Thủ tướng Chính phủ"),
        # or the first letters of its code, the rest cut off ("05/CĐ-B" ... "của Bộ Tài chính")
        p.confidence < 0.75
        and named
        and p.issuer_code
        and p.symbol.endswith(p.issuer_code)
        and (
            Levenshtein.distance(named.upper(), p.issuer_code.upper()) <= 2
            or named.upper().startswith(p.issuer_code.upper())
        )
    ):
        p.symbol = p.symbol[: -len(p.issuer_code)] + named
        p.issuer_code, p.confidence = named, 0.75
    if named and p.family == "normative" and _needs_issuer(p.issuer_code, p.type_code, rules):
        p.symbol, p.issuer_code, p.confidence = f"{p.symbol}-{named}", named, 0.75
    if not _plausible(p, typed is not None, rules):
        return Citation("", text[start:end], start, end, confidence=0.0, status="unresolved")
    if _cut_off(p.family, p.type_code, p.issuer_code):
        p.confidence = min(p.confidence, 0.3)  # completed from a peer (`unify`) or dropped
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
        cite = make_citation(text, folded, match, rules, span=span)
        if cite.confidence > 0:
            cites.append(cite)
    for i, h in enumerate(src_hits):
        if printed and i not in used:
            t0, t1 = printed[2](h.start(), h.end())
            skipped = any(s <= t0 < e for s, e in skip)
            overlaps = any(c.start < t1 and t0 < c.end for c in cites)
            cite = make_citation(text, folded, h, rules, span=(t0, t1))
            if t1 > t0 and not skipped and not overlaps and cite.confidence > 0:
                cites.append(cite)
    cites.sort(key=lambda c: c.start)
    cites = _complete_from_peers(cites, rules)
    unify(cites)
    cites = [c for c in cites if not _cut_off(c.family, c.cited_type, c.cited_issuer_code)]
    unify_variants(cites, rules)
    flag_twins(cites, rules)
    inherit_relations(text, cites, rules)
    _fill_from_first(cites, rules, home)
    return cites


def _short_pattern(rules: Rules) -> re.Pattern[str]:
    return derived(rules, "short_pattern", _make_short_pattern)


def _make_short_pattern(rules: Rules) -> re.Pattern[str]:
    names = sorted(rules.name_codes, key=len, reverse=True)
    patterns = [loose_pattern(n) for n in names]
    alts = "|".join(f"(?P<n{i}>{p})" for i, p in enumerate(patterns))
    # The letters a name can start with, as a lookahead: the scan skips other positions fast.
    firsts = set()
    for p in patterns:
        firsts |= set("aeiouyjw") if p.startswith("[aeiouyjw]") else {p[:1]}
    ahead = f"(?=[{''.join(sorted(firsts))}])" if all(c.isalnum() for c in firsts) else ""
    return re.compile(
        rf"{ahead}(?<![a-z])(?:{alts})\s+(?:(?:so|s[a-z]{{1,2}}|50)\s*)?(?P<num>\d{{1,4}})(?![\d/\-]|\.\d|\s*[-/]\s*[a-z])"
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


def home_of(meta: DocumentMeta, rules: Rules) -> tuple[str, str, str] | None:
    """(place, "tỉnh"/"thành phố", issuer without place) of a local issuer, else None."""
    if not meta.issuer:
        return None
    m = re.match(r"(.+?)\s+(tỉnh|[Tt]hành phố)\s+(.+)$", meta.issuer)
    if m:
        return m.group(3), m.group(2), m.group(1)
    return None


def _body_pattern(rules: Rules) -> re.Pattern[str]:
    return derived(rules, "body_pattern", _make_body_pattern)


def _make_body_pattern(rules: Rules) -> re.Pattern[str]:
    names = sorted(rules.name_codes, key=len, reverse=True)
    alts = "|".join(f"(?P<n{i}>{loose_pattern(n)})" for i, n in enumerate(names))
    return re.compile(
        rf"(?<![a-z])(?:{alts})\s+(?:s[a-z0-9]{{0,2}}\s*[:.]?\s*)?(?P<num>\d{{1,4}})(?P<junk>\S{{0,10}})"
    )


_DATE_CUE = re.compile(r"\s*(?:ng[a-z]{0,3}\s*[:.]?\s*)?")


def find_by_central_body(text: str, rules: Rules, full: list[Citation]) -> list[Citation]:
    """Party documents whose symbol OCR garbled past the number, read from the type name and
    the central Party body that issued them ("Nghị quyết số 66NWQƒTY ngày 30/4/2025 của Bộ
    Chính trị" is 66-NQ/TW): such bodies number every document <n>-<TYPE>/TW."""
    folded = fold_ocr(text)
    names = sorted(rules.name_codes, key=len, reverse=True)
    have = {(c.cited_number.lstrip("0"), c.cited_type) for c in full}
    out: list[Citation] = []
    for m in _body_pattern(rules).finditer(folded):
        idx = next(int(k[1:]) for k, v in m.groupdict().items() if v and k.startswith("n"))
        code = rules.name_codes[names[idx]]
        digits = re.match(r"\d{1,4}", text[m.start("num") :])  # folding reads "66N" as "6oN"
        if not digits or parse_date(folded[m.start("num") : m.start("num") + 12]):
            continue  # "Nghị quyết 25/10/2017 của ...": the number lost, a date left
        num = digits.group()
        if code not in rules.party_types or (num.lstrip("0"), code) in have:
            continue
        if any(c.start < m.end() and m.start() < c.end for c in full + out):
            continue
        pos = _DATE_CUE.match(folded, m.end())
        after = pos.end() if pos else m.end()
        dated = parse_date(folded[after : after + 40])
        after = after + dated[1] if dated else m.end()
        issued = issuer_after(text, folded, after, rules)
        if not issued or issued[0] not in rules.central_bodies:
            continue
        symbol = f"{num}-{code}/TW"
        out.append(
            Citation(
                cited_symbol=symbol,
                raw_text=text[m.start() : m.end()],
                start=m.start(),
                end=m.end(),
                family="party",
                cited_type=code,
                cited_type_name=rules.type_names.get(code, ""),
                cited_number=num,
                cited_issuer_code="TW",
                cited_issuer=issued[0],
                cited_date=dated[0] if dated else None,
                key=document_key(symbol, "party"),
                relation=relation_before(folded, m.start(), clause_start(folded, m.start()), rules),
                form="full",
                confidence=0.6,
                printed_symbol=text[m.start("num") : m.end("junk")],
            )
        )
    return out


def find_citations(
    text: str,
    rules: Rules,
    meta: DocumentMeta,
    own: tuple[int, int] | None = None,
    printed: tuple[str, Mapper, Mapper] | None = None,
) -> list[Citation]:
    """Every citation of a document (full, short, laws by name) in text order; the
    document's own symbol (its "Số:" line at `own`, or `meta.symbol`) is not one."""
    full = find_full(text, rules, [own] if own else [], home_of(meta, rules), printed)
    full = [c for c in full if not is_own(c, meta)]
    full = sorted(full + find_by_central_body(text, rules, full), key=lambda c: c.start)
    short = find_short(text, rules, full)
    named = find_laws_by_name(text, rules, full)
    return sorted(full + short + named, key=lambda c: c.start)
