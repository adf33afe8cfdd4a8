"""Bad input of every kind gets a one-line coded error and a status row; the batch completes."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from pipeline.runner import run_batch
from pipeline.settings import Settings

GOOD = """SỞ Y TẾ TỈNH NGHỆ AN
Số: 12/KH-SYT
Nghệ An, ngày 5 tháng 3 năm 2025
KẾ HOẠCH
Triển khai Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị
Căn cứ Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị về đột phá phát triển
khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia;
"""


def _png_with_size(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (the pixel data is not there)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _encrypted_pdf(path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner")
    with path.open("wb") as fh:
        writer.write(fh)


def make_inputs(folder: Path) -> dict[str, str]:
    """Write one input of each bad kind; returns file name -> expected status."""
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, "utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(os.urandom(4096))
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <</Type /Catalog>> garbage\n")
    _encrypted_pdf(folder / "encrypted.pdf")
    (folder / "huge.png").write_bytes(_png_with_size(60_000, 60_000))
    Image.new("L", (1240, 1754), 255).save(folder / "blank.png")
    noise = Image.effect_noise((800, 600), 60).convert("RGB")
    noise.save(folder / "photo.jpg", quality=80)
    return {
        "good.txt": "ok",
        "empty.txt": "failed",
        "binary.txt": "failed",
        "corrupt.pdf": "failed",
        "encrypted.pdf": "failed",
        "huge.png": "failed",
        "blank.png": "failed",
        "photo.jpg": "failed",
    }


@pytest.mark.slow
def test_bad_inputs_fail_alone_with_one_line_errors(tmp_path: Path) -> None:
    expected = make_inputs(tmp_path / "in")
    out = tmp_path / "out"
    result = run_batch([tmp_path / "in"], out, Settings(workers=2))
    got = {Path(d.source_path).name: d for d in result.documents}
    assert {name: d.status for name, d in got.items()} == expected
    for name, status in expected.items():
        if status == "failed":
            error = got[name].error or ""
            assert "[E" in error and "\n" not in error and len(error) < 300, (name, error)
    docs = pd.read_parquet(out / "documents.parquet")
    assert len(docs) == len(expected)
    assert docs.loc[docs.file_name == "good.txt", "symbol"].item() == "12/KH-SYT"
