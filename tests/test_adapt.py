"""`lm adapt` learns only from clean text: OCR copies beside the documents are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import lm

CLEAN = (
    "Ủy ban nhân dân tỉnh giao Sở Y tế chủ trì, phối hợp với các sở, ngành liên quan "
    "triển khai thực hiện kế hoạch truyền thông về chuyển đổi số trong lĩnh vực y tế; "
    "định kỳ hằng quý báo cáo kết quả thực hiện về Ủy ban nhân dân tỉnh để tổng hợp."
)


@pytest.mark.parametrize(
    ("names", "used", "seen"),
    [
        (["a.txt"], 1, 1),
        (["a.txt", "a.ocr-vie.txt", "a.ocr-eng.txt"], 1, 1),  # copies of a.txt: not counted
        (["a.md"], 0, 0),
    ],
)
def test_adapt_skips_ocr_copies(tmp_path: Path, names: list[str], used: int, seen: int) -> None:
    base = tmp_path / "base.pkl"
    lm.save(lm.estimate(lm.count_trigrams([CLEAN])), base)
    files = []
    for name in names:
        path = tmp_path / name
        path.write_text(CLEAN, encoding="utf-8")  # an OCR copy by Tesseract vie keeps marks
        files.append(path)
    assert lm.adapt_on_files(files, tmp_path / "out.pkl", base) == (used, seen)
    assert (tmp_path / "out.pkl").exists()
