"""Stage segment: cut the text into a section tree with offsets.

Parts (level 0): header, title, preamble, body, closing, signature, trailer. Under the body,
headings at every level: Phần/Chương, Roman I. II. (also OCR'd "|.", "I11.", "IIL"), Điều N.,
1. / 1.1 / 1- items, a) items, "-" and "+" bullets. Under the closing: each recipient and the
"Lưu:" line. Headings read without marks are canonicalised through dictionaries/headings.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from pipeline.citations import Rules, derived, fold, fold_ocr, load_rules
from pipeline.header import (
    MOTTO_RE,
    NUMBER_LINE_RE,
    PLACE_DATE_RE,
    Line,
    closing_start,
    header_block,
    lines_of,
    read_signature,
    read_type_and_title,
    trailer_start,
)
from pipeline.models import Document, DocumentMeta, Section
from pipeline.registry import stage
from pipeline.settings import Settings

_ROMAN_OK = re.compile(r"X{0,3}(IX|IV|V?I{0,3})")
_ROMAN = re.compile(r"^(?P<num>[IVXl|1L]{1,5})\s*(?:[.)]\s*|\s+(?=[A-ZĐ]))(?P<head>\S.*)$")
_NUMBERED = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})\s*(?:[.)]|-(?=\s))\s*(?P<head>\S.*)$")
# OCR reads an item's "." as ",": only before a capitalised word ("4, Trung tâm ...")
_NUMBERED_COMMA = re.compile(r"^(?P<num>\d{1,2}),\s+(?P<head>[A-ZĐ][^\W\d_]*\s.*)$")
_LETTER = re.compile(r"^(?P<num>[a-zđ])\s*\)\s*(?P<head>\S.*)$")
_BULLET = re.compile(r"^(?P<num>[-+–•*=~_])\s*(?=\S)(?P<head>.*)$")
_ARTICLE = re.compile(r"^dieu\s+(?P<num>\d{1,3})\s*[.:]\s*(?P<head>.*)$")
_PART = re.compile(r"^(?P<kind>phan|chuong|muc)\s+(?P<num>[ivxlc]+|\d{1,2})\b[.:]?\s*(?P<head>.*)$")
_CUE = re.compile(
    r"^[-~=]?\s*(c[a-z]n\s*c[a-z]{1,2}|th[a-z]{1,3}c\s+h[a-z]{1,3}n|theo\s+d[a-z]\s+ngh|x[a-z]t\s)"
)
_RANK_BULLET = {"-": 9, "–": 9, "•": 9, "=": 9, "~": 9, "_": 9, "*": 9, "+": 10}
MOTTO_LINES = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


@dataclass
class Node:
    """A section under construction."""

    label: str
    start: int
    end: int
    rank: int = 0
    heading: str = ""
    number: str = ""
    children: list[Node] = field(default_factory=list)


def roman_of(token: str) -> str | None:
    """The Roman numeral an OCR'd token stands for ("|" -> "I", "I11" -> "III", "IIL" -> "III")."""
    if not re.search(r"[IVX|l]", token) and len(token) < 2:
        return None
    fixed = token.replace("|", "I").replace("l", "I").replace("1", "I")
    if not _ROMAN_OK.fullmatch(fixed):
        fixed = fixed.replace("L", "I")
    return fixed if fixed and _ROMAN_OK.fullmatch(fixed) else None


def _mostly_upper(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.7 * len(letters)


def _flat_headings(rules: Rules) -> list[tuple[str, str]]:
    """Each dictionary heading with its letters, folded."""
    return [(h, re.sub(r"[^a-z]", "", fold(h))) for h in rules.headings]


def canonical_heading(head: str, rules: Rules) -> str:
    """The dictionary heading a printed heading stands for, or the printed text tidied."""
    text = " ".join(head.strip(" *:").split())
    flat = re.sub(r"[^a-z]", "", fold_ocr(text))
    best: tuple[float, str] | None = None
    for h, key in derived(rules, "flat_headings", _flat_headings):
        score = fuzz.ratio(flat, key)
        if score >= 85 and (best is None or score > best[0]):
            best = (score, h)
    if not best:
        return text
    if _mostly_upper(text):
        return best[1]
    return best[1][0] + best[1][1:].lower()  # sentence case, as printed


def classify(line: str, rules: Rules) -> tuple[str, int, str, str] | None:
    """(label, rank, number, heading) when a body line opens a heading, item or bullet."""
    s = line.strip().lstrip("*").strip()
    s = re.sub(r"^[_~'‘’`]{1,3}\s?(?=\d)", "", s)  # OCR specks before an item number
    if not s:
        return None
    f = fold_ocr(s)
    m = _PART.match(f)
    if m and _mostly_upper(s[: m.end("num")]) is False and s[0].isupper():
        head = s[m.start("head") :]
        return "part", 1, m.group("num").upper(), canonical_heading(head, rules)
    m = _ROMAN.match(s)
    if m:
        num = roman_of(m.group("num"))
        head = m.group("head")
        if num and _mostly_upper(head) and len(head.strip()) >= 3:
            return "heading", 2, num, canonical_heading(head, rules)
    m = _ARTICLE.match(f)
    if m:
        return "article", 3, m.group("num"), " ".join(s[m.start("head") :].split())
    m = _NUMBERED.match(s) or _NUMBERED_COMMA.match(s)
    if m and m.group("head")[0].isalpha():
        num = m.group("num").rstrip(".")
        head = m.group("head")
        if set(num) == {"1"} and len(num) <= 3 and _mostly_upper(head) and len(head.split()) >= 2:
            # OCR reads Roman "I."/"II."/"III." as "1."/"11."/"111." before a capital heading
            return "heading", 2, "I" * len(num), canonical_heading(head, rules)
        head = m.group("head").split(":")[0]
        return "item", 3 + num.count(".") + 1, num, canonical_heading(head[:160], rules)
    m = _LETTER.match(s)
    if m:
        return "subitem", 8, m.group("num"), " ".join(m.group("head").split(":")[0].split())[:160]
    m = _BULLET.match(s)
    if m and (m.group("head")[:1].isalpha() or m.group("head")[:1] in "(\"'“"):
        sign = "+" if m.group("num") == "+" else "-"
        return "bullet", _RANK_BULLET.get(m.group("num"), 9), sign, ""
    return None


def _nest(nodes: list[Node], parent: Node) -> None:
    """Give each node its end and parent by rank (a node runs until the next of rank <= its)."""
    stack: list[Node] = [parent]
    for i, node in enumerate(nodes):
        while len(stack) > 1 and stack[-1].rank >= node.rank:
            stack.pop()
        stack[-1].children.append(node)
        stack.append(node)
        nxt = next((n.start for n in nodes[i + 1 :] if n.rank <= node.rank), parent.end)
        node.end = max(node.start, min(nxt, parent.end))


def _trim(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def body_nodes(text: str, lines: list[Line], start: int, end: int, rules: Rules) -> list[Node]:
    """Headings, items and bullets of the body between `start` and `end`."""
    out: list[Node] = []
    for ln in lines:
        if ln.start < start or ln.start >= end:
            continue
        got = classify(ln.text, rules)
        if got:
            label, rank, number, heading = got
            lead = len(ln.text) - len(ln.text.lstrip())
            out.append(Node(label, ln.start + lead, ln.end, rank, heading, number))
    return out


def first_heading(text: str, lines: list[Line], start: int, end: int, rules: Rules) -> int | None:
    for ln in lines:
        if start <= ln.start < end:
            got = classify(ln.text, rules)
            if got and got[0] in ("part", "heading", "article"):
                return ln.start
    return None


def header_nodes(text: str, lines: list[Line], end: int) -> list[Node]:
    """Issuer, motto, Số and place/date pieces of the header (two columns share a line)."""
    out: list[Node] = []
    folded = fold_ocr(text)
    for ln in lines:
        if ln.start >= end or not ln.text.strip():
            continue
        f = folded[ln.start : ln.end]
        motto = MOTTO_RE.search(f)
        num = NUMBER_LINE_RE.match(f)
        pd = PLACE_DATE_RE.search(f)
        if motto:
            if motto.start() > 0 and text[ln.start : ln.start + motto.start()].strip():
                out.append(
                    Node("issuer", ln.start, _trim(text, ln.start, ln.start + motto.start()))
                )
            heading = (
                MOTTO_LINES[0] if "h" in f[motto.start() : motto.start() + 6] else MOTTO_LINES[1]
            )
            out.append(Node("motto", ln.start + motto.start(), ln.end, heading=heading))
        elif num:
            cut = ln.start + pd.start(1) if pd else ln.end
            out.append(Node("number", ln.start + num.start(), _trim(text, ln.start, cut)))
            if pd:
                out.append(Node("place_date", cut, ln.end))
        elif pd:
            out.append(Node("place_date", ln.start + pd.start(1), ln.end))
        elif re.match(r"\s*v\s*/\s*v\b", f):
            out.append(Node("subject", ln.start, ln.end))
        else:
            out.append(Node("issuer", ln.start, ln.end))
    return out


def closing_nodes(text: str, lines: list[Line], start: int, end: int) -> list[Node]:
    """Each recipient row and the "Lưu:" row of the closing."""
    out: list[Node] = []
    for ln in lines:
        if not (start <= ln.start < end) or not ln.text.strip():
            continue
        f = fold_ocr(ln.text).strip()
        if re.match(r"[-+•]?\s*l[uư]{1,2}u?\b", f):
            out.append(Node("archive", ln.start, ln.end))
        elif f.startswith(("-", "+", "•")):
            out.append(Node("recipient", ln.start, ln.end))
    return out


def build_tree(text: str, rules: Rules) -> list[Node]:
    """The level-0 parts with their children."""
    lines = lines_of(text)
    n = len(text)
    parts: list[Node] = []
    meta = DocumentMeta()
    title_end = read_type_and_title(text, rules, meta, 0)
    type_span = meta.evidence.get("doc_type")
    head = header_block(text)
    tstart = trailer_start(text)
    read_signature(text, rules, meta)
    sig = [meta.evidence[k] for k in ("signer_title", "signer") if k in meta.evidence]
    cstart = (
        closing_start(text)
        if re.search(r"(?m)^\s*\W{0,3}\s*n[o0]i\s*nh", fold_ocr(text))
        else tstart
    )
    if sig:
        cstart = min(cstart, min(s.start for s in sig))
        cstart = text.rfind("\n", 0, cstart) + 1
    pos = 0
    if head and type_span and type_span.start > 0:
        parts.append(Node("header", 0, type_span.start))
        parts[-1].children = header_nodes(text, lines, type_span.start)
        pos = type_span.start
    if type_span:
        parts.append(Node("title", type_span.start, title_end, heading=meta.doc_type or ""))
        pos = title_end
    body_start = first_heading(text, lines, pos, cstart, rules)
    if body_start is None:
        body_start = pos
    if body_start > pos and text[pos:body_start].strip():
        pre = Node("preamble", pos, body_start)
        pre.children = [
            Node("basis", ln.start, ln.end)
            for ln in lines
            if pos <= ln.start < body_start and _CUE.match(fold_ocr(ln.text.strip()))
        ]
        _extend_paragraphs(text, pre)
        parts.append(pre)
    body = Node("body", body_start, cstart)
    nodes = body_nodes(text, lines, body_start, cstart, rules)
    _nest(nodes, body)
    parts.append(body)
    cend = tstart
    signer = meta.evidence.get("signer")
    if signer and cstart <= signer.start < tstart:
        after = text.find("\n", signer.end)
        rest = text[after:tstart] if after >= 0 else ""
        if len(rest.strip()) > 200 and first_heading(text, lines, after, tstart, rules) is not None:
            cend = after  # an annex ("Phụ lục", a regulation issued with a decision) follows
    if cstart < cend:
        closing = Node("closing", cstart, cend)
        closing.children = closing_nodes(text, lines, cstart, cend)
        parts.append(closing)
        if sig:
            s0, s1 = min(s.start for s in sig), max(s.end for s in sig)
            signature = Node("signature", s0, s1, heading=meta.signer_title or "")
            signature.children = [Node(s.label, s.start, s.end, heading=str(s.value)) for s in sig]
            closing.children.append(signature)
    if cend < tstart:
        annex = Node("annex", cend, tstart)
        _nest(body_nodes(text, lines, cend, tstart, rules), annex)
        parts.append(annex)
    if tstart < n:
        parts.append(Node("trailer", tstart, n))
    for p in parts:
        p.end = _trim(text, p.start, p.end) if p.end > p.start else p.end
    return parts


def _extend_paragraphs(text: str, pre: Node) -> None:
    """A preamble item runs until the next item or the preamble's end."""
    kids = pre.children
    for i, k in enumerate(kids):
        k.end = _trim(text, k.start, kids[i + 1].start if i + 1 < len(kids) else pre.end)


def flatten(doc: Document, parts: list[Node]) -> list[Section]:
    """Sections in document order with ids, parents, levels and source offsets."""
    out: list[Section] = []

    def walk(node: Node, parent: int | None, level: int) -> None:
        sid = len(out)
        src = doc.to_source(node.start, node.end)
        out.append(
            Section(
                section_id=sid,
                parent_id=parent,
                level=level,
                label=node.label,
                heading=node.heading,
                start=node.start,
                end=node.end,
                number=node.number,
                src_start=src[0],
                src_end=src[1],
            )
        )
        for child in node.children:
            walk(child, sid, level + 1)

    for p in parts:
        walk(p, None, 0)
    return out


@stage("segment", requires=("text",), assigns=("sections",))
def segment(doc: Document, settings: Settings) -> Document:
    """Cut `doc.text` into header, title, preamble, body headings, closing and trailer."""
    rules = load_rules(settings.dictionaries)
    doc.sections = flatten(doc, build_tree(doc.text, rules))
    return doc
