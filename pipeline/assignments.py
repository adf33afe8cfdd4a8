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
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

from rapidfuzz import fuzz

from pipeline.citations import Rules, fold, fold_ocr, parse_date, section_path
from pipeline.header import double_spaced
from pipeline.models import Assignment, Section

_UNIT_HEAD = re.compile(
    r"^(van phong|phong|trung tam|so|bao|bo|ban|cuc|vu|uy ban|ubnd|hdnd|benh vien|dai|"
    r"thanh tra|chi cuc|tong cuc|vien|tram|cong an|dang uy|bao hiem xa hoi|y te|"
    r"thuong truc|to dai bieu|chu tich|giam doc|thu truong|"
    r"cac (?:phong|don vi|co quan|so|benh vien|trung tam|cuc|vu|co so|tram|dang bo|ban|bv|"
    r"dia phuong|huyen|xa|to chuc|hoi|doan the|nganh))\b"
)
_NOT_UNIT = re.compile(r"^(bao cao|bao dam|bao ve|phong chong|phong benh|so ket|tong ket|vu viec)")


def _alts(words: Iterable[str]) -> str:
    """Regex alternation of phrases, longest first, any spacing between their words."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len)[::-1])


@lru_cache(maxsize=32)
def _words_re(words: tuple[str, ...], form: str) -> re.Pattern[str]:
    """A cached pattern `form` with {} replaced by the alternation of `words`."""
    return re.compile(form.replace("{}", _alts(words)))


_VERB = r"\s*(?<![^\W\d_])(?P<verb>{})(?![^\W\d_])"  # task verbs end a unit's name


def verb_at(text: str, folded: str, pos: int, rules: Rules) -> bool:
    """True when a lower-case task verb starts at `pos` (after spaces): "Sở Y tế| chủ trì".

    Verbs written with marks in the dictionary ("cử", whose bare form is also "cụ") are
    matched on the marked text; the others on the folded text."""
    plain = tuple(v for v in rules.task_verbs if v.isascii())
    marked = tuple(v for v in rules.task_verbs if not v.isascii())
    m = _words_re(plain, _VERB).match(folded, pos)
    if m and text[m.start("verb")].islower():
        return True
    m = _words_re(marked, _VERB).match(text, pos) if marked else None
    return bool(m)


_BEFORE = (
    r"(?:tr[a-z]{1,3}c|ch[a-z]{1,2}m\s+nh[a-z]{1,2}t(?:\s+l[a-z])?(?:\s+v[a-z]o)?|v[a-z]o"
    r"|(?<!\d\s)(?<!\d)\s(?<=\s)d[a-z]n)\s+ng[a-z]{1,3}\s+"
)
_DEADLINE = re.compile(
    _BEFORE + r"(?P<d>\d{1,2})\s*(?:/\s*(?P<m>\d{1,2})(?:\s*/\s*(?P<y>\d{4}))?"
    r"|(?:c[a-z]{1,2}a\s+)?th[a-z]{1,4}\s+(?P<m2>\d{1,2}|cu[a-z]{1,3}\s+q[a-z]{1,2})"
    r"(?:\s+n[a-z]{1,3}\s+(?P<y2>\d{4}))?)?"
)
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
        r"6\s+th[a-z]{1,3}ng(?:\s+m[a-z]t\s+l[a-z]n|\s*,\s*h[a-z]{1,2}ng\s+n[a-z]{1,2}m)"
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


def _flat(s: str) -> str:
    return re.sub(r"[^a-z]", "", fold_ocr(s)).replace("p", "d")


def canonical_unit(printed: str, rules: Rules, own: str = "") -> str | None:
    """The unit a printed heading names (dictionary form when close), or None if not a unit.

    A bare unit ("Văn phòng") is completed with the issuer's name (`own`, "Sở Y tế"); a
    heading that is a whole sentence keeps the words before its first action verb."""
    name = re.split(r"[:(]", printed)[0].strip(" .;-*")
    folded = fold_ocr(name)
    for act in re.finditer(r"\s", folded):
        if act.start() > 0 and verb_at(name, folded, act.start(), rules):
            name = name[: act.start()].strip(" ,;")  # "Phòng Tổ chức" (capital) is a name
            break
    flat = _flat(name)
    for bare in rules.bare_units:
        if flat == _flat(bare):
            return f"{bare} {own}".strip() if len(bare.split()) <= 2 and own else bare
    best: tuple[float, str] | None = None
    for unit in rules.units:
        score = fuzz.ratio(flat, _flat(unit))
        if score >= 82 and (best is None or score > best[0]):
            best = (score, unit)
    if best:
        return best[1]
    for tail in rules.drop_tails:
        cut = re.search(r"\s+" + re.escape(tail).replace(r"\ ", r"\s+") + r"\s*$", fold(name))
        if cut and cut.start() > 0:
            return canonical_unit(name[: cut.start()], rules, own)
    head = " ".join(fold_ocr(name).split())
    bare = " ".join(re.sub(r"[^a-z ]", " ", head).split())
    if _UNIT_HEAD.match(head) and not _NOT_UNIT.match(bare) and len(name.split()) <= 24:
        return " ".join(name.split())
    return None


def role_of(sentence: str, rules: Rules) -> str:
    """chu_tri / phoi_hop / thuc_hien from the first role cue of a task sentence."""
    f = " ".join(fold_ocr(sentence).split())
    first: tuple[int, str] | None = None
    for role, cues in rules.roles.items():
        for cue in cues:
            m = re.search(r"(?<![a-z])" + re.escape(cue) + r"(?![a-z])", f)
            if m and (first is None or m.start() < first[0]):
                first = (m.start(), role)
    return first[1] if first else "thuc_hien"


def _recurrence(f: str) -> str | None:
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
    m = _DEADLINE.search(f)
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


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Task sentences: bullets, or sentences ended by '.'/';' inside [start, end)."""
    out = []
    para = r"\n[ \t]*\n[ \t]*\n" if double_spaced(text) else r"\n[ \t]*\n"
    pattern = re.compile(r"(?:^|\n)[ \t]*[-+•*][ \t]*|(?<=[.;])[ \t]+(?=[A-ZĐÀ-Ỹ])|" + para)
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
    """Split a sentence holding several deadlines at ';', ',' or 'và' so each keeps its own."""
    parts = [(s, e)]
    sentence = text[s:e]
    if len(_DEADLINE.findall(fold_ocr(sentence))) > 1:
        parts, a = [], s
        for m in re.finditer(r"[;,]|\s(?=v[aà]\s)", sentence):
            if _DEADLINE.search(fold_ocr(text[a : s + m.start()])):
                parts.append((a, s + m.start()))
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
        units = [canonical_unit(h, rules, own) for h in _split_unit_list(head, rules)]
        if not units or not all(units):
            continue
        unit = units[0] or ""
        if not under and unit not in rules.units and not _UNIT_HEAD.match(fold_ocr(unit)):
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


_MENTION_HEAD = re.compile(
    r"(?<![a-z0-9])(?:van phong|phong|so|trung tam|cuc|vu|thanh tra|ban|"
    r"uy ban nhan dan(?=\s+tinh|\s+cac)|hoi dong nhan dan(?=\s+tinh)|uy ban|ubnd|hdnd|cong an|"
    r"bao hiem xa hoi|benh vien(?: da khoa)?|tram y te|bao va phat thanh,?\s+truyen hinh|bao|"
    r"dai|dang uy|chi cuc)(?![a-z])"
)  # on folded text, so OCR'd or wrongly restored marks ("Phong", "Sẽ") still match


def _head_at(chunk: str, fchunk: str, pos: int) -> re.Match[str] | None:
    """A unit head ("Sở", "Trung tâm") at `pos`: capitalised, before a capitalised word or
    "tỉnh"; None otherwise."""
    m = _MENTION_HEAD.match(fchunk, pos)
    if not m or not chunk[pos].isupper() or chunk.startswith("Vũ", pos):
        return None
    nxt = re.match(r"\s+(\S)", chunk[m.end() : m.end() + 8])
    if (nxt and nxt.group(1).isupper()) or re.match(r"\s+tinh(?![a-z])", fchunk[m.end() :][:8]):
        return m
    return None


_BEFORE_VERB = re.compile(r"(?i)(?:giao(?: cho)?|đề nghị|yêu cầu|phối hợp với|chỉ đạo)\s*$")
_NAME_WORD = re.compile(r"\s*(?:-\s*|,\s*|và\s+)?([^\W\d_]\w*)")
_LIST_GAP = re.compile(r"\s*(?:,|;|và)\s*$")


def mentioned_units(
    text: str, start: int, end: int, rules: Rules
) -> list[tuple[str, str, int, int]]:
    """Units named inside task sentences ("Phòng Tổ chức cán bộ chủ trì", "giao Sở Y tế"):
    (unit, role, start, end). A mention counts next to a task verb or a "giao" cue, or as the
    next item of a list whose first item counts ("phối hợp với Sở A, Sở B và Sở C")."""
    out: list[tuple[str, str, int, int]] = []
    chunk = text[start:end]
    fchunk = fold_ocr(chunk)
    prev: tuple[int, str] | None = None  # end and role of the last counted mention
    heads = (_head_at(chunk, fchunk, h.start()) for h in _MENTION_HEAD.finditer(fchunk))
    for m in (h for h in heads if h):
        if out and m.start() < out[-1][3] - start:
            continue
        name_end = m.end()
        while True:
            w = _NAME_WORD.match(chunk, name_end)
            if not w or verb_at(chunk, fchunk, name_end, rules):
                break
            if _comma_name(chunk[m.start() : w.end()], rules, prefix=True):
                name_end = w.end()  # inside a known name ("Cục Quản lý Khám, chữa bệnh")
                continue
            joined = w.group(0).lstrip()[:1] in "-,v" and w.group(0).strip() != w.group(1)
            if joined and _head_at(chunk, fchunk, w.start(1)):
                break  # a list of units: "Văn phòng Bộ, Trung tâm ..."
            if w.group(0).lstrip().startswith(","):
                break
            if w.group(1)[0].isupper() or (not joined and fold(w.group(1)) in _NAME_TAILS):
                name_end = w.end()
                continue
            tail = not joined and name_end - m.end() <= 40
            if tail and _lower_tail(chunk, fchunk, name_end, rules):
                name_end = w.end()
                continue
            break
        name = chunk[m.start() : name_end].strip(" ,-")
        after = verb_at(chunk, fchunk, name_end, rules)
        before = _BEFORE_VERB.search(chunk[max(0, m.start() - 20) : m.start()])
        listed = prev is not None and bool(_LIST_GAP.match(chunk[prev[0] : m.start()]))
        if not (after or before or listed) or len(name.split()) < 2:
            continue
        recipient = _words_re(tuple(rules.recipient_cues), r"(?<![a-z])(?:{})\s*$")
        if not listed and recipient.search(fchunk[max(0, m.start() - 20) : m.start()]):
            continue  # "tham mưu Sở Y tế ban hành": the Sở is advised, not tasked
        unit = canonical_unit(name, rules) or name
        if before and fold(before.group()).startswith("phoi hop"):
            role = "phoi_hop"
        elif listed and not before and prev is not None:
            role = prev[1]
        else:
            role = role_of(chunk[m.start() : m.start() + 120], rules)
        out.append((unit, role, start + m.start(), start + name_end))
        prev = (name_end, role)
    return out


def executors(text: str, start: int, end: int, rules: Rules) -> list[tuple[str, int, int]]:
    """Units whose leaders an execution clause names ("Chánh Văn phòng UBND tỉnh, Giám đốc
    các sở: Y tế, Tài chính; Thủ trưởng các đơn vị liên quan chịu trách nhiệm thi hành
    Quyết định này"): (unit, start, end); "Giám đốc các sở: A, B" gives "Sở A", "Sở B"."""
    if not rules.execution_cues:
        return []
    folded = fold_ocr(text[start:end])
    cues, titles = _alts(rules.execution_cues), _alts(rules.leader_titles)
    title_rx = re.compile(rf"(?:^|[,;:.]\s*|\s+va\s+)(?:{titles})\s+(?=\S)")
    out: list[tuple[str, int, int]] = []
    damaged = r"chiu\s+trach\s+nhi\S{0,12}\s*(?:\S{1,12}\s+)?(?:quyet dinh|nghi quyet|chi thi) nay"
    for cue in re.finditer(rf"(?<![a-z])(?:{cues}|{damaged})(?![a-z])", folded):
        breaks = list(re.finditer(r"\n[ \t]*\n", folded[: cue.start()]))
        para = breaks[-1].end() if breaks else 0
        found = list(title_rx.finditer(folded, para, cue.start()))
        for t, nxt in itertools.zip_longest(found, found[1:]):
            if t is None:
                continue
            a, b = t.end(), nxt.start() if nxt else cue.start()
            piece = text[start + a : start + b]
            piece = re.split(r"\s+và\s+các\s+(?:ông|bà|cá nhân)|\s+có tên", piece)[0]
            piece = piece.strip(" ,;.")
            listed = re.match(r"cac\s+(so|ban|phong|cuc|vu)\s*:\s*", fold_ocr(piece))
            if listed:
                head = _LIST_WORDS[listed.group(1)]
                for item in re.finditer(r"[^,]+", piece[listed.end() :]):
                    name = " ".join(item.group().split())
                    if name:
                        pos = start + a + listed.end() + item.start()
                        out.append((f"{head} {name}", pos, pos + len(item.group())))
            elif len(piece.split()) >= 2:
                unit = canonical_unit(piece, rules) or " ".join(piece.split())
                out.append((unit[:1].upper() + unit[1:], start + a, start + a + len(piece)))
    return out


_LIST_WORDS = {"so": "Sở", "ban": "Ban", "phong": "Phòng", "cuc": "Cục", "vu": "Vụ"}


def display_unit(name: str) -> str:
    """The unit as the archive writes it: "Ủy ban nhân dân tỉnh" -> "UBND tỉnh"."""
    for long, short in (("Ủy ban nhân dân", "UBND"), ("Uỷ ban nhân dân", "UBND")):
        name = name.replace(long, short)
    return name.replace("Hội đồng nhân dân", "HĐND")


_LIST_HEAD = re.compile(
    r"(?:Văn phòng|Phòng|Sở|Trung tâm|Cục|Vụ|Thanh tra|Ban|Ủy ban|UBND|Công an|Bảo hiểm|"
    r"Bệnh viện|Báo|Đài)\b"
)


def _split_unit_list(head: str, rules: Rules) -> list[str]:
    """ "Sở Văn hóa, Thể thao và Du lịch, Báo tỉnh" -> two units (a comma before a unit head),
    unless the whole heading is a known unit ("Các Vụ, Cục, Trung tâm ...")."""
    name = re.split(r"[:(]", head)[0]
    whole = canonical_unit(name, rules)
    if whole in rules.units:
        return [name]
    cuts = [m.start() for m in re.finditer(r",\s*", name) if _LIST_HEAD.match(name, m.end())]
    pieces, pos = [], 0
    for c in cuts:
        pieces.append(name[pos:c])
        pos = c + 1
    pieces.append(name[pos:])
    return [p.strip() for p in pieces if p.strip()]


def _comma_name(name: str, rules: Rules, prefix: bool = False) -> bool:
    """True when a known name with a comma in it ("Sở Văn hóa, Thể thao và Du lịch") goes on
    after a comma here, or (`prefix`) when `name` is a known name or a word-prefix of one."""
    names = (*rules.units, *rules.issuer_names, *rules.issuer_codes.values())
    if prefix:
        head = " ".join(fold(name).split())
        return any(" ".join(fold(u).split()).startswith(head + " ") or fold(u) == head
                   for u in names)  # fmt: skip
    head = fold(name) + ","
    return any(fold(u).startswith(head) for u in names)


_NAME_TAILS = {"tinh", "so", "thanh", "pho", "trung", "uong", "khu", "vuc"}


_FUNCTION_WORDS = {
    "ve", "de", "thong", "qua", "cua", "voi", "trong", "tai", "theo", "va", "cac", "nham",
}  # fmt: skip


def _lower_tail(chunk: str, fchunk: str, pos: int, rules: Rules) -> bool:
    """Up to four lower-case words continue a unit's name when a task verb follows them
    ("Trung tâm Kiểm soát bệnh tật tỉnh chủ trì"); function words never do."""
    m = re.match(r"((?:\s+[a-zà-ỹđ]+){1,4})", chunk[pos : pos + 60])
    if not m:
        return False
    for n in range(1, len(m.group(1).split()) + 1):
        words = m.group(1).split()[:n]
        if any(fold(w) in _FUNCTION_WORDS for w in words):
            return False
        end = pos + [x.end() for x in re.finditer(r"\s+\S+", m.group(1))][n - 1]
        nxt = chunk[end : end + 12]
        if (
            verb_at(chunk, fchunk, end, rules)
            or re.match(r"\s+(?:-\s*|và\s+)?[A-ZĐÀ-Ỹ]|\s+và\s+các\s", nxt)
            or re.match(r"\s*(?:[(,;.:]|$)", nxt)
        ):
            return True
    return False


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
