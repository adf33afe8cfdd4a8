"""Stage normalize: NFC, one tone-placement style, and OCR cleanup that is certain.

Only rewrites that can never turn a correct Vietnamese word into a wrong one:
Unicode composition (NFC), look-alike code points (Icelandic Ð for Đ, ligatures ﬁ/ﬂ),
odd spaces and invisible characters, stray control characters, and the tone moved to
the classic position of Nghị định 30/2020/NĐ-CP's models ("hoà" -> "hòa", "thuỷ" ->
"thủy", "khoẻ" -> "khỏe"). Everything uncertain is left to the restore stage.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.models import Alignment, Document
from pipeline.registry import stage
from pipeline.settings import Settings
from pipeline.textutil import AlignedBuilder
from pipeline.vnsyllable import restyle

TONE_STYLE = "old"

# single code points with one certain replacement
CHAR_MAP: dict[str, str] = {
    "\u00d0": "Đ",  # Icelandic Eth looks like Đ and is never Vietnamese
    "\u00f0": "đ",
    "\u0189": "Đ",  # African D
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\u00a0": " ",  # no-break space
    "\u2007": " ",
    "\u202f": " ",
    "\u2000": " ",
    "\u2001": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": " ",
    "\u2008": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u3000": " ",
    "\u200b": "",  # zero-width space / joiners / BOM / soft hyphen
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\u00ad": "",
}
_KEEP_CONTROL = frozenset("\n\t\r\f")
# a word: letters with any combining marks; anything else is looked at one char at a time
_TOKEN = re.compile(
    r"(?:[^\W\d_]|[\u0300-\u036f\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff\u00ad])+|.",
    re.DOTALL,
)


def _char_fix(ch: str) -> str:
    """The certain replacement of one character (itself when there is none)."""
    if ch in CHAR_MAP:
        return CHAR_MAP[ch]
    if ch not in _KEEP_CONTROL and unicodedata.category(ch) == "Cc":
        return ""
    return ch


def normalize_text(text: str) -> str:
    """The normalized text alone (see `normalize_aligned`)."""
    return normalize_aligned(text)[0]


def normalize_aligned(text: str) -> tuple[str, Alignment]:
    """Normalize `text`; the alignment maps the result back to `text`."""
    builder = AlignedBuilder(text)
    for m in _TOKEN.finditer(text):
        piece = m.group(0)
        if (
            len(piece) == 1
            and piece.isascii()
            and piece != "\x7f"
            and (piece.isprintable() or piece in _KEEP_CONTROL)
        ):
            continue
        fixed = unicodedata.normalize("NFC", "".join(_char_fix(c) for c in piece))
        if len(piece) > 1 or piece.isalpha():
            fixed = restyle(fixed, TONE_STYLE)
        if fixed != piece:
            builder.replace(m.start(), m.end(), fixed)
    return builder.finish()


@stage("normalize", assigns=("layers",))
def normalize(doc: Document, settings: Settings) -> Document:
    """NFC, classic tone placement, certain OCR cleanup; adds the 'normalize' layer."""
    text, alignment = normalize_aligned(doc.text)
    doc.add_layer("normalize", text, alignment)
    return doc
