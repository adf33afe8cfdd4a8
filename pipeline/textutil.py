"""Small text helpers shared by the stages: building aligned rewrites, Vietnamese folding."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence

from pipeline.models import Alignment, Edit


class AlignedBuilder:
    """Builds a rewritten text piece by piece while recording its alignment.

    Walk the input left to right: `keep` copies input characters, `replace` puts
    new text in place of an input region. Unvisited input at `finish` is kept.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self._parts: list[str] = []
        self._edits: list[Edit] = []
        self._in = 0
        self._out = 0

    def keep(self, upto: int) -> None:
        """Copy input up to offset `upto` unchanged."""
        if upto < self._in:
            raise ValueError(f"keep({upto}) goes backwards from {self._in}")
        piece = self.source[self._in : upto]
        self._parts.append(piece)
        self._in = upto
        self._out += len(piece)

    def replace(self, start: int, end: int, new: str) -> None:
        """Put `new` in place of input[start:end] (input before `start` is kept)."""
        self.keep(start)
        old = self.source[start:end]
        if old == new:
            self.keep(end)
            return
        self._parts.append(new)
        last = self._edits[-1] if self._edits else None
        if last is not None and last.in_end == start and last.out_end == self._out:
            self._edits[-1] = Edit(last.out_start, self._out + len(new), last.in_start, end)
        else:
            self._edits.append(Edit(self._out, self._out + len(new), start, end))
        self._in = end
        self._out += len(new)

    def replace_many(self, starts: Sequence[int], ends: Sequence[int], news: Sequence[str]) -> None:
        """`replace(start, end, new)` for each triple in order, in one loop (a text's
        thousands of restored words), with the same edits."""
        source, parts, edits = self.source, self._parts, self._edits
        append = parts.append
        pos, out = self._in, self._out
        for start, end, new in zip(starts, ends, news, strict=True):
            if start < pos:
                raise ValueError(f"keep({start}) goes backwards from {pos}")
            if start > pos:
                piece = source[pos:start]
                append(piece)
                out += len(piece)
            old = source[start:end]
            if old == new:
                append(old)
                out += len(old)
                pos = end
                continue
            append(new)
            size = len(new)
            last = edits[-1] if edits else None
            if last is not None and last.in_end == start and last.out_end == out:
                edits[-1] = Edit(last.out_start, out + size, last.in_start, end)
            else:
                edits.append(Edit(out, out + size, start, end))
            pos = end
            out += size
        self._in, self._out = pos, out

    def finish(self) -> tuple[str, Alignment]:
        """The rewritten text and its alignment to the input."""
        self.keep(len(self.source))
        text = "".join(self._parts)
        return text, Alignment(self._edits, len(text), len(self.source))


def align_by_diff(source: str, target: str) -> Alignment:
    """Alignment of `target` to `source` for a stage that rewrote text wholesale."""
    matcher = difflib.SequenceMatcher(None, source, target, autojunk=False)
    edits = [
        Edit(j1, j2, i1, i2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]
    return Alignment(edits, len(target), len(source))


def _strip_char(ch: str) -> str:
    if ch == "đ":
        return "d"
    if ch == "Đ":
        return "D"
    return unicodedata.normalize("NFD", ch)[0]


class _MarkFreeTable(dict[int, str]):
    """`str.translate` table filled on first use: each character to its mark-free base."""

    def __missing__(self, code: int) -> str:
        value = self[code] = _strip_char(chr(code))
        return value


MARK_FREE = _MarkFreeTable()


def strip_marks(text: str) -> str:
    """Vietnamese text without tone marks or vowel marks; đ -> d (length-preserving per char)."""
    return text.translate(MARK_FREE)


def skeleton(token: str) -> str:
    """Lower-cased, mark-free key of a syllable: 'Nghị' -> 'nghi'."""
    return strip_marks(unicodedata.normalize("NFC", token)).lower()
