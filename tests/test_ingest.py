"""Ingest: classification, text decoding, PDF text layers, and refusal of bad input."""

from __future__ import annotations

import codecs
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pipeline.errors import (
    EmptyInput,
    EncryptedPdf,
    InputError,
    InputTooLarge,
    NotText,
    VanbanError,
)
from pipeline.ingest import decode_text, ingest
from pipeline.models import Document, SourceKind
from pipeline.settings import Settings
from pipeline.tesseract import PAGE_SEP

VI = "Căn cứ Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị về đột phá phát triển."
SETTINGS = Settings(workers=1)
CP1258 = (
    "V\u0103n ba\u0309n s\u00f4\u0301 12 cu\u0309a \u0110oa\u0300n"  # Windows-1258 composes marks
)


def run(path: Path, settings: Settings = SETTINGS) -> Document:
    return ingest(Document("d", str(path), ""), settings)


def text_pdf(pages: list[str]) -> bytes:
    """A minimal PDF with a Helvetica text layer, one page per string (ASCII text)."""
    objs: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        ops = ["BT /F1 11 Tf 50 780 Td 14 TL"]
        ops += [f"({line}) Tj T*" for line in text.split("\n")]
        stream = (" ".join(ops) + " ET").encode("latin-1")
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height; its pixel data is not there."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


PDF_PAGES = [
    "Ke hoach so 12/KH-UBND ngay 5 thang 3 nam 2025\nTrien khai cong tac van thu luu tru",
    "To chuc thuc hien: Van phong chu tri, phoi hop cac don vi lien quan\nHan chot 30/6/2025",
]


# --------------------------------------------------------------------------- text decoding


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (VI.encode("utf-8"), VI),
        (codecs.BOM_UTF8 + VI.encode("utf-8"), VI),
        (codecs.BOM_UTF16_LE + VI.encode("utf-16-le"), VI),
        (codecs.BOM_UTF16_BE + VI.encode("utf-16-be"), VI),
        (
            "Nghi quyét s6 57-NQ/TW cia B9 Chinh tri".encode(),
            "Nghi quyét s6 57-NQ/TW cia B9 Chinh tri",
        ),
        (CP1258.encode("cp1258"), CP1258),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "old-ocr-ascii", "cp1258"],
)
def test_text_is_decoded(data: bytes, expected: str) -> None:
    assert decode_text(data) == expected


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (bytes(range(256)) * 8, NotText),  # binary with NUL bytes
        (bytes((i * 37 + 11) % 256 for i in range(4000)).replace(b"\x00", b"\x01"), NotText),
        (("这是一份中文文件，不是越南语文本。" * 10).encode(), NotText),
        (("Это русский текст, а не вьетнамский." * 10).encode(), NotText),
        (b"   \n\t\n  ", EmptyInput),
        (b"12345 67890 ... 1.2.3 // 45,6", NotText),
    ],
    ids=["nul-bytes", "binary-no-nul", "chinese", "cyrillic", "whitespace", "digits-only"],
)
def test_non_text_is_refused(data: bytes, error: type[VanbanError]) -> None:
    with pytest.raises(error):
        decode_text(data)


def test_text_file_is_one_page(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(VI + "\n", "utf-8")
    doc = run(path)
    assert doc.kind == SourceKind.TEXT
    assert doc.source_text == VI + "\n"
    assert [(p.number, p.start, p.end) for p in doc.pages] == [(1, 0, len(VI) + 1)]


def _png_bytes() -> bytes:
    import io

    buf = io.BytesIO()
    Image.new("L", (40, 30), 255).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("note.txt", ("Tệp gốc là %PDF-1.4 nhưng đây là văn bản. " + VI).encode(), SourceKind.TEXT),
        ("scan.txt", _png_bytes(), SourceKind.IMAGE),  # content wins over the suffix
        ("scan", _png_bytes(), SourceKind.IMAGE),
        ("plan.pdf", text_pdf(PDF_PAGES), SourceKind.PDF_TEXT),
        ("plan.bin", text_pdf(PDF_PAGES), SourceKind.PDF_TEXT),
    ],
)
def test_kind_comes_from_content(tmp_path: Path, name: str, data: bytes, kind: SourceKind) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert run(path).kind == kind


# --------------------------------------------------------------------------- PDF


def test_pdf_text_layer_is_read_directly(tmp_path: Path) -> None:
    path = tmp_path / "plan.pdf"
    path.write_bytes(text_pdf(PDF_PAGES))
    doc = run(path)
    assert doc.kind == SourceKind.PDF_TEXT
    assert len(doc.pages) == 2
    for page, expected in zip(doc.pages, PDF_PAGES, strict=True):
        got = doc.source_text[page.start : page.end]
        assert " ".join(got.split()) == " ".join(expected.split())
    assert PAGE_SEP in doc.source_text


def test_pdf_without_text_layer_becomes_scan_placeholders(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    pages = [Image.new("L", (600, 848), 255) for _ in range(3)]
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=72)
    doc = run(path)
    assert doc.kind == SourceKind.PDF_SCAN
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert doc.source_text == "" and all(p.words == [] for p in doc.pages)
    assert doc.pages[0].width == round(600 * 300 / 72)


def _encrypted(path: Path, user: str) -> None:
    from pypdf import PdfReader, PdfWriter

    src = tmp = path.with_suffix(".plain.pdf")
    src.write_bytes(text_pdf(PDF_PAGES))
    writer = PdfWriter(clone_from=PdfReader(tmp))
    writer.encrypt(user_password=user, owner_password="owner-secret")
    with path.open("wb") as fh:
        writer.write(fh)


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    _encrypted(path, user="secret")
    with pytest.raises(EncryptedPdf, match="encrypted"):
        run(path)


def test_pdf_with_owner_password_only_is_read(tmp_path: Path) -> None:
    path = tmp_path / "owner.pdf"
    _encrypted(path, user="")
    assert run(path).kind == SourceKind.PDF_TEXT


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj <</Type /Catalog>> garbage\n",
        b"%PDF-1.4\n" + b"\x00\xff" * 100,
        text_pdf(PDF_PAGES)[:200],
    ],
    ids=["garbage", "binary-body", "truncated"],
)
def test_corrupt_pdf_is_an_input_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        run(path)
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- images and limits


def test_multipage_tiff_gives_one_placeholder_per_frame(tmp_path: Path) -> None:
    path = tmp_path / "scan.tif"
    frames = [Image.new("L", (400, 566), 255), Image.new("L", (566, 400), 255)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    doc = run(path)
    assert doc.kind == SourceKind.IMAGE
    assert [(p.number, p.width, p.height) for p in doc.pages] == [(1, 400, 566), (2, 566, 400)]


@pytest.mark.parametrize(
    ("width", "height", "limit"),
    [(60_000, 60_000, 120_000_000), (1_100, 1_000, 1_000_000), (1_500, 1_000, 1_000_000)],
    ids=["far-over", "just-over", "half-over"],
)
def test_oversized_image_is_refused_from_its_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int, height: int, limit: int
) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(png_header(width, height))

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    with pytest.raises(InputTooLarge, match="exceeds the limit"):
        run(path, Settings(workers=1, max_pixels=limit))


@pytest.mark.parametrize(
    ("name", "data", "settings", "error"),
    [
        ("empty.txt", b"", SETTINGS, EmptyInput),
        ("empty.pdf", b"", SETTINGS, EmptyInput),
        ("big.txt", VI.encode() * 10, Settings(workers=1, max_file_bytes=100), InputTooLarge),
        ("fake.png", VI.encode(), SETTINGS, InputError),
        ("binary.txt", bytes(range(256)) * 16, SETTINGS, NotText),
    ],
)
def test_bad_files_raise_coded_one_line_errors(
    tmp_path: Path, name: str, data: bytes, settings: Settings, error: type[VanbanError]
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(error) as err:
        run(path, settings)
    message = str(err.value)
    assert message.startswith(f"[{error.code}]") and "\n" not in message
    assert name in message


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        run(tmp_path / "nowhere.txt")


vietnamese = st.text(
    alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậềểễếệ ỗộ.,;\n")),
    min_size=5,
).filter(lambda t: sum(c.isalpha() for c in t) >= 3)


@settings(max_examples=80, deadline=None)
@given(vietnamese, st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_vietnamese_text_round_trips_in_every_supported_encoding(text: str, codec: str) -> None:
    """Whatever the encoding, the decoded text is exactly the text that was written."""
    assert decode_text(text.encode(codec)) == text
