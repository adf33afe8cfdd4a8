"""Types shared by every stage of the pipeline.

This module imports nothing from the project. A `Document` travels through the
stages (ingest -> ocr -> normalize -> restore -> segment -> extract -> graph);
each stage returns it with more filled in. Text is never rewritten without an
`Alignment`, so every span found late maps back to the characters of the
original input (`Document.source_text`) and from there to the OCR word and page.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Outcome of a document (or page) in a run."""

    OK = "ok"
    WARNING = "warning"  # processed, but something needs a human look
    FAILED = "failed"
    SKIPPED = "skipped"


class SourceKind(StrEnum):
    """What the input file was."""

    TEXT = "text"  # .txt: plain text, possibly old OCR output
    PDF_TEXT = "pdf-text"  # PDF with a usable text layer
    PDF_SCAN = "pdf-scan"  # PDF whose pages must be OCR'd
    IMAGE = "image"  # .png/.jpg/.tif (possibly multi-page)
    UNKNOWN = "unknown"


# --------------------------------------------------------------------------- alignment


@dataclass(frozen=True, slots=True)
class Edit:
    """One replaced region: output[out_start:out_end] came from input[in_start:in_end]."""

    out_start: int
    out_end: int
    in_start: int
    in_end: int


@dataclass
class Alignment:
    """Maps offsets of a stage's output text back to offsets of its input text.

    Outside the listed edits, text was copied one character for one character.
    Inside an edit, a position maps to the start (or end) of the input region.
    """

    edits: list[Edit] = field(default_factory=list)
    out_len: int = 0
    in_len: int = 0

    @classmethod
    def identity(cls, length: int) -> Alignment:
        return cls([], length, length)

    def to_input(self, pos: int, *, end: bool = False) -> int:
        """Input offset of output offset `pos` (`end=True` for an exclusive span end)."""
        return _map(self.edits, pos, end, forward=False)

    def to_output(self, pos: int, *, end: bool = False) -> int:
        """Output offset of input offset `pos` (the inverse direction, same conventions)."""
        return _map(self.edits, pos, end, forward=True)

    def span_to_input(self, start: int, end: int) -> tuple[int, int]:
        """Map an output span [start, end) to the input span that produced it."""
        s = self.to_input(start)
        t = self.to_input(end, end=True) if end > start else s
        return s, max(s, t)

    def span_to_output(self, start: int, end: int) -> tuple[int, int]:
        """Map an input span [start, end) to the output span it became."""
        s = self.to_output(start)
        t = self.to_output(end, end=True) if end > start else s
        return s, max(s, t)


def _map(edits: list[Edit], pos: int, end: bool, *, forward: bool) -> int:
    """Shared offset mapping through a sorted edit list, in either direction.

    A start position inside a replaced region maps to the region's start; an end
    position inside (or at the end of) one maps to the region's end.
    """
    keys = [e.in_start if forward else e.out_start for e in edits]
    i = (bisect.bisect_left(keys, pos) if end else bisect.bisect_right(keys, pos)) - 1
    if i < 0:
        return pos
    e = edits[i]
    a_end = e.in_end if forward else e.out_end
    b_start, b_end = (e.out_start, e.out_end) if forward else (e.in_start, e.in_end)
    if end and pos <= a_end:
        return b_end
    if not end and pos < a_end:
        return b_start
    return b_end + (pos - a_end)


@dataclass
class TextLayer:
    """The text after one rewriting stage, aligned to the layer before it."""

    stage: str
    text: str
    alignment: Alignment


# --------------------------------------------------------------------------- OCR


@dataclass
class OcrWord:
    """One word as Tesseract read it. Offsets are into `Document.source_text`."""

    text: str
    page: int  # 1-based page number
    bbox: tuple[int, int, int, int]  # left, top, right, bottom in page pixels
    confidence: float  # 0..100, Tesseract's word confidence
    block: int = 0
    line: int = 0
    start: int = 0
    end: int = 0
    low_confidence: bool = False


@dataclass
class Page:
    """One page of input: its OCR words (if OCR ran) and where it lies in the text."""

    number: int  # 1-based
    start: int = 0  # offset of the page's text in Document.source_text
    end: int = 0
    width: int = 0
    height: int = 0
    dpi: int = 0
    words: list[OcrWord] = field(default_factory=list)
    confidence: float | None = None  # mean word confidence, 0..100
    stages: list[str] = field(default_factory=list)  # OCR passes/preprocessing that ran
    status: Status = Status.OK
    error: str | None = None


# --------------------------------------------------------------------------- extraction


@dataclass
class Span:
    """A piece of text found by a stage.

    `start`/`end` are offsets in the final text (`Document.text`); `src_start`/`src_end`
    are the same span in the original input (`Document.source_text`).
    """

    start: int
    end: int
    text: str
    label: str = ""
    value: Any = None  # normalised value
    confidence: float = 1.0
    src_start: int = -1
    src_end: int = -1


@dataclass
class Section:
    """A node of the section tree (header, preamble, heading I./1./a)/-, closing...)."""

    section_id: int
    parent_id: int | None
    level: int  # 0 = document parts (header, body, closing); deeper = nested headings
    label: (
        str  # kind: header, motto, title, preamble, heading, item, bullet, recipients, signature...
    )
    heading: str  # restored heading text ("MỤC ĐÍCH, YÊU CẦU"), '' when none
    start: int
    end: int
    number: str = ""  # "I", "1", "1.1", "a", "-" as printed (normalised)
    src_start: int = -1
    src_end: int = -1


@dataclass
class Citation:
    """A reference to another document found in the text."""

    cited_symbol: str  # normalised: NFC, no spaces, Đ where due ("57-NQ/TW"); '' for by-name
    raw_text: str  # the whole mention as printed in the original input
    start: int
    end: int
    src_start: int = -1
    src_end: int = -1
    family: str = ""  # administrative | party | normative | name
    cited_type: str = ""  # type code: NQ, KH, QĐ, NĐ, L...
    cited_type_name: str = ""  # "Nghị quyết"
    cited_number: str = ""  # "57", "66.4"
    cited_year: int | None = None
    cited_issuer_code: str = ""  # "TW", "BYT", "CP"
    cited_issuer: str = ""  # "Bộ Chính trị"
    cited_date: str | None = None  # ISO date
    cited_title: str = ""  # for laws cited by name
    key: str = ""  # canonical key for graph joins
    relation: str = ""  # can_cu | thuc_hien | trien_khai | dan_chieu | tuyen_truyen ...
    form: str = "full"  # full | short | name
    section_path: str = ""
    page: int | None = None
    confidence: float = 1.0
    status: str = "resolved"  # resolved | unresolved | ambiguous
    printed_symbol: str = ""  # the symbol as printed, before repair


@dataclass
class Assignment:
    """A task given to a unit in 'Tổ chức thực hiện' (or similar)."""

    unit: str
    role: str  # chu_tri (lead) | phoi_hop (support) | thuc_hien (carry out)
    task: str
    start: int
    end: int
    deadline_text: str = ""
    deadline_date: str | None = None  # ISO date, or "--MM-DD" for yearly recurrence
    recurrence: str | None = None  # yearly | quarterly | monthly | None
    section_path: str = ""
    src_start: int = -1
    src_end: int = -1
    page: int | None = None
    confidence: float = 1.0


@dataclass(slots=True)
class TokenChange:
    """One token the restore stage rewrote (or flagged)."""

    start: int  # in the restore stage's input text
    end: int
    original: str
    chosen: str
    alternatives: list[str] = field(default_factory=list)
    confidence: float = 1.0
    low_confidence: bool = False
    src_start: int = -1  # the token in Document.source_text
    src_end: int = -1
    page: int | None = None


@dataclass
class DocumentMeta:
    """The document's own identity, from its header (or the best evidence elsewhere)."""

    doc_type: str | None = None  # "Kế hoạch"
    type_code: str | None = None  # "KH"
    number: str | None = None  # "1138"
    symbol: str | None = None  # "1138/KH-BYT"
    issuer: str | None = None
    parent_issuer: str | None = None
    issuer_code: str | None = None  # "BYT"
    place: str | None = None
    issued_date: str | None = None  # ISO
    title: str | None = None
    subject: str | None = None  # "V/v ..." of a Công văn
    signer: str | None = None
    signer_title: str | None = None
    signed_at: str | None = None
    key: str | None = None  # canonical key, same scheme as Citation.key
    evidence: dict[str, Span] = field(default_factory=dict)  # field -> where it was read
    confidence: dict[str, float] = field(default_factory=dict)


@dataclass
class Edge:
    """A directed relation between two documents, read in some document's text."""

    src_key: str
    dst_key: str
    relation: str
    doc_id: str  # the document whose text states the edge
    evidence: str = ""
    start: int = -1
    end: int = -1


# --------------------------------------------------------------------------- document


@dataclass
class Document:
    """One input file on its way through the pipeline."""

    doc_id: str
    source_path: str
    sha256: str
    kind: SourceKind = SourceKind.UNKNOWN
    source_text: str = ""  # the original text: file contents or OCR output
    pages: list[Page] = field(default_factory=list)
    layers: list[TextLayer] = field(default_factory=list)
    meta: DocumentMeta = field(default_factory=DocumentMeta)
    sections: list[Section] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    changes: list[TokenChange] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    status: Status = Status.OK
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    stages_run: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The current text: the last layer's, or the source text."""
        return self.layers[-1].text if self.layers else self.source_text

    def add_layer(self, stage: str, text: str, alignment: Alignment) -> None:
        """Append a rewritten text; `alignment` maps it to the current `text`."""
        self.layers.append(TextLayer(stage, text, alignment))

    def to_source(self, start: int, end: int, *, upto: int | None = None) -> tuple[int, int]:
        """Map a span of the final text (or of layer `upto`) back to `source_text`."""
        layers = self.layers if upto is None else self.layers[: upto + 1]
        s, e = start, end
        for layer in reversed(layers):
            s, e = layer.alignment.span_to_input(s, e)
        return s, e

    def from_source(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of `source_text` forward to the final text."""
        s, e = start, end
        for layer in self.layers:
            s, e = layer.alignment.span_to_output(s, e)
        return s, e

    def page_of(self, src_offset: int) -> int | None:
        """1-based page number holding a `source_text` offset (None if no pages)."""
        for page in self.pages:
            if page.start <= src_offset < page.end or (
                src_offset == page.end and page is self.pages[-1]
            ):
                return page.number
        return self.pages[0].number if len(self.pages) == 1 else None

    def words_in(self, src_start: int, src_end: int) -> list[OcrWord]:
        """OCR words overlapping a `source_text` span."""
        return [w for p in self.pages for w in p.words if w.start < src_end and w.end > src_start]
