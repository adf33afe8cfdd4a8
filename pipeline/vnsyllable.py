"""Vietnamese syllable structure: tones, vowel marks, validity and tone placement.

A syllable is onset + vowel cluster (nucleus) + final consonant, with one tone on one
vowel. Restoration needs three things from this module: the mark-free skeleton of a
token, whether a string is a possible syllable at all, and where the tone goes. The
project writes the "old" (classic) placement used by Nghị định 30/2020/NĐ-CP's own
models ("Hòa", "Ủy ban", "khỏe"): in an open syllable ending in oa/oe/uy the tone sits
on the first vowel. Both placements are accepted as input.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# tone 0 none, 1 huyền (grave), 2 sắc (acute), 3 hỏi (hook), 4 ngã (tilde), 5 nặng (dot)
_TONE_TABLE = {
    "a": "aàáảãạ",
    "ă": "ăằắẳẵặ",
    "â": "âầấẩẫậ",
    "e": "eèéẻẽẹ",
    "ê": "êềếểễệ",
    "i": "iìíỉĩị",
    "o": "oòóỏõọ",
    "ô": "ôồốổỗộ",
    "ơ": "ơờớởỡợ",
    "u": "uùúủũụ",
    "ư": "ưừứửữự",
    "y": "yỳýỷỹỵ",
}
# marked character -> (base vowel with its vowel mark, tone index)
TONED: dict[str, tuple[str, int]] = {}
for _base, _forms in _TONE_TABLE.items():
    for _tone, _ch in enumerate(_forms):
        TONED[_ch] = (_base, _tone)
        TONED[_ch.upper()] = (_base.upper(), _tone)

VOWELS = frozenset("aăâeêioôơuưy")
ONSETS = frozenset(
    [
        "b",
        "c",
        "ch",
        "d",
        "đ",
        "g",
        "gh",
        "gi",
        "h",
        "k",
        "kh",
        "l",
        "m",
        "n",
        "ng",
        "ngh",
        "nh",
        "p",
        "ph",
        "qu",
        "r",
        "s",
        "t",
        "th",
        "tr",
        "v",
        "x",
    ]
)
FINALS = frozenset(["", "c", "ch", "m", "n", "ng", "nh", "p", "t"])
# vowel clusters (toneless); those in _NEED_FINAL occur only before a final consonant
NUCLEI = frozenset(
    [
        "a",
        "ă",
        "â",
        "e",
        "ê",
        "i",
        "o",
        "ô",
        "ơ",
        "u",
        "ư",
        "y",
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iê",
        "iu",
        "oa",
        "oă",
        "oe",
        "oi",
        "ôi",
        "ơi",
        "ua",
        "uâ",
        "uê",
        "ui",
        "uô",
        "uơ",
        "uy",
        "ưa",
        "ưi",
        "ưu",
        "ươ",
        "yê",
        "iêu",
        "oai",
        "oay",
        "oeo",
        "uây",
        "uôi",
        "uya",
        "uyê",
        "uyu",
        "ươi",
        "ươu",
        "yêu",
    ]
)
_NEED_FINAL = frozenset(["ă", "â", "iê", "yê", "uô", "ươ", "oă", "uâ", "uyê"])
_NO_FINAL = frozenset(
    [
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iu",
        "oi",
        "ôi",
        "ơi",
        "ua",
        "ui",
        "ưa",
        "ưi",
        "ưu",
        "iêu",
        "oai",
        "oay",
        "oeo",
        "uây",
        "uôi",
        "uya",
        "uyu",
        "ươi",
        "ươu",
        "yêu",
    ]
)
_STOP_FINALS = frozenset(["c", "ch", "p", "t"])
_PARSE = re.compile(
    r"^(ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnprstvx])?([aăâeêioôơuưy]+)(ch|ng|nh|[cmnpt])?$"
)


def split_tone(syllable: str) -> tuple[str, int]:
    """('hoa', 1) for 'hòa': the syllable without its tone, and the tone index."""
    tone = 0
    out = []
    for ch in syllable:
        info = TONED.get(ch)
        if info is not None and info[1]:
            tone = info[1]
            out.append(info[0])
        else:
            out.append(ch)
    return "".join(out), tone


def has_marks(token: str) -> bool:
    """True if any character carries a tone or vowel mark, or is đ."""
    return any(ord(ch) > 127 and (ch in TONED or ch in "đĐ") for ch in token)


@lru_cache(maxsize=65536)
def parse(syllable: str) -> tuple[str, str, str, int] | None:
    """(onset, nucleus, final, tone) of a lower-case syllable, or None if it is not one."""
    bare, tone = split_tone(syllable)
    m = _PARSE.match(bare)
    if m is None:
        return None
    onset, nucleus, final = m.group(1) or "", m.group(2), m.group(3) or ""
    return onset, nucleus, final, tone


@lru_cache(maxsize=65536)
def is_valid(syllable: str) -> bool:
    """Whether a lower-case string is a possible Vietnamese syllable (tone included)."""
    p = parse(syllable)
    return p is not None and is_valid_parts(*p)


def is_valid_parts(onset: str, nucleus: str, final: str, tone: int) -> bool:
    """Validity of an already split syllable."""
    if onset not in ONSETS and onset != "":
        return False
    if final not in FINALS:
        return False
    if nucleus not in NUCLEI:
        return False
    if final and nucleus in _NO_FINAL:
        return False
    if not final and nucleus in _NEED_FINAL:
        return False
    if final in _STOP_FINALS and tone not in (0, 2, 5):
        return False
    if final in _STOP_FINALS and tone == 0:
        return False
    # spelling rules: k/gh/ngh before front vowels only; c/g/ng not before them
    front = nucleus[0] in "eêi" or nucleus.startswith("y")
    if onset in ("k", "gh", "ngh") and not front:
        return False
    if onset in ("c", "ng") and front:
        return False
    if onset == "g" and nucleus[0] in "eê":
        return False
    if onset == "qu" and nucleus[0] == "u":
        return False
    return not (onset == "" and nucleus.startswith("iê"))


def _tone_index(onset: str, nucleus: str, final: str, style: str) -> int:
    """Position inside the nucleus that carries the tone."""
    for i, ch in enumerate(nucleus):
        if ch in "ăâêôơư":
            # ươ: the tone goes on ơ
            if nucleus[i : i + 2] == "ươ":
                return i + 1
            return i
    if len(nucleus) == 1:
        return 0
    if final:
        return len(nucleus) - 1
    if len(nucleus) == 3:
        return 1
    if style == "new" and nucleus in ("oa", "oe", "uy"):
        return 1
    return 0


def place_tone(bare: str, tone: int, style: str = "old") -> str:
    """Put `tone` on the right vowel of a toneless lower-case syllable."""
    if tone == 0:
        return bare
    m = _PARSE.match(bare)
    if m is None:
        # not a syllable: put it on the last vowel so nothing is lost
        idx = max((i for i, c in enumerate(bare) if c in VOWELS), default=-1)
        if idx < 0:
            return bare
        return bare[:idx] + _TONE_TABLE[bare[idx]][tone] + bare[idx + 1 :]
    onset, nucleus, final = m.group(1) or "", m.group(2), m.group(3) or ""
    i = _tone_index(onset, nucleus, final, style)
    nucleus = nucleus[:i] + _TONE_TABLE[nucleus[i]][tone] + nucleus[i + 1 :]
    return onset + nucleus + final


def restyle(token: str, style: str = "old") -> str:
    """A token with its tone moved to the `style` position, case kept; else unchanged."""
    low = token.lower()
    bare, tone = split_tone(low)
    if tone == 0 or not is_valid(low):
        return token
    moved = place_tone(bare, tone, style)
    if moved == low:
        return token
    return "".join(m.upper() if o.isupper() else m for o, m in zip(token, moved, strict=True))


def fold_tone_style(text: str) -> str:
    """Text with every syllable in old tone placement (for comparisons)."""
    return re.sub(r"\w+", lambda m: restyle(m.group(0)), text)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
