"""Units and bodies named in a document: issuing bodies in the header ("SỞ Y TẾ"), unit
headings, units mentioned in task sentences, the units whose leaders an execution clause
names, and the role a sentence gives a unit.

`canonical_unit` maps a printed name to the dictionary form (`dictionaries/units.yaml`) when
close; `mentioned_units` finds "Phòng Tổ chức cán bộ chủ trì" or "giao Sở Y tế" inside a
sentence; `executors` reads "Giám đốc các sở: Y tế, Tài chính ... chịu trách nhiệm thi hành".
Matching runs on the OCR-folded text, so OCR'd or wrongly restored marks still match.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import fuzz

from pipeline.citations import Rules, derived, fold, fold_ocr

# --------------------------------------------------------------------------- issuing bodies


def nospace(s: str) -> str:
    """Letters of the OCR-folded `s` only: "SỞ Y  TẾ" -> "soyte"."""
    return re.sub(r"[^a-z]", "", fold_ocr(s))


def _header_names(rules: Rules) -> list[tuple[str, str]]:
    """Header spellings of bodies: the dictionary's, then every body the symbol codes name
    ("SNNMT: Sở Nông nghiệp và Môi trường" -> a "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG" line)."""
    key = id(rules)
    if key not in _NAMES_CACHE:
        names = list(rules.header_names.items())
        seen = {nospace(p) for p, _ in names} | {nospace(c) for _, c in names}
        for body in rules.issuer_codes.values():
            if nospace(body) not in seen and body.split()[0] in ("Sở", "Bộ"):
                names.append((body, body))
                seen.add(nospace(body))
        _NAMES_CACHE[key] = (rules, names)
    return _NAMES_CACHE[key][1]


_NAMES_CACHE: dict[int, tuple[Rules, list[tuple[str, str]]]] = {}


def canonical_body(segment: str, rules: Rules) -> tuple[str, str] | None:
    """("Sở Y tế", "tỉnh Quảng Ninh") for a header segment such as "SỞ Y TẾ" or "UBND TỈNH
    QUẢNG NINH" (OCR-garbled spacing and marks allowed); None when no body is recognised."""
    flat = nospace(segment)
    if len(flat) < 3:
        return None
    best: tuple[float, str, int] | None = None
    for printed, canon in _header_names(rules):
        key = nospace(printed)
        head = flat[: len(key)]
        score = fuzz.ratio(head, key)
        if score >= 80 and (best is None or (len(key), score) > (best[2], best[0])):
            best = (score, canon, len(key))
    if best is None:
        return None
    rest = flat[best[2] :]
    locality = ""
    kind = ""
    m = re.match(r"(tinh|thanhpho|tp)?(.*)", rest)
    if m and m.group(2):
        for place in rules.places:
            if fuzz.ratio(m.group(2), nospace(place)) >= 85:
                locality = place
                break
        kind = "tỉnh" if m.group(1) == "tinh" else ("thành phố" if m.group(1) else "")
        if locality and not kind:
            kind = "tỉnh" if rules.places[locality] == "tinh" else "thành phố"
    return best[1], f"{kind} {locality}".strip() if locality else ""


def locality_of(printed: str, rules: Rules) -> str:
    """ "tỉnh Nghệ An" for a header line that only names a place ("TỈNH NGHỆ AN")."""
    flat = nospace(printed)
    m = re.match(r"(tinh|thanhpho|tp)(.+)$", flat)
    if not m:
        return ""
    for place in rules.places:
        if fuzz.ratio(m.group(2), nospace(place)) >= 88:
            return f"{'tỉnh' if m.group(1) == 'tinh' else 'thành phố'} {place}"
    return ""


def with_place(name: str, loc: str) -> str:
    """ "Tỉnh ủy" + "tỉnh Nghệ An" -> "Tỉnh ủy Nghệ An"; "Sở Y tế" + ... -> "Sở Y tế tỉnh ..."."""
    if not loc:
        return name
    kind, _, place = loc.partition(" ")
    if kind == "thành" and place.startswith("phố "):
        place = place[4:]
    if fold(name).startswith(("tinh uy", "thanh uy", "huyen uy")):
        return f"{name} {place}"
    return f"{name} {loc}"


def place_at_end(printed: str, rules: Rules) -> str | None:
    """The place named by the last one to five words of `printed` ("... Ha Noi" -> "Hà Nội")."""
    words = printed.split()
    best: tuple[float, str] | None = None
    for k in range(1, min(5, len(words)) + 1):
        tail = nospace(" ".join(words[-k:]))
        for place in rules.places:
            score = fuzz.ratio(tail, nospace(place))
            if score >= 85 and (best is None or score > best[0]):
                best = (score, place)
    return best[1] if best else None


def rules_code(name: str, rules: Rules) -> str | None:
    """The issuer code of a body named in full, or None."""
    for code, body in rules.issuer_codes.items():
        if body == name:
            return code
    return None


# --------------------------------------------------------------------------- units


UNIT_HEAD = re.compile(
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


def _verbs_by_marks(rules: Rules) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Task verbs without marks, and those written with marks."""
    plain = tuple(v for v in rules.task_verbs if v.isascii())
    return plain, tuple(v for v in rules.task_verbs if not v.isascii())


def verb_at(text: str, folded: str, pos: int, rules: Rules) -> bool:
    """True when a lower-case task verb starts at `pos` (after spaces): "Sở Y tế| chủ trì".

    Verbs written with marks in the dictionary ("cử", whose bare form is also "cụ") are
    matched on the marked text; the others on the folded text."""
    plain, marked = derived(rules, "task_verbs", _verbs_by_marks)
    m = _words_re(plain, _VERB).match(folded, pos)
    if m and text[m.start("verb")].islower():
        return True
    m = _words_re(marked, _VERB).match(text, pos) if marked else None
    return bool(m)


@lru_cache(maxsize=65536)
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
    if UNIT_HEAD.match(head) and not _NOT_UNIT.match(bare) and len(name.split()) <= 24:
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


def split_unit_list(head: str, rules: Rules) -> list[str]:
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
    names = derived(rules, "comma_names", _folded_unit_names)
    if prefix:
        head = " ".join(fold(name).split())
        return any(spaced.startswith(head + " ") or u == head for u, spaced in names)
    head = fold(name) + ","
    return any(u.startswith(head) for u, _ in names)


def _folded_unit_names(rules: Rules) -> list[tuple[str, str]]:
    """Every known unit or issuer name folded, as printed and single-spaced."""
    names = (*rules.units, *rules.issuer_names, *rules.issuer_codes.values())
    return [(fold(u), " ".join(fold(u).split())) for u in names]


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
