"""The lattice restoration decodes: a text's words, each with its candidates.

Splits a text into words, URLs and sentence breaks (`_items`), finds capitals headings
and heading fragments, and gives every word its slot content: the LM token it must stay
as (symbols, numbers, abbreviations...) or its candidates (pipeline.candidates) with
their model ids, weighted costs and how each is written in the word's case. For OCR
text the neighbour search of all the text's new words is done first, in one compiled
call (`candidates.prefetch`). Split from pipeline.restore, which decodes the result.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from pipeline.candidates import (
    LETTERS,
    choices,
    is_protected,
    prefetch,
    skeleton_index,
    syllable_shaped,
)
from pipeline.lm import ABBR, NUM, SYM, Model, abbr_token, token_class
from pipeline.textutil import skeleton
from pipeline.vnsyllable import restyle

_WEB = r"(?:https?://|www\.)\S+"
_MAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_LETTER = r"(?:[^\W_]|[¢&@€])"  # a character of a word
_BRK = r"[.;:!?]+(?=\s|$)|\n[ \t]*\n"
_ITEM = re.compile(
    rf"(?P<url>{_WEB}|{_MAIL})|(?P<word>{_LETTER}+(?:[-/.]{_LETTER}+)*)|(?P<brk>{_BRK})"
)


@lru_cache(maxsize=8)
def _item_pattern(web: bool, mail: bool, underscore: bool) -> re.Pattern[str]:
    """_ITEM for a text with or without 'http'/'www.', '@' and '_': the same matches,
    found faster without the branches that cannot match and, in a text without '_',
    with one character class for a word's characters."""
    if not (web or mail or underscore):
        letter = r"[\w¢&@€]"
        return re.compile(rf"(?P<word>{letter}+(?:[-/.]{letter}+)*)|(?P<brk>{_BRK})")
    return _ITEM


def _items(text: str) -> list[tuple[str, int, int]]:
    """(group, start, end) of each match of _ITEM in `text`: spans, not match objects,
    since thousands of live objects would cost the garbage collector."""
    web = "http" in text or "www." in text
    rx = _item_pattern(web, "@" in text, "_" in text)
    return [(m.lastgroup or "", m.start(), m.end()) for m in rx.finditer(text)]


@dataclass
class Slot:
    """One word of the text: its place, and the candidates restoration may choose from."""

    start: int
    end: int
    text: str
    fixed: str | None = None  # LM token when the word must stay as it is
    cands: Sequence[tuple[str, float]] = field(default_factory=list)  # (lower-case, cost)
    heading: bool = False  # inside a capitals heading: restored in capitals
    ids: Sequence[int] = ()  # model ids of the candidates
    costs: Sequence[float] = ()  # their channel costs, already weighted


def apply_case(pattern: str, word: str, upper: bool) -> str:
    """`word` in the case of `pattern` (all caps, capitalised, or lower)."""
    if upper:
        return word.upper()
    if pattern[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


# a word in the case of its token, by `_style`: as is (lower), capitalised, capitals
_CASED: tuple[Callable[[str], str], ...] = (str, lambda w: w[:1].upper() + w[1:], str.upper)


@lru_cache(maxsize=100_000)
def _style(token: str, heading: bool, ocr: bool = False) -> int:
    """Index into _CASED of how a word replacing `token` is written (as `apply_case`)."""
    if _upper(token, heading, ocr):
        return 2
    return 1 if token[:1].isupper() else 0


@lru_cache(maxsize=100_000)
def _upper(token: str, heading: bool, ocr: bool = False) -> bool:
    """Whether a word is restored in capitals: written so, or a capital word of a heading.

    In OCR text a capital word outside a heading that is restored as a word at all (not
    an abbreviation) is a capitalised word whose marked vowel was read as a capital
    ('BO Y tế', 'HOI nghị' for 'Bộ Y tế', 'Hội nghị'): it is written capitalised.
    """
    if ocr and not heading:
        return False
    letters = "".join(LETTERS.findall(token))
    return (letters.isupper() and len(letters) > 1) or (
        heading and (_caps_word(token) or letters.isupper())
    )


@lru_cache(maxsize=100_000)
def _caps_word(token: str) -> bool:
    """A word written in capitals (OCR may lower a letter or two: 'PiCH')."""
    letters = LETTERS.findall(token)
    return len(letters) > 1 and sum(c.isupper() for c in letters) * 4 >= len(letters) * 3


_LINE_WORDS = re.compile(r"[^\W\d_]+")


def _heading_lines(text: str) -> list[bool]:
    """Per line: whether it is an all-capitals heading (>= 2 capital words, 2/3 of words)."""
    result = []
    findall = _LINE_WORDS.findall
    for line in text.split("\n"):
        words = [w for w in findall(line) if len(w) > 1]
        caps = [w for w in words if _caps_word(w)]
        result.append(len(caps) >= 2 and len(caps) * 3 >= len(words) * 2)
    return result


def _caps_runs(
    items: list[tuple[str, int, int]], text: str, known: dict[str, list[str]], ocr: bool = False
) -> set[int]:
    """Starts of capital words that stand next to another capital syllable: a heading
    fragment such as 'CỤC CHỨNG THỰC SỐ' inside a longer line, not a lone 'AI'. In OCR
    text a capital word counts when it is shaped like a syllable ('GIAM POC' for 'GIÁM
    ĐỐC' beside 'Nơi nhận:' on one line).

    `items` are the (group, start, end) of the matches of _ITEM."""
    words = [text[s:e] if g == "word" else "" for g, s, e in items]
    flags = [
        bool(w) and _caps_word(w) and (skeleton(w) in known or (ocr and syllable_shaped(w)))
        for w in words
    ]
    # a one-letter capital syllable ('Y' of 'SỞ Y TẾ') links the capital words around it
    single = [len(w) == 1 and w.isupper() for w in words]

    def joined(a: int, b: int) -> bool:
        return _JOINER.fullmatch(text, items[a][2], items[b][1]) is not None

    runs: set[int] = set()
    for i, flag in enumerate(flags):
        if not flag:
            continue
        for j in (i - 1, i + 1):
            if not 0 <= j < len(items):
                continue
            a, b = sorted((i, j))
            if flags[j] and joined(a, b):
                runs.add(items[i][1])
            k = 2 * j - i  # the word beyond a one-letter link
            if single[j] and 0 <= k < len(items) and flags[k]:
                lo, hi = sorted((i, k))
                if joined(lo, j) and joined(j, hi):
                    runs.update((items[i][1], items[j][1]))
    return runs


_JOINER = re.compile(r"[\s,\-–]*")


# (fixed LM token or None, candidates, their ids, their costs, each candidate written in
# the case of the word, and the same or None where writing it changes nothing)
_Content = tuple[
    str | None,
    Sequence[tuple[str, float]],
    Sequence[int],
    Sequence[float],
    tuple[str, ...],
    tuple[str | None, ...],
]


@lru_cache(maxsize=200_000)  # a pure function of its arguments: shared across texts
def _slot_content(
    tok: str, heading: bool, label: bool, case: int, mode: str, model: Model, table_path: str
) -> _Content:
    """The candidates of one word, their ids and costs, and how each would be written."""
    fixed = NUM if label else is_protected(tok, heading, mode)
    if fixed == ABBR:
        fixed = abbr_token(tok)
    if (
        fixed is None
        and mode != "ocr"
        and (any(ord(c) > 127 for c in tok) or not LETTERS.search(tok))
    ):
        fixed = token_class(tok)  # marked words of stripped text are evidence kept as is
    if fixed is None:
        choice = choices(_lower(tok), mode, model, table_path, case)
        if choice is not None:
            cands, ids, costs = choice
            write = _CASED[_style(tok, heading, mode == "ocr")]
            low = tok.lower()
            cased = tuple(write(w) for w, _ in cands)
            news = tuple(
                None if w == low or w.startswith("<") or new == tok else new
                for (w, _), new in zip(cands, cased, strict=True)
            )
            return None, cands, ids, costs, cased, news
        fixed = token_class(tok)
    return _fixed_content(fixed, model)


@lru_cache(maxsize=1024)
def _fixed_content(fixed: str, model: Model) -> _Content:
    """The content of a word that stays as it is, as the LM token `fixed`."""
    return fixed, ((fixed, 0.0),), (model.id(fixed),), (0.0,), (), (None,)


class _Words(NamedTuple):
    """A text's words, flat: span and entry of each, sentences as offsets into them.

    Entries are the distinct (token, setting) pairs of the text, each with its content
    (`_slot_content`); words of the same entry share it, so the decoder's work on a
    candidate set is done once per entry.
    """

    start: list[int]
    end: list[int]
    entry: list[int]
    sent: list[int]  # offset of each sentence's first word, then the number of words
    tokens: list[str]  # per entry
    headings: list[bool]  # per entry
    contents: list[_Content]  # per entry


_NEWLINE = re.compile(r"\n")


def _words_of(text: str, mode: str, model: Model, table_path: str) -> _Words:
    """The words of a text with their candidates (see `_Words`)."""
    headings = _heading_lines(text)
    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    items = _items(text)
    runs = _caps_runs(items, text, skeleton_index(model), mode == "ocr")
    if mode == "ocr":
        prefetch(_searched(text, items), model, table_path)
    starts: list[int] = []
    ends: list[int] = []
    entry: list[int] = []
    sent = [0]
    tokens: list[str] = []
    heads: list[bool] = []
    contents: list[_Content] = []
    seen: dict[tuple[str, bool, bool, int], int] = {}
    size = len(text)
    line = 0  # the line of `start`, found by walking: the words come in order
    next_line = line_starts[1] if len(line_starts) > 1 else size + 1
    for group, start, end in items:
        if group == "brk":
            if len(starts) > sent[-1]:
                sent.append(len(starts))
            continue
        tok = text[start:end]
        if group == "url" or _continues_symbol(text, start, tok):
            key = (tok, False, False, -1)  # no word has case -1
        else:
            while start >= next_line:
                line += 1
                next_line = line_starts[line + 1] if line + 1 < len(line_starts) else size + 1
            heading = headings[line] or start in runs
            # a one-letter list label ('a)') or a capital initial or prefix ('Q.', 'T.')
            label = (
                end - start == 1
                and end < size
                and (text[end] == ")" or (text[end] == "." and tok.isupper()))
            )
            # the case evidence (`choices`): 2 at a sentence start or for capitals
            case = 2
            if tok[0].isalpha() and not (end - start > 1 and tok.isupper()):
                j = start - 1
                while j >= 0 and text[j] in " \t":
                    j -= 1
                if j >= 0 and (text[j].isalnum() or text[j] in ",)"):
                    case = 1 if tok[0].isupper() else 0
            key = (tok, heading, label, case)
        e = seen.get(key)
        if e is None:
            e = seen[key] = len(tokens)
            tokens.append(tok)
            heads.append(key[1])
            if key[3] < 0:
                contents.append(_fixed_content(SYM, model))
            else:
                contents.append(_slot_content(*key, mode, model, table_path))
        starts.append(start)
        ends.append(end)
        entry.append(e)
    if len(starts) > sent[-1]:
        sent.append(len(starts))
    return _Words(starts, ends, entry, sent, tokens, heads, contents)


_CODE_SHAPED = re.compile(r"[A-ZĐ][A-ZĐ0-9]*[a-z]?")


def _continues_symbol(text: str, start: int, tok: str) -> bool:
    """A code that continues a symbol broken after its '-' or '/' by a space or a line
    break ('07/2024/TT-' + newline + 'BYT'): part of the symbol, never a word."""
    first = tok[0]
    if not ("A" <= first <= "Z" or first == "Đ") or len(tok) < 2:
        return False  # the common case, before the pattern (which needs that capital)
    if not _CODE_SHAPED.fullmatch(tok):
        return False
    j = start - 1
    while j >= 0 and text[j] in " \t\r\n":
        j -= 1
    return 0 < j < start - 1 and text[j] in "-/" and text[j - 1].isalnum()


def _searched(text: str, items: list[tuple[str, int, int]]) -> list[str]:
    """The lower-case words of an OCR text whose candidates may need a neighbour search:
    all but those certainly kept as they are (see `is_protected`)."""
    toks = {text[start:end] for group, start, end in items if group == "word"}
    return [
        _lower(tok)
        for tok in toks
        if not (_KEPT.search(tok) or not LETTERS.search(tok))
        and not (len(tok) > 5 and any(c.isdigit() for c in tok))
    ]


@lru_cache(maxsize=200_000)
def _lower(tok: str) -> str:
    """A token in lower case, in the old tone style (what `choices` takes)."""
    return restyle(tok.lower())


_KEPT = re.compile(r"[-/.]")


def _slots_of(text: str, mode: str, model: Model, table_path: str) -> list[list[Slot]]:
    """Sentences of slots, with candidates filled in (the pure-Python decoder's input)."""
    return _sentences(_words_of(text, mode, model, table_path))


def _sentences(words: _Words) -> list[list[Slot]]:
    """The words as sentences of slots; words of one entry share its candidate objects,
    which lets the decoder's memo, keyed by object ids, hit."""
    out = []
    for lo, hi in itertools.pairwise(words.sent):
        slots = []
        for g in range(lo, hi):
            e = words.entry[g]
            fixed, cands, ids, costs = words.contents[e][:4]
            tok, heading = words.tokens[e], words.headings[e]
            slots.append(Slot(words.start[g], words.end[g], tok, fixed, cands, heading, ids, costs))
        out.append(slots)
    return out
