"""Tasks given to units in "Tổ chức thực hiện" (and similar parts), with roles and deadlines.

A unit is a numbered item under such a heading ("1. Văn phòng Bộ Y tế"), or an item of the
body whose heading names a unit; each of its task sentences (bullets or sentences) becomes
an Assignment whose role comes from the first cue (chủ trì = lead, phối hợp = support,
otherwise thực hiện = carry out). Units named inside task sentences ("Phòng Tổ chức cán bộ
chủ trì", "giao Sở Y tế") and the "Kính gửi:" addressees of a Công văn are units too.
Deadlines ("trước ngày 15/12/2025", "trước ngày 05/12 hằng năm", "báo cáo quý trước ngày 26
tháng cuối quý", "Quý IV", "hằng tháng") are read anywhere in the body and attached to the
sentence that states them.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

from rapidfuzz import fuzz

from pipeline.citations import Rules, fold_ocr, parse_date, section_path
from pipeline.header import double_spaced
from pipeline.models import Assignment, Section
from pipeline.units import (
    UNIT_HEAD,
    canonical_unit,
    display_unit,
    executors,
    mentioned_units,
    role_of,
    split_unit_list,
)

_BEFORE = (
    r"(?:tr[a-z]{1,3}c|ch[a-z]{1,2}m\s+nh[a-z]{1,2}t(?:\s+l[a-z])?(?:\s+v[a-z]o)?|v[a-z]o"
    r"|(?<!\d\s)(?<!\d)\s(?<=\s)d[a-z]n)\s+ng[a-z]{1,3}\s+"
)
_DEADLINE = re.compile(
    _BEFORE + r"(?P<d>\d{1,2})\s*(?:/\s*(?P<m>\d{1,2})(?:\s*/\s*(?P<y>\d{4}))?"
    r"|(?:c[a-z]{1,2}a\s+)?th[a-z]{1,4}\s+(?P<m2>\d{1,2}|cu[a-z]{1,3}\s+q[a-z]{1,2})"
    r"(?:\s+n[a-z]{1,3}\s+(?P<y2>\d{4}))?)?"
)
# "sớm nhất vào ngày 25/8", "không sớm hơn ngày ...": the earliest day to start, no deadline.
_EARLIEST = re.compile(r"s[a-z]m\s+(?:nh[a-z]t|h[a-z]n)\s*$")
_IN_MONTH = re.compile(r"trong\s+th[a-z]{1,3}ng\s+(?P<m>\d{1,2})\s*/\s*(?P<y>\d{4})")
_EFFECTIVE = re.compile(
    r"hi[a-z]{1,2}u\s+l[a-z]{1,2}c(?:\s+thi\s+h[a-z]nh)?(?:\s+k[a-z]\s+)?\s*t[a-z]{1,2}"
    r"\s+ng[a-z]{1,3}\s+(?=\d)"
)
_WITHIN_DAYS = re.compile(
    r"(?:trong\s+(?:th[a-z]{1,2}i\s+h[a-z]n|v[a-z]ng)\s+)(?P<n>\d{1,3})\s+ng[a-z]{1,3}"
    r"\s+k[a-z]\s+t[a-z]{1,2}\s+ng[a-z]{1,3}\s+k[a-z]"
)
_REVIEW_YEAR = re.compile(
    r"(?:s[a-z]\s+k[a-z]t|t[a-z]ng\s+k[a-z]t)[^.;]{0,40}?(?:v[a-z]o|trong)\s+n[a-z]{1,2}m"
    r"\s+(?P<y>\d{4})"
)
_QUARTER = re.compile(
    r"(?<![a-z])q[a-z]{1,2}\s+(?P<q>iv|i{1,3}|[1-4])(?![a-z])(?:\s+n[a-z]{1,3}\s+(?P<y>\d{4}))?"
)


def _words(pattern: str) -> re.Pattern[str]:
    """A folded-text pattern that must start and end on word boundaries."""
    return re.compile(r"(?<![a-z0-9])(?:" + pattern + r")(?![a-z])")


_EVERY = {
    "yearly": _words(r"h[a-z]{1,2}ng\s+n[a-z]{1,2}m"),
    "half-yearly": _words(
        r"0?6\s+th[a-z]{1,3}ng(?:\s+m[a-z]t\s+l[a-z]n|\s*,\s*h[a-z]{1,2}ng\s+n[a-z]{1,2}m)"
        r"|(?:[dđ][a-z]nh\s+k[a-z]|m[a-z]{1,2}i|h[a-z]{1,2}ng)\s+(?:0?6|s[a-z]u)\s+th[a-z]{1,3}ng"
        r"(?!\s+(?:[dđ][a-z]u|cu[a-z]{1,3})\s+n[a-z]{1,2}m)"
    ),
    "quarterly": _words(
        r"h[a-z]{1,2}ng\s+q[a-z]{1,2}|b[a-z]o\s+c[a-z]o\s+q[a-z]{1,2}|cu[a-z]{1,3}\s+q[a-z]{1,2}"
    ),
    "monthly": _words(r"h[a-z]{1,2}ng\s+th[a-z]{1,3}ng"),
    "weekly": _words(r"h[a-z]{1,2}ng\s+tu[a-z]{1,2}n"),
    "daily": _words(r"h[a-z]{1,2}ng\s+ng[a-z]{1,3}"),
}
_REPORT = re.compile(r"b[a-z]o\s+c[a-z]o|g[a-z]{1,2}i\s+v[a-z]|t[a-z]ng\s+h[a-z]p")
_THIS_DOC = re.compile(
    r"(?:quy[a-z]t d[a-z]nh|ngh[a-z] quy[a-z]t|k[a-z] ho[a-z]ch|ch[a-z] th[a-z]|v[a-z]n b[a-z]n"
    r"|th[a-z]ng t[a-z]) n[a-z]y"
)
_QUARTER_END = {1: "03-31", 2: "06-30", 3: "09-30", 4: "12-31"}
_MONTH_END = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def _is_assignment_heading(heading: str, rules: Rules) -> bool:
    flat = " ".join(re.sub(r"[^a-z ]", " ", fold_ocr(heading)).split())
    return any(fuzz.ratio(flat, h) >= 85 or flat.startswith(h) for h in rules.assignment_headings)


# Any of the `_EVERY` patterns: most sentences name no recurrence, one scan rules them out.
_ANY_EVERY = re.compile("|".join(f"(?:{rx.pattern})" for rx in _EVERY.values()))


def _recurrence(f: str) -> str | None:
    if not _ANY_EVERY.search(f):
        return None
    for name in ("half-yearly", "yearly", "quarterly", "monthly", "weekly", "daily"):
        if _EVERY[name].search(f):
            return name
    return None


def parse_deadline(
    sentence: str, issued: str | None = None
) -> tuple[str, str | None, str | None] | None:
    """(deadline text, ISO date / "--MM-DD" / "YYYY", recurrence) of a sentence, or None.

    `issued` (the document's ISO date) resolves "trong thời hạn 15 ngày kể từ ngày ký"."""
    f = fold_ocr(sentence)
    recurrence = _recurrence(f)
    m = next((x for x in _DEADLINE.finditer(f) if not _EARLIEST.search(f, 0, x.start())), None)
    if m and m.group("d"):
        day = int(m.group("d"))
        month_s = m.group("m") or m.group("m2") or ""
        year_s = m.group("y") or m.group("y2")
        text = sentence[m.start() : m.end()]
        if month_s and not month_s.isdigit():
            return text, None, "quarterly"
        if not month_s:  # "trước ngày 25" of every month
            return (text, None, recurrence) if recurrence else None
        month = int(month_s)
        if not (1 <= day <= 31 and 1 <= month <= 12):
            return None
        if year_s:
            return text, f"{int(year_s):04d}-{month:02d}-{day:02d}", None
        return text, f"--{month:02d}-{day:02d}", "yearly"
    m = _IN_MONTH.search(f)
    if m and 1 <= int(m.group("m")) <= 12:
        mo, y = int(m.group("m")), int(m.group("y"))
        last = 29 if mo == 2 and y % 4 == 0 else _MONTH_END[mo]
        return sentence[m.start() : m.end()], f"{y:04d}-{mo:02d}-{last:02d}", None
    m = _EFFECTIVE.search(f)
    if m and _THIS_DOC.search(f):
        got = parse_date(f[m.end() : m.end() + 30])
        if got:
            return sentence[m.start() : m.end() + got[1]], got[0], None
    m = _WITHIN_DAYS.search(f)
    if m and issued:
        when = date.fromisoformat(issued) + timedelta(days=int(m.group("n")))
        return sentence[m.start() : m.end()], when.isoformat(), None
    m = _REVIEW_YEAR.search(f)
    if m:
        return sentence[m.start() : m.end()], m.group("y"), None
    q = _QUARTER.search(f)
    before = f[max(0, q.start() - 12) : q.start()] if q else ""
    if q and re.search(r"(?:trong|tr[a-z]{1,3}c|hoan thanh)\s+$", before):
        n = {"i": 1, "ii": 2, "iii": 3, "iv": 4}.get(q.group("q"), 0) or int(q.group("q"))
        date_s = f"{q.group('y')}-{_QUARTER_END[n]}" if q.group("y") else None
        return sentence[q.start() : q.end()], date_s, None
    if recurrence and _REPORT.search(f):
        hit = _EVERY[recurrence].search(f)
        assert hit is not None
        return sentence[hit.start() : hit.end()], None, recurrence
    return None


# A lettered sub-item opening a line ("b) Kiểm tra ...") starts a new task sentence.
_LETTERED = r"|(?<=[.;:])[ \t]*\n(?:[ \t]*\n)*(?=[ \t]*[a-zđ]\)[ \t])"


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Task sentences: bullets, or sentences ended by '.'/';' inside [start, end)."""
    out = []
    para = r"\n[ \t]*\n[ \t]*\n" if double_spaced(text) else r"\n[ \t]*\n"
    para += r"(?![ \t]*[a-zà-ỹđ][^)\s])"  # a line going on in lower case continues the sentence
    pattern = re.compile(
        r"(?:^|\n)[ \t]*[-+•*][ \t]*|(?<=[.;])[ \t]+(?=[A-ZĐÀ-Ỹ])|" + para + _LETTERED
    )
    cuts = [start] + [start + m.end() for m in pattern.finditer(text[start:end])] + [end]
    for a, b in itertools.pairwise(cuts):
        seg = text[a:b]
        if seg.strip():
            lead = len(seg) - len(seg.lstrip())
            out.append((a + lead, a + len(seg.rstrip())))
    return out


def _after_blank_line(text: str, pos: int) -> bool:
    before = text[max(0, pos - 40) : pos]
    return not double_spaced(text) and bool(re.search(r"\n[ \t]*\n[ \t]*$", before))


def _is_bullet(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    return bool(re.match(r"[ \t]*[-+•*]", text[line_start : pos + 1]))


def _split_deadlines(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Split a sentence holding several deadlines at ';', ',' or 'và' so each keeps its own:
    two dates, or a date and a recurring report in another clause ("... trước ngày 31/3/2026;
    hằng năm báo cáo ...", "báo cáo định kỳ 6 tháng và hằng năm trước ngày 10/12")."""
    sentence = text[s:e]
    folded = fold_ocr(sentence)
    if len(_DEADLINE.findall(folded)) < 2 and not _ANY_EVERY.search(folded):
        return [(s, e)]
    parts, a = [], s
    for m in re.finditer(r"[;,]|\s(?=v[aà]\s)", sentence):
        cut = s + m.start()
        left, right = parse_deadline(text[a:cut]), parse_deadline(text[s + m.end() : e])
        if not left or not right:
            continue
        if left[2] == right[2] and None in (left[1], right[1]):
            continue  # "hằng năm tổng hợp, báo cáo trước ngày 15/12": one yearly deadline
        parts.append((a, cut))
        a = s + m.end()
    parts.append((a, e))
    return parts


def find_assignments(
    text: str, sections: list[Section], rules: Rules, own: str = "", issued: str | None = None
) -> list[Assignment]:
    """Assignments (unit, role, task, deadline) of the body's units, plus every deadline."""
    parts = {
        s.section_id
        for s in sections
        if s.label in ("heading", "part", "item", "article")
        and s.heading
        and _is_assignment_heading(s.heading, rules)
    }
    by_id = {s.section_id: s for s in sections}
    out: list[Assignment] = []
    covered: list[tuple[int, int]] = []
    for sec in sections:
        if sec.label not in ("item", "subitem", "article") or sec.parent_id is None:
            continue
        under = sec.parent_id in parts
        nested = by_id[sec.parent_id].label in ("item", "subitem")
        if not under and nested and any(a <= sec.start < b for a, b in covered):
            continue  # a sub-item of a unit: one of its tasks
        head = sec.heading or text[sec.start : sec.end].split("\n")[0]
        units = [canonical_unit(h, rules, own) for h in split_unit_list(head, rules)]
        if not units or not all(units):
            continue
        unit = units[0] or ""
        if not under and unit not in rules.units and not UNIT_HEAD.match(fold_ocr(unit)):
            continue
        covered.append((sec.start, sec.end))
        line_end = text.find("\n", sec.start, sec.end)
        line_end = sec.end if line_end < 0 else line_end
        colon = text.find(":", sec.start, line_end)
        long_head = len(head.split()) > 12  # a whole sentence: it is a task itself
        body_start = colon + 1 if colon >= 0 else (sec.start if long_head else line_end)
        sentences = _sentences(text, min(body_start, sec.end), sec.end)
        bulleted = any(_is_bullet(text, s) for s, _ in sentences)
        for s, e in sentences:
            who = unit
            if bulleted and not _is_bullet(text, s) and _after_blank_line(text, s):
                who = _subject(text[s:e], rules) or unit  # a closing paragraph for all
            for a, b in _split_deadlines(text, s, e):
                for name in [who] + [u for u in units[1:] if u and who == unit]:
                    out.append(_make(text, sections, rules, name, a, b, issued))
    spans = [(p.start, p.end) for p in sections if p.label in ("body", "annex")]
    for lo, hi in spans or [(0, len(text))]:
        for s, e in _sentences(text, lo, hi):
            for unit, role, a, _ in mentioned_units(text, s, e, rules):
                if not any(x.unit == display_unit(unit) and x.start <= a < x.end for x in out):
                    out.append(_make(text, sections, rules, unit, s, e, issued, role))
        for unit, a, b in executors(text, lo, hi, rules):
            if not any(x.unit == display_unit(unit) for x in out):
                out.append(_make(text, sections, rules, unit, a, b, issued, "thuc_hien"))
        for g0, g1 in _gaps(lo, hi, covered):
            for s, e in _sentences(text, g0, g1):
                for a, b in _split_deadlines(text, s, e):
                    if parse_deadline(text[a:b], issued):
                        who = _subject(text[a:b], rules)
                        out.append(_make(text, sections, rules, who, a, b, issued))
    out += _addressees(text, sections, rules)
    return out


def addressee_items(text: str, pos: int) -> list[tuple[int, int]]:
    """Spans of the addressees listed from `pos` (just after "Kính gửi:"): bulleted or
    ';'-separated items, an item running on over line breaks (OCR keeps the printed lines,
    blank lines between them too); the list ends after '.' or at an unbulleted paragraph."""
    items: list[tuple[int, int]] = []
    last = None  # last character of the previous item line: None, ';', '.', or other
    blank = False
    for line in re.finditer(r"(?m)^.*$", text[pos : pos + 3000]):
        body = line.group().strip()
        if not body:
            blank = True
            continue
        s, e = pos + line.start(), pos + line.end()
        bullet = bool(re.match(r"[-+•*]", body))
        if last == "." or (blank and not bullet and last not in (None, ";")):
            break
        if last in (None, ";") or bullet or not items:
            items.append((s, e))
        else:
            items[-1] = (items[-1][0], e)
        last = body[-1] if body[-1] in ";." else "other"
        blank = False
    return items


def _addressees(text: str, sections: list[Section], rules: Rules) -> list[Assignment]:
    """The "Kính gửi:" addressees of a Công văn: each is asked to carry the letter out."""
    folded = fold_ocr(text[:4000])
    m = re.search(r"(?m)^[ \t]*k[a-z]nh\s+g[a-z]{1,2}i\s*:", folded)
    if not m:
        return []
    out = []
    for i0, i1 in addressee_items(text, m.end()):
        for item in re.finditer(r"[^;]+", text[i0:i1]):
            name = " ".join(item.group().split()).strip(" -+•.;")
            if not name:
                continue
            unit = canonical_unit(name, rules) or name
            s = i0 + item.start() + len(item.group()) - len(item.group().lstrip(" \t\n-+•"))
            out.append(
                Assignment(
                    unit=display_unit(unit), role="thuc_hien", task="", start=s,
                    end=i0 + item.end(), section_path=section_path(sections, s),
                    confidence=0.6,
                )
            )  # fmt: skip
    return out


def _gaps(start: int, end: int, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, pos = [], start
    for a, b in sorted(covered):
        if a > pos:
            out.append((pos, a))
        pos = max(pos, b)
    if pos < end:
        out.append((pos, end))
    return out


def _subject(sentence: str, rules: Rules) -> str:
    """The unit a free sentence opens with ("Các đơn vị gửi báo cáo ..."), else ''."""
    words = sentence.split()
    for n in range(min(8, len(words)), 1, -1):
        got = canonical_unit(" ".join(words[:n]), rules)
        if got and got in rules.units:
            return got
    f = fold_ocr(sentence).lstrip(" -+")
    m = re.match(r"(cac [a-z]+(?: [a-z]+)?)", f)
    return " ".join(sentence.lstrip(" -+").split()[: len(m.group(1).split())]) if m else ""


def _make(
    text: str,
    sections: list[Section],
    rules: Rules,
    unit: str,
    s: int,
    e: int,
    issued: str | None = None,
    role: str | None = None,
) -> Assignment:
    sentence = text[s:e]
    dl = parse_deadline(sentence, issued)
    return Assignment(
        unit=display_unit(unit),
        role=role or role_of(sentence, rules),
        task=" ".join(sentence.split()),
        start=s,
        end=e,
        deadline_text=" ".join(dl[0].split()) if dl else "",
        deadline_date=dl[1] if dl else None,
        recurrence=dl[2] if dl else None,
        section_path=section_path(sections, s),
        confidence=0.8,
    )
