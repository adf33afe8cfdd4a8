"""The document's own identity: type, number/symbol, issuer, place, date, title, signer.

Read from the header block when there is one; otherwise from the best evidence elsewhere
(a digital-signature trailer, "Sở Y tế ... ban hành Kế hoạch" in the body, the closing
"Trên đây là Kế hoạch ...") with a lower confidence. Every field keeps its evidence span.
Cue words are matched on the folded text, so mark-less OCR input works; names found are
canonicalised through the dictionaries to their marked form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from pipeline.citations import (
    OF_RE,
    SO_RE,
    SYMBOL_RE,
    Rules,
    date_after,
    fold,
    fold_ocr,
    issuer_after,
    parse_date,
    parse_symbol,
    shape,
    type_before,
)
from pipeline.keys import document_key
from pipeline.models import Citation, DocumentMeta, Span
from pipeline.units import (
    canonical_body,
    locality_of,
    nospace,
    place_at_end,
    rules_code,
    with_place,
)

MOTTO_RE = re.compile(
    r"c[o0]ng\s*h[a-z]{1,3}\s*x[a-z]\s*h[a-z]{1,3}|d[o0]c\s*l[a-z]p|doc lap|poc lap"
    r"|dang\s+cong\s+san"
)
# the header's "Số:" line; OCR may print a speck before it ("_ Số: 205/BC-SYT")
NUMBER_LINE_RE = re.compile(
    r"(?m)^[^\S\n]*(?:[_|.,'•*][^\S\n]*)?(?:s[a-z0-9]{0,2}|so)\s*[:;]?\s*(?=\d)"
)
PLACE_DATE_RE = re.compile(r"([a-z][a-z .'-]{1,30}?)\s*,\s*ng[a-z]{1,3}\s+(?=\d)")
_TRAILER_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})([+-]\d{2}):?(\d{2})")
# The other e-signature form: "Thời gian ký: 14.10.2025 16:22:35 +07:00" (folded text).
_SIGNED_TIME = re.compile(
    r"th[a-z]{1,2}i\s+gian\s+k[a-z]\s*:\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})"
    r"\s+(\d{1,2}:\d{2}(?::\d{2})?)(?:\s*([+-]\d{2}):?(\d{2}))?"
)
_SIGNED_BY = re.compile(r"([^\n<>\t]+?)\s*<([^>@\s]+@[^>\s]+)>")


@dataclass
class Line:
    start: int
    end: int
    text: str


def lines_of(text: str) -> list[Line]:
    """Lines with their offsets (without the newline)."""
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append(Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return out


def _mostly_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _shape_upper(s: str) -> str:
    """Upper-case mark-free copy with OCR look-alikes of Đ/Ô merged (same length)."""
    return fold_ocr(s).upper().translate(str.maketrans("PBQ", "DDO"))


def _span(text: str, start: int, end: int, label: str, value: object, conf: float) -> Span:
    return Span(start, end, text[start:end], label=label, value=value, confidence=conf)


def _set(
    meta: DocumentMeta, text: str, field: str, value: object, start: int, end: int, conf: float
) -> None:
    setattr(meta, field, value)
    meta.evidence[field] = _span(text, start, end, field, value, conf)
    meta.confidence[field] = conf


def number_line(text: str, folded: str, end: int) -> re.Match[str] | None:
    """The header's "Số:" line before `end`: printed with a capital S ("Số", "SỐ", "S6"),
    never a wrapped line of the body that starts with "số 57-NQ/TW"."""
    for m in NUMBER_LINE_RE.finditer(folded, 0, end):
        first = text[m.start() : m.end()].lstrip(" \t_|.,'•*")[:1]
        if first.isupper() or first == "$":  # OCR prints "$6:" for "Số:"
            return m
    return None


def header_block(text: str) -> tuple[int, int] | None:
    """The header region: from the start to the type line, when a motto or Số line is there."""
    head = fold_ocr(text[:2500])
    motto = MOTTO_RE.search(head)
    number = number_line(text, head, len(head))
    if not motto and not number:
        return None
    ends = [m.end() for m in (motto, number) if m]
    return 0, min(len(text), max(ends) + 200)


def read_header(text: str, rules: Rules, meta: DocumentMeta) -> tuple[int, int] | None:
    """Fill issuer/parent, number/symbol, place and date from the header; the Số span."""
    block = header_block(text)
    if block is None:
        return None
    folded = fold_ocr(text)
    own_span = None
    lines = [ln for ln in lines_of(text[: block[1]]) if ln.text.strip()]
    bodies: list[tuple[str, str, Line]] = []
    for ln in lines[:6]:
        f = folded[ln.start : ln.end]
        cut = MOTTO_RE.search(f)
        left = text[ln.start : ln.start + cut.start()] if cut else ln.text
        if NUMBER_LINE_RE.match(f) or PLACE_DATE_RE.search(f):
            break
        got = canonical_body(left, rules)
        if got:
            bodies.append((got[0], got[1], ln))
        elif bodies and not bodies[-1][1]:
            place = locality_of(left, rules)
            if place:
                name, _, prev = bodies[-1]
                bodies[-1] = (name, place, Line(prev.start, ln.start + len(left.rstrip()), ""))
    if bodies:
        name, loc, ln = bodies[-1]
        parent = bodies[0] if len(bodies) > 1 else None
        if parent:
            ploc = parent[1]
            _set(
                meta,
                text,
                "parent_issuer",
                with_place(parent[0], ploc),
                parent[2].start,
                parent[2].end,
                0.9,
            )
            loc = loc or ploc
        _set(meta, text, "issuer", with_place(name, loc), ln.start, ln.end, 0.9)
        meta.issuer_code = rules_code(name, rules)
    m = number_line(text, folded, block[1])
    if m:
        sm = SYMBOL_RE.match(text, m.end())
        p = parse_symbol(sm, rules) if sm else None
        if sm and p and p.confidence > 0:
            sym_end = sm.end() - p.cut
            _set(meta, text, "symbol", p.symbol, sm.start(), sym_end, p.confidence)
            _set(meta, text, "number", p.number, sm.start(), sm.start() + len(p.number), 1.0)
            meta.type_code = p.type_code
            meta.issuer_code = meta.issuer_code or p.issuer_code
            own_span = (m.start(), sym_end)
    pd = PLACE_DATE_RE.search(folded, 0, block[1])
    if pd:
        when = parse_date(folded[pd.end() : pd.end() + 40])
        place_text = text[pd.start(1) : pd.end(1)]
        where = place_at_end(place_text, rules)
        if where:
            _set(meta, text, "place", where, pd.start(1), pd.end(1), 0.9)
        if when:
            _set(meta, text, "issued_date", when[0], pd.start(), pd.end() + when[1], 1.0)
    return own_span


def read_type_and_title(text: str, rules: Rules, meta: DocumentMeta, start: int = 0) -> int:
    """The type line (KẾ HOẠCH...) and the title lines after it; returns the title's end."""
    lines = lines_of(text)
    for i, ln in enumerate(lines[:60]):
        if ln.start < start or not ln.text.strip():
            continue
        flat = nospace(ln.text)
        for printed, canon in rules.type_lines.items():
            if flat == nospace(printed) or (
                len(flat) >= 6 and fuzz.ratio(flat, nospace(printed)) >= 88
            ):
                if (
                    ln.text.strip() != ln.text.strip().upper()
                    and fold(ln.text.strip()) != fold(printed).lower()
                ):
                    continue
                _set(meta, text, "doc_type", canon, ln.start, ln.end, 0.95)
                return _read_title(text, lines, i + 1, meta, rules)
    return start


_PREAMBLE = re.compile(
    r"\s*[-~=]?\s*(c[a-z]n\s*c[a-z]{1,2}|th[a-z]{1,3}c\s*h[a-z]{1,3}n|theo\s*d|x[a-z]t\s)"
)
_HEADING = re.compile(r"\s*([ivxl|1]{1,5}|\d{1,2})\s*[.)]\s")


@lru_cache(maxsize=4)  # asked once per sentence of the same (current) text
def double_spaced(text: str) -> bool:
    """True when (nearly) every line is followed by a blank one, as in some PDF exports."""
    lines = text.split("\n")
    full = [i for i, ln in enumerate(lines[:-1]) if ln.strip()]
    return bool(full) and sum(not lines[i + 1].strip() for i in full) > 0.6 * len(full)


def _read_title(text: str, lines: list[Line], i: int, meta: DocumentMeta, rules: Rules) -> int:
    got: list[Line] = []
    blanks = 0
    max_blanks = 2 if double_spaced(text) else 1
    for ln in lines[i : i + 20]:
        if not ln.text.strip():
            blanks += 1
            if got and blanks >= max_blanks:
                break
            continue
        blanks = 0
        f = fold_ocr(ln.text)
        cue = _PREAMBLE.match(f)
        if (
            (cue and (got or cue.group(1).startswith("c")))
            or (_HEADING.match(f) and got)
            or len(got) >= 8
        ):
            break
        if got and _mostly_caps(ln.text) and not _mostly_caps(got[-1].text):
            break  # the authority line of a decision ("GIÁM ĐỐC SỞ Y TẾ")
        got.append(ln)
    if got:
        title = " ".join(" ".join(ln.text.split()) for ln in got).strip(" -_*")
        title = canonical_title(title, rules)
        _set(meta, text, "title", title, got[0].start, got[-1].end, 0.8)
        return got[-1].end
    return lines[i].start if i < len(lines) else len(text)


# --------------------------------------------------------------------------- closing


def trailer_start(text: str) -> int:
    """Start of a digital-signature trailer (timestamps, "đã ký"), or len(text)."""
    folded = fold(text)
    m = re.search(
        r"(?m)^.*(chung thuc so|da ky len van ban|\d{4}-\d{2}-\d{2}T\d{2}:\d{2})"
        r"|^[ \t]*(?:ng[a-z]{1,3}i|th[a-z]{1,2}i\s+gian)\s+k[a-z]\s*:",
        folded,
    )
    if not m:
        return len(text)
    line_start = folded.rfind("\n", 0, m.start()) + 1
    return line_start


def closing_start(text: str) -> int:
    """Start of the closing part ("Nơi nhận:"), or of the last ~1500 characters."""
    folded = fold_ocr(text)
    hits = list(re.finditer(r"(?m)^\s*\W{0,3}\s*n[o0]i\s*nh[a-z]{1,3}n?\s*:", folded))
    if hits:
        return hits[-1].start()
    return max(0, trailer_start(text) - 1500)


def read_signature(text: str, rules: Rules, meta: DocumentMeta) -> None:
    """Signer's title (with its KT./TM./TL. prefix) and name from the signature block."""
    lo, hi = closing_start(text), trailer_start(text)
    lo = max(0, min(lo, hi - 600))
    region = text[lo:hi]
    shaped = _shape_upper(region)
    heads = sorted(rules.signer_titles, key=len, reverse=True)
    deputies = {v: k for k, v in rules.signer_titles.items()}
    titles = sorted({*heads, *deputies}, key=len, reverse=True)
    found: tuple[int, int, str, str] | None = None  # start, end, prefix, title
    packed = "".join(shaped.split())  # a title matches across spaces: skip absent ones
    plain = fold_ocr(region).upper()  # the prefix letters as printed (shaping turns Q into O)
    for t in titles:
        title = _shape_upper(t).replace(" ", "")
        if title not in packed and "".join(title.split()) == title:
            continue
        rx = r"\s*".join(re.escape(ch) for ch in title)
        for m in re.finditer(rf"(?<![A-Z]){rx}(?![A-Z])", shaped):
            printed = region[m.start() : m.end()]
            letters = [c for c in printed if c.isalpha()]
            if sum(c.isupper() for c in letters) < 0.8 * len(letters):
                continue
            line_start = region.rfind("\n", 0, m.start()) + 1
            line_head = region[line_start : m.start()].strip()
            if line_head.startswith("-"):
                continue
            pre = _PREFIX.search(plain[line_start : m.start()])
            if pre and pre.group(1) == "O":  # only a capital O/Ô opening its line
                lead = region[line_start : line_start + pre.start(1)]
                if lead.strip(" \t*") or not region[line_start + pre.start(1)].isupper():
                    pre = None
            start = line_start + pre.start(1) if pre else m.start()
            cand = (start, m.end(), pre.group(1).replace("O", "Q") if pre else "", t)
            if (
                found is None
                or (cand[2] and not found[2])
                or (bool(cand[2]) == bool(found[2]) and m.start() < found[0])
            ):
                found = cand
    collective = re.search(r"(?m)^[ \t*]*(TM\s*\.|T/M)[ \t]*([^\n*]{3,60}?)[ \t*]*$", region)
    if found:
        start, end, prefix, title = found
        gap = len(region[end:]) - len(region[end:].lstrip(" \t"))
        second = _title_at(region, end + gap, titles) if prefix and gap else None
        if not second:  # "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC" run together on one line: no rest
            rest, end = _title_rest(region, end)
            title += rest
            below = re.match(r"[^\n]*\n(?:[ \t*]*\n)*[ \t*]*", region[end:])
            second = _title_at(region, end + below.end(), titles) if prefix and below else None
        if prefix == "KT" and not second and found[3] in rules.signer_titles:
            second = rules.signer_titles[found[3]], end
        value = f"{prefix}. {title}" if prefix else title
        value += f" / {second[0]}" if prefix and second else ""
        if collective and collective.start() < start and prefix != "TM":
            printed = "TM." if collective.group(1).startswith("TM") else "T/M"
            value = f"{printed} {' '.join(collective.group(2).split())} / {value}"
            start = collective.start(1)
        _set(meta, text, "signer_title", value, lo + start, lo + end, 0.9)
    name = _signer_name(region, rules)
    if name:
        s, e, value = name
        _set(meta, text, "signer", value, lo + s, lo + e, 0.8)


# An authority prefix before a title: TM. (collective), KT. (deputy for the head), TL./TUQ.
# (by order of), Q. (acting); alone on its line head so a stray capital Q is no prefix.
# OCR reads the Q of "Q." as O/Ô (no prefix of that shape exists), so it stands for Q.
_PREFIX = re.compile(r"(?:^|[\s*])(TM|KT|TL|TUQ|Q|O(?=\s*\.))\s*\.?\s*$")


def _title_rest(region: str, end: int) -> tuple[str, int]:
    """The rest of a title's line when it goes on in capitals ("VỤ TRƯỞNG" + " VỤ NGÂN SÁCH
    NHÀ NƯỚC", "PHÓ BÍ THƯ" + " THƯỜNG TRỰC", "BỘ TRƯỞNG" + ", CHỦ NHIỆM"), and its end;
    a wide gap (two printed columns) ends it."""
    line_end = region.find("\n", end)
    line_end = len(region) if line_end < 0 else line_end
    rest = re.split(r"\t| {3,}|\*", region[end:line_end])[0]
    words = rest.replace(",", " ").split()
    if not words or not all(w.isupper() and w.isalpha() for w in words):
        return "", end
    text = " ".join(rest.split())
    return ("" if text.startswith(",") else " ") + text, end + len(rest.rstrip())


def _title_at(region: str, at: int, titles: list[str]) -> tuple[str, int] | None:
    """The known title printed at `at` in capitals ("PHÓ GIÁM ĐỐC" under "KT. GIÁM ĐỐC",
    "VỤ TRƯỞNG VỤ ..." under "TL. BỘ TRƯỞNG"), with the rest of its line, or None."""
    line = region[at : at + 80].split("\n")[0]
    if not _mostly_caps(line):
        return None
    shaped = _shape_upper(line)
    for t in titles:
        rx = r"\s*".join(re.escape(ch) for ch in _shape_upper(t).replace(" ", ""))
        hit = re.match(rx, shaped)
        if hit is None or (hit.end() < len(line) and line[hit.end()].isalpha()):
            continue
        rest, stop = _title_rest(region, at + hit.end())
        return t + rest, stop
    return None


_NAME_LINE = re.compile(
    r"(?m)^[ \t*]*((?:[A-ZĐÀ-Ỹ0-9][\wÀ-ỹ]*[ \t]+){1,4}[A-ZĐÀ-Ỹ][\wÀ-ỹ]*)[ \t*]*$"
)


def _signer_name(region: str, rules: Rules) -> tuple[int, int, str] | None:
    """The last line that reads as a person's name (2-5 capitalised words)."""
    best = None
    surnames = {fold(s): s for s in rules.surnames}
    for m in _NAME_LINE.finditer(region):
        words = m.group(1).split()
        if all(w.isupper() and len(w) > 1 for w in words):
            continue  # a title line in capitals
        first = fold(words[0])
        if words[0] in rules.surnames:
            pass  # printed with its marks ("Đoàn", not its folded twin "Doãn")
        elif first not in surnames:
            digits = first.translate(str.maketrans("609", "ooo"))
            cands = [
                v for k, v in surnames.items() if k == digits or (k[:1] == "d" and k[1:] == digits)
            ]
            if len(cands) != 1:
                if words[0][0].isdigit():
                    continue
            else:
                words[0] = cands[0]
        else:
            words[0] = surnames[first]
        best = (m.start(1), m.end(1), " ".join(words))
    return best


def read_trailer(text: str, rules: Rules, meta: DocumentMeta) -> None:
    """Signing time and, when the header is missing, issuer and parent from the e-signature."""
    lo = trailer_start(text)
    if lo >= len(text):
        return
    region = text[lo:]
    times = list(_TRAILER_TIME.finditer(region))
    signers = list(_SIGNED_BY.finditer(region))
    stamp = _SIGNED_TIME.search(fold_ocr(region))
    if not times and stamp:
        d, mo, y, hms, tz_h, tz_m = stamp.groups()
        hms = hms if hms.count(":") == 2 else f"{hms}:00"
        iso = f"{y}-{int(mo):02d}-{int(d):02d}T{int(hms[:-6]):02d}{hms[-6:]}"
        iso += f"{tz_h}:{tz_m}" if tz_h else ""
        _set(meta, text, "signed_at", iso, lo + stamp.start(), lo + stamp.end(), 0.9)
    if times:
        person = next((s for s in signers if not s.group(1).strip().isupper()), None)
        t = times[0]
        if person:
            before = [x for x in times if x.start() < person.start()]
            t = before[-1] if before else t
        iso = f"{t.group(1)}T{t.group(2)}{t.group(3)}:{t.group(4)}"
        _set(meta, text, "signed_at", iso, lo + t.start(), lo + t.end(), 0.95)
        if person and not meta.signer:
            _set(
                meta,
                text,
                "signer",
                person.group(1).strip(),
                lo + person.start(1),
                lo + person.end(1),
                0.7,
            )
    if meta.issuer:
        return
    bodies = [s for s in signers if s.group(1).strip().isupper()]
    parents = [
        ln
        for ln in lines_of(region)
        if ln.text.strip().isupper() and canonical_body(ln.text, rules)
    ]
    parent = None
    for ln in parents:
        got = canonical_body(ln.text, rules)
        if got and got[1]:
            parent = (got, ln)
            break
    if parent:
        (pname, ploc), ln = parent
        _set(
            meta, text, "parent_issuer", f"{pname} {ploc}".strip(), lo + ln.start, lo + ln.end, 0.7
        )
    if bodies:
        got = canonical_body(bodies[0].group(1), rules)
        if got:
            loc = got[1] or (parent[0][1] if parent else "")
            s = bodies[0]
            _set(
                meta, text, "issuer", f"{got[0]} {loc}".strip(), lo + s.start(1), lo + s.end(1), 0.7
            )


# --------------------------------------------------------------------------- fallbacks


def _issuer_in_body(text: str, rules: Rules, meta: DocumentMeta) -> None:
    """ "<Body> [place] ban hành/xây dựng/yêu cầu ..." in the body when the header is missing."""
    folded = fold_ocr(text)
    for m in _body_names(tuple(rules.header_names)).finditer(folded):
        got = canonical_body(text[m.start() : m.end()], rules)
        if not got:
            continue
        after = folded[m.end() : m.end() + 80]
        loc = re.match(r"\s+(tinh|thanh pho)\b", after)
        tail = after[loc.end() :] if loc else after
        if not re.match(r"\s*(ban hanh|xay dung|yeu cau|de nghi)", tail):
            continue
        kind = ""
        if loc:
            printed = text[m.end() + loc.start(1)]
            kind = "tỉnh" if loc.group(1) == "tinh" else "thành phố"
            kind = kind.capitalize() if printed.isupper() else kind
        place = _most_named_place(text, rules) if kind else ""
        if place and fold(place).startswith(fold(kind) + " "):
            place = place[len(kind) + 1 :]
        value = " ".join(x for x in (got[0], kind, place) if x)
        _set(meta, text, "issuer", value, m.start(), m.end() + (loc.end() if loc else 0), 0.6)
        return


@lru_cache(maxsize=4)
def _body_names(names: tuple[str, ...]) -> re.Pattern[str]:
    """Any issuing body of the dictionaries, as it reads in folded text (longest first)."""
    alts = {r"\s+".join(map(re.escape, fold_ocr(n).split())) for n in names if n.strip()}
    return re.compile(r"(?<![a-z])(" + "|".join(sorted(alts, key=len, reverse=True)) + r")\b")


def _most_named_place(text: str, rules: Rules) -> str:
    folded = fold(text)
    counts = {p: folded.count(fold(p)) for p in rules.places}
    best = max(counts, key=lambda p: (counts[p], len(p)))
    return best if counts[best] else ""


def _subject_line(text: str, rules: Rules, meta: DocumentMeta) -> None:
    """ "V/v <subject>" of a Công văn (it has no type line): title, subject and type."""
    folded = fold_ocr(text[:3000])
    m = re.search(r"(?m)^[ \t]*v\s*/\s*v[ \t.:]*", folded)
    if not m:
        return
    end = m.end()
    for ln in lines_of(text[m.end() : m.end() + 600]):
        f = fold_ocr(ln.text).strip()
        if not f or f.startswith("kinh gui") or _mostly_caps(ln.text):
            break
        end = m.end() + ln.end
    subject = " ".join(text[m.end() : end].split())
    if not subject:
        return
    _set(meta, text, "subject", subject, m.end(), end, 0.9)
    _set(meta, text, "title", canonical_title(subject, rules), m.end(), end, 0.9)
    if not meta.doc_type:
        _set(meta, text, "doc_type", rules.type_names["CV"], m.start(), m.end(), 0.8)
        meta.type_code = "CV"


def _title_from_closing(text: str, rules: Rules, meta: DocumentMeta) -> None:
    """ "Trên đây là Kế hoạch <title>, <body> yêu cầu ..." when the title lines are missing."""
    folded = fold_ocr(text)
    m = re.search(r"tr[a-z]n\s+d[a-z]{1,3}\s+l[a-z]\s+", folded)
    if not m:
        return
    rest = folded[m.end() : m.end() + 300]
    stop = re.search(r",\s*(?:s[a-z] |bo |uy ban|ubnd|de nghi|yeu cau)|\./|\.\s*$|;", rest)
    end = m.end() + (stop.start() if stop else 0)
    title = " ".join(text[m.end() : end].split())
    if stop and len(title.split()) >= 3:
        for name in rules.name_codes:
            if fold(title).startswith(fold(name)) and not meta.doc_type:
                canon = rules.type_names.get(rules.name_codes[name], name)
                _set(meta, text, "doc_type", canon, m.end(), m.end() + len(name), 0.6)
                break
        _set(meta, text, "title", title, m.end(), end, 0.5)


def read_meta(text: str, rules: Rules) -> tuple[DocumentMeta, tuple[int, int] | None, int]:
    """Document metadata, the span of the document's own "Số:" line, and the title's end."""
    meta = DocumentMeta()
    own = read_header(text, rules, meta)
    title_end = read_type_and_title(text, rules, meta, 0)
    read_signature(text, rules, meta)
    read_trailer(text, rules, meta)
    if not meta.issuer:
        _issuer_in_body(text, rules, meta)
    if not meta.title:
        _subject_line(text, rules, meta)
    if not meta.title:
        _title_from_closing(text, rules, meta)
    if meta.doc_type and not meta.type_code:
        meta.type_code = rules.name_codes.get(meta.doc_type)
    if meta.symbol:
        family = (
            "party"
            if re.match(r"\d+-", meta.symbol)
            else ("normative" if re.match(r"\d+/\d{4}/", meta.symbol) else "administrative")
        )
        year = int(meta.issued_date[:4]) if meta.issued_date else None
        meta.key = document_key(meta.symbol, family, year)
    return meta, own, title_end


def canonical_title(text: str, rules: Rules) -> str:
    """A title with the citations in it written canonically: type name, symbol and issuer
    through the dictionaries ("Nghị quyfit số 57- NQ/TW ... của B9 Chính trị" ->
    "Nghị quyết số 57-NQ/TW ... của Bộ Chính trị"), spacing tidied."""
    folded = fold_ocr(text)
    edits: list[tuple[int, int, str]] = []
    for m in SYMBOL_RE.finditer(text):
        p = parse_symbol(m, rules)
        if p.confidence == 0:
            continue
        typed = type_before(folded, m.start(), rules)
        if typed:
            name = typed[0]
            so = SO_RE.search(folded[typed[2] : m.start()])
            type_end = typed[2] + (so.start() if so else m.start() - typed[2])
            printed = text[typed[2] : type_end].strip()
            if fold(printed) != fold(name) or printed[:1].isupper() == name[:1].isupper():
                name = name if printed[:1].isupper() else name[0].lower() + name[1:]
                edits.append((typed[2], typed[2] + len(printed), name))
            if so:
                edits.append((type_end, m.start(), " số "))
        end = m.end() - p.cut
        edits.append((m.start(), end, p.symbol))
        dated = date_after(folded, end)
        after = dated[1] if dated else end
        issued = issuer_after(text, folded, after, rules)
        if issued:
            of = OF_RE.match(folded, after)
            if of:
                edits.append(
                    (
                        of.end(),
                        issued[1],
                        issued[0].replace("UBND", "Ủy ban nhân dân", 1)
                        if fold(text[of.end() : of.end() + 6]).startswith("uy")
                        else issued[0],
                    )
                )
    out, pos = [], 0
    for a, b, new in sorted(edits):
        if a < pos:
            continue
        out.append(text[pos:a])
        out.append(new)
        pos = b
    out.append(text[pos:])
    title = "".join(out)
    title = re.sub(r"(?<=\w)['’‘](?=\w)", " ", title)
    return " ".join(title.split())


def is_own(c: Citation, meta: DocumentMeta) -> bool:
    """The document's own symbol, also when a mention of it was damaged ("986/QP-SYT" for
    986/QĐ-SYT): the same number and type, a symbol of nearly the same shape, and no
    date or year of another year (administrative numbers restart every year)."""
    if not meta.symbol or not meta.number:
        return False
    if c.cited_number.lstrip("0") != meta.number.lstrip("0"):
        return False
    own_year = meta.issued_date[:4] if meta.issued_date else None
    cited_year = c.cited_date[:4] if c.cited_date else None
    if c.family == "normative" and c.cited_year:
        cited_year = str(c.cited_year)
    if own_year and cited_year and own_year != cited_year:
        return False
    if c.cited_symbol == meta.symbol:
        return True
    same_type = c.cited_type == (meta.type_code or "")
    return same_type and fuzz.ratio(shape(c.cited_symbol), shape(meta.symbol)) >= 85
