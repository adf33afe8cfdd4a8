"""The one place that runs external tools: Tesseract (OCR, OSD) and poppler (pdftoppm, pdftotext).

Why: wrapping the tools once keeps their flags, timeouts, thread limits and error
messages consistent, and gives tests a single seam to replace with recorded output.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pipeline.errors import InputError, OcrError

PAGE_SEP = "\n\f\n"  # between pages in Document.source_text (PDF text layer and OCR alike)
TIMEOUT_S = 180  # one page; a hung tool must not hang the batch
# Tesseract's inverted-text check doubles the work on normal pages and never helps printed
# documents; OMP_THREAD_LIMIT=1 because pages, not threads, are run in parallel.
TESS_CONFIG = ("-c", "tessedit_do_invert=0")


@dataclass(frozen=True)
class TsvWord:
    """One word row of Tesseract's TSV output."""

    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float
    block: int
    par: int
    line: int
    word: int


def tool_env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _run(args: list[str], data: bytes | None = None, timeout: int = TIMEOUT_S) -> bytes:
    """Run a tool; raise OcrError with its first stderr line on failure."""
    if shutil.which(args[0]) is None:
        raise OcrError(f"{args[0]} is not installed (apt-get install tesseract-ocr poppler-utils)")
    try:
        proc = subprocess.run(
            args, input=data, capture_output=True, timeout=timeout, env=tool_env(), check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"{args[0]} timed out after {timeout}s") from exc
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        msg = lines[-1] if lines else f"exit code {proc.returncode}"
        raise OcrError(f"{args[0]} failed: {msg}")
    return proc.stdout


def encode_image(img: np.ndarray) -> bytes:
    """Uncompressed PGM/PPM bytes of a greyscale or BGR array: piped, not kept, so speed wins."""
    ok, buf = cv2.imencode(".pgm" if img.ndim == 2 else ".ppm", img)
    if not ok:
        raise OcrError("could not encode page image for Tesseract")
    return bytes(buf)


def parse_tsv(tsv: str) -> list[TsvWord]:
    """Word rows (level 5, non-empty text) of Tesseract TSV output."""
    words: list[TsvWord] = []
    reader = csv.reader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        if len(row) < 12 or row[0] != "5":
            continue
        text = row[11].strip()
        if not text:
            continue
        words.append(
            TsvWord(
                text=text,
                left=int(row[6]),
                top=int(row[7]),
                width=int(row[8]),
                height=int(row[9]),
                conf=max(0.0, float(row[10])),
                block=int(row[2]),
                par=int(row[3]),
                line=int(row[4]),
                word=int(row[5]),
            )
        )
    return words


def ocr_tsv(img: np.ndarray, *, lang: str, psm: int, dpi: int = 300) -> str:
    """Tesseract's TSV for one page image (greyscale or BGR array)."""
    args = ["tesseract", "stdin", "stdout", "-l", lang, "--psm", str(psm), "--dpi", str(dpi)]
    out = _run([*args, *TESS_CONFIG, "tsv"], encode_image(img))
    return out.decode("utf-8", "replace")


def osd_rotation(img: np.ndarray, *, dpi: int = 300) -> tuple[int, float]:
    """Tesseract OSD: (clockwise rotation in degrees the page needs, confidence)."""
    try:
        out = _run(
            ["tesseract", "stdin", "stdout", "--psm", "0", "--dpi", str(dpi)], encode_image(img)
        )
    except OcrError:
        return 0, 0.0  # too few characters for OSD: treat as upright
    text = out.decode("utf-8", "replace")
    rot = re.search(r"Rotate:\s*(\d+)", text)
    conf = re.search(r"Orientation confidence:\s*([\d.]+)", text)
    return (int(rot.group(1)) if rot else 0), (float(conf.group(1)) if conf else 0.0)


def pdf_page_image(path: Path, page: int, dpi: int) -> np.ndarray:
    """Rasterise one PDF page (1-based) to a greyscale array (pdf2image over pdftoppm).

    One page per call keeps memory flat however long the PDF is.
    """
    from pdf2image import convert_from_path
    from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError

    try:
        images = convert_from_path(
            str(path),
            dpi=dpi,
            first_page=page,
            last_page=page,
            grayscale=True,
            timeout=TIMEOUT_S,
        )
    except (PDFPageCountError, PDFSyntaxError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"page {page} of {path.name} could not be rasterised: {exc}") from exc
    if not images:
        raise InputError(f"page {page} of {path.name} could not be rasterised")
    return np.asarray(images[0].convert("L"))


def pdf_text_pages(path: Path) -> list[str]:
    """The text layer of a PDF, one string per page (pdftotext, reading order)."""
    data = _run(["pdftotext", "-enc", "UTF-8", str(path), "-"], timeout=300)
    text = data.decode("utf-8", "replace")
    pages = text.split("\f")
    return pages[:-1] if text.endswith("\f") else pages
