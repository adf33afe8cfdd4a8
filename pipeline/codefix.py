"""Give capital codes back their Đ: 'QD' -> 'QĐ', 'HDND' -> 'HĐND', OCR 'QP'/'Nb' -> 'QĐ'/'NĐ'.

Text typed without marks, or read by an OCR engine without Vietnamese data, loses the Đ
of the codes that official documents are full of — document types (QĐ, NĐ, CĐ), issuers
(BCĐTW, ĐU, SGDĐT) and abbreviations (HĐND, PGĐ). Restoration must never turn those
tokens into words, but the symbol rules may repair them: a code part that is not itself
a known code becomes the one known code with the same letters once Đ is written D
(stripped text), or, for OCR text, the same shape once the letters Tesseract prints for
Đ (D, P, B, b) are merged and doubled letters collapsed. Ambiguous parts (HD: Hướng dẫn
or HĐ: Hợp đồng) stay as printed. Known codes come from dictionaries/doc_types.yaml,
dictionaries/issuers.yaml and dictionaries/restore/abbreviations.tsv.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_PART = re.compile(r"[^\W\d_]+")
_DOUBLE = re.compile(r"(.)\1+")


def plain(code: str) -> str:
    """A code with Đ written D, upper case: what typing without marks leaves of it."""
    return code.upper().replace("Đ", "D").replace("Ð", "D")


def shape(code: str) -> str:
    """A code as OCR may print it: Đ look-alikes (D, P, B) merged, doubled letters collapsed."""
    merged = plain(code).replace("P", "D").replace("B", "D")
    return _DOUBLE.sub(r"\1", merged)


@dataclass(frozen=True)
class CodeTable:
    """Known codes, and the unique code with a Đ behind each plain and each OCR shape."""

    known: frozenset[str]
    plains: frozenset[str]
    by_plain: dict[str, str]
    by_shape: dict[str, str]


def _unique(pairs: list[tuple[str, str]]) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for key, code in pairs:
        seen.setdefault(key, set()).add(code)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


@lru_cache(maxsize=4)
def code_table(dictionaries: Path) -> CodeTable:
    """The code table built from the rule files in `dictionaries` (cached per folder)."""
    codes: set[str] = set()
    for name, keys in (("doc_types.yaml", ("types",)), ("issuers.yaml", ("codes",))):
        data = yaml.safe_load((dictionaries / name).read_text(encoding="utf-8")) or {}
        for key in keys:
            codes.update(str(c) for c in data.get(key, {}) or {})
    types = yaml.safe_load((dictionaries / "doc_types.yaml").read_text(encoding="utf-8")) or {}
    codes.update(str(c) for c in types.get("normative_types", []) or [])
    abbreviations = dictionaries / "restore" / "abbreviations.tsv"
    if abbreviations.exists():
        for line in abbreviations.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                codes.add(line.split("\t")[0])
    codes = {c for c in codes if c and _PART.fullmatch(c.replace("-", ""))}
    by_plain = _unique([(plain(c), c) for c in codes])
    by_shape = _unique([(shape(c), c) for c in codes])
    # a code is repaired only towards a code with Đ; a plain or shape shared with a code
    # without one (HD: Hướng dẫn / HĐ: Hợp đồng) was dropped by _unique already
    return CodeTable(
        frozenset(codes),
        frozenset(plain(c) for c in codes),
        {k: c for k, c in by_plain.items() if "Đ" in c},
        {k: c for k, c in by_shape.items() if "Đ" in c},
    )


def repair_part(part: str, table: CodeTable, ocr: bool) -> str | None:
    """The known code a printed code part stands for, or None to keep it."""
    if part in table.known or len(part) < 2:
        return None
    if not (part.isupper() or (ocr and part[0].isupper())):
        return None  # a lower-case word is not a code
    fixed = table.by_plain.get(plain(part)) if part.isupper() else None
    if fixed is None and ocr:
        fixed = table.by_shape.get(shape(part))
    return fixed


def repair_token(token: str, table: CodeTable, ocr: bool) -> str | None:
    """A symbol or abbreviation with its code parts repaired, or None when nothing changes.

    Only the letter parts between separators change ('2183/QP-BYT' -> '2183/QĐ-BYT');
    numbers and separators stay as printed.
    """
    out: list[str] = []
    pos = 0
    changed = False
    for m in _PART.finditer(token):
        out.append(token[pos : m.start()])
        fixed = repair_part(m.group(0), table, ocr)
        if fixed is not None and fixed != m.group(0):
            changed = True
        out.append(fixed or m.group(0))
        pos = m.end()
    out.append(token[pos:])
    return "".join(out) if changed else None
