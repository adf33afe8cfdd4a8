"""Stage ingest: classify an input file, validate it, and read its text when it has one.

Why: every later stage needs to know what it is holding. Plain text and PDFs with a
usable text layer are read here (no OCR); scanned PDFs and images only get page
placeholders, checked by header size, so the ocr stage can rasterise them one page
at a time. Bad input is refused early with a coded, one-line error.

Text decoding: a BOM decides (UTF-8, UTF-16, UTF-32); otherwise UTF-8, then
Windows-1258 (Vietnamese). Binary content, or text whose letters are mostly not
Latin script (Vietnamese is Latin), raises NotText.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from pipeline import imaging
from pipeline import tesseract as T
from pipeline.errors import EmptyInput, EncryptedPdf, InputError, InputTooLarge, NotText, OcrError
from pipeline.models import Document, Page, SourceKind
from pipeline.registry import stage
from pipeline.settings import Settings

IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
    b"BM",  # BMP
    b"GIF8",
)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"}
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
MAX_CONTROL_SHARE = 0.005  # control characters (other than tab/newline/form feed) allowed
MIN_LETTER_SHARE = 0.4  # letters among non-space characters
MIN_LATIN_SHARE = 0.85  # Latin-script letters among letters
PAGE_TEXT_MIN_CHARS = 30  # a PDF page "has text" with this many letters/digits
TEXT_LAYER_MIN_PAGES = 0.8  # share of pages with text for the text layer to be used


def _is_latin_letter(ch: str) -> bool:
    o = ord(ch)
    return (
        0x41 <= o <= 0x5A
        or 0x61 <= o <= 0x7A
        or 0xC0 <= o <= 0x24F
        or 0x1E00 <= o <= 0x1EFF  # Latin Extended Additional: the Vietnamese letters
    )


def text_problem(text: str) -> str | None:
    """Why `text` is not Vietnamese/Latin text (None when it is)."""
    sample = text[:200_000]
    visible = [c for c in sample if not c.isspace()]
    if not visible:
        return "no visible characters"
    controls = sum(1 for c in sample if (ord(c) < 32 and c not in "\t\n\r\f") or c == "\ufffd")
    if controls / len(sample) > MAX_CONTROL_SHARE:
        return "binary content (control characters)"
    letters = [c for c in visible if c.isalpha()]
    if len(letters) / len(visible) < MIN_LETTER_SHARE:
        return "too few letters for text"
    latin = sum(1 for c in letters if _is_latin_letter(c))
    if latin / len(letters) < MIN_LATIN_SHARE:
        return "not Vietnamese/Latin-script text"
    return None


def decode_text(data: bytes, name: str = "input") -> str:
    """Decode a text file's bytes; raise NotText for binary or non-Latin content."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(codec, errors="replace")
            break
    else:
        if b"\x00" in data[:8192]:
            raise NotText(f"{name}: binary content (NUL bytes), not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1258")
            except UnicodeDecodeError as exc:
                raise NotText(f"{name}: neither UTF-8 nor Windows-1258 text") from exc
    if not text.strip():
        raise EmptyInput(f"{name}: file holds only whitespace")
    problem = text_problem(text)
    if problem:
        raise NotText(f"{name}: {problem}")
    return text


def classify(path: Path) -> SourceKind:
    """What a file is, from its first bytes (the suffix only breaks ties)."""
    with path.open("rb") as fh:
        head = fh.read(1024)
    if head.startswith(b"%PDF-") or path.suffix.lower() == ".pdf":
        return SourceKind.PDF_SCAN  # refined to PDF_TEXT once its text layer is read
    if head.startswith(IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return SourceKind.IMAGE
    if path.suffix.lower() in IMAGE_SUFFIXES:
        raise InputError(f"{path.name}: not a readable image (unknown format)")
    return SourceKind.TEXT


def _page_has_text(text: str) -> bool:
    return sum(c.isalnum() for c in text) >= PAGE_TEXT_MIN_CHARS and text_problem(text) is None


def _read_pdf(doc: Document, path: Path, settings: Settings) -> None:
    """Validate a PDF; read its text layer if usable, else leave page placeholders for OCR."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(path, strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many types on broken files
        raise InputError(f"{path.name}: corrupt PDF ({type(exc).__name__}: {exc})") from exc
    if encrypted:
        try:
            opened = bool(reader.decrypt(""))
        except Exception:  # unsupported cipher or broken encryption dictionary
            opened = False
        if not opened:
            raise EncryptedPdf(f"{path.name}: PDF is encrypted and needs a password")
    try:
        boxes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    except Exception as exc:
        raise InputError(f"{path.name}: corrupt PDF ({type(exc).__name__}: {exc})") from exc
    if not boxes:
        raise InputError(f"{path.name}: PDF has no pages")
    try:
        texts = T.pdf_text_pages(path)
    except OcrError:
        texts = [p.extract_text() or "" for p in reader.pages]
    texts = (texts + [""] * len(boxes))[: len(boxes)]
    with_text = sum(_page_has_text(t) for t in texts)
    if with_text >= TEXT_LAYER_MIN_PAGES * len(boxes):
        doc.kind = SourceKind.PDF_TEXT
        pos = 0
        for i, t in enumerate(texts, start=1):
            doc.pages.append(Page(number=i, start=pos, end=pos + len(t)))
            pos += len(t) + len(T.PAGE_SEP)
        doc.source_text = T.PAGE_SEP.join(texts)
        doc.warnings += [
            f"page {i}: no text layer" for i, t in enumerate(texts, 1) if not _page_has_text(t)
        ]
        return
    doc.kind = SourceKind.PDF_SCAN
    for i, (w_pt, h_pt) in enumerate(boxes, start=1):
        w, h = round(w_pt * settings.dpi / 72), round(h_pt * settings.dpi / 72)
        if w * h > settings.max_pixels:
            raise InputTooLarge(
                f"{path.name}: page {i} at {settings.dpi} dpi would be {w}x{h} pixels, "
                f"over the limit of {settings.max_pixels:,}"
            )
        doc.pages.append(Page(number=i, width=w, height=h, dpi=settings.dpi))


def _read_image(doc: Document, path: Path, settings: Settings) -> None:
    """Check every frame's header size; one page placeholder per frame."""
    with imaging.open_image(path, settings.max_pixels) as im:
        frames = getattr(im, "n_frames", 1)
        for i in range(frames):
            if i:
                im.seek(i)
            imaging.check_pixels(im.size, settings.max_pixels, f"{path.name} frame {i + 1}")
            doc.pages.append(Page(number=i + 1, width=im.size[0], height=im.size[1]))
    doc.kind = SourceKind.IMAGE


@stage("ingest", assigns=("kind", "source_text", "pages"))
def ingest(doc: Document, settings: Settings) -> Document:
    """Classify and validate the input; read text files and PDF text layers."""
    path = Path(doc.source_path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read ({exc.strerror})") from exc
    if size == 0:
        raise EmptyInput(f"{path.name}: empty file")
    if size > settings.max_file_bytes:
        raise InputTooLarge(
            f"{path.name}: {size:,} bytes exceeds the limit of {settings.max_file_bytes:,}"
        )
    doc.pages = []
    kind = classify(path)
    if kind == SourceKind.PDF_SCAN:
        _read_pdf(doc, path, settings)
    elif kind == SourceKind.IMAGE:
        _read_image(doc, path, settings)
    else:
        doc.kind = SourceKind.TEXT
        doc.source_text = decode_text(path.read_bytes(), path.name)
        doc.pages = [Page(number=1, start=0, end=len(doc.source_text))]
    return doc
