"""Make OCR-damaged copies of the corpus documents, as the archive's old scans would read.

Why: the held-out set (benchmarks/corpus/eval) and the adaptation set
(benchmarks/corpus/adapt) are written as clean text. The archive, however, holds text
read by Tesseract, most of it without Vietnamese data. For each clean `<stem>.txt` this
script renders the text as A4 pages (pipeline.synth.render_pages, 300 dpi), damages the
pages (pipeline.synth.degrade) and reads them back with the real Tesseract:

* `<stem>.ocr-eng.txt` — level "mild" damage, `tesseract -l eng`: marks lost or
  garbled, as in the archive's old OCR made without Vietnamese data (seeds 000, 002);
* `<stem>.ocr-vie.txt` — level "hard" damage (skew, blur, noise, JPEG 45, red stamp,
  border), plain `tesseract -l vie`: old OCR made without any preprocessing;
* `<stem>.ocr-scan.txt` — the very same damaged pages (same seeds) read by vanban's own OCR
  stage (`pipeline.ocr.run_page`: preprocessing, Tesseract `vie`, second passes), as an
  archivist's scans go through `vanban run`.

Pages are separated by a blank line. Seeds are derived from the file name (CRC-32), so a
re-run gives the same output on the same Tesseract version. Work runs in a process pool,
one Tesseract thread per process (OMP_THREAD_LIMIT=1).

Run: .venv/bin/python benchmarks/make_ocr_copies.py [--force] [--workers 2] [DIR ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

ROOT = Path(__file__).resolve().parent
DEFAULT_DIRS = (ROOT / "corpus" / "eval", ROOT / "corpus" / "adapt")
DPI = 300


@dataclass(frozen=True)
class Variant:
    """One OCR copy: the Tesseract language and the damage level applied first."""

    suffix: str  # output is <stem>.<suffix>.txt
    lang: str
    level: str
    salt: int  # keeps the seeds of the variants apart (equal salts: the same pages)
    staged: bool = False  # read by vanban's OCR stage instead of plain Tesseract


VARIANTS = (
    Variant("ocr-eng", "eng", "mild", 1),
    Variant("ocr-vie", "vie", "hard", 2),
    Variant("ocr-scan", "vie", "hard", 2, staged=True),
)


def is_source(path: Path) -> bool:
    """A clean corpus text: `.txt`, not itself an OCR copy or a truth file."""
    name = path.name
    return name.endswith(".txt") and ".ocr-" not in name and not name.endswith(".gt.txt")


def base_seed(path: Path) -> int:
    """A stable seed from the file name (not Python's salted hash)."""
    return zlib.crc32(path.stem.encode("utf-8")) % 1_000_000


def output_path(src: Path, variant: Variant) -> Path:
    return src.with_name(f"{src.stem}.{variant.suffix}.txt")


def ocr_copy(src: Path, variant: Variant) -> tuple[Path, int, float]:
    """Render, degrade and OCR one document; write the copy. Returns (path, pages, seconds)."""
    import pytesseract

    from pipeline.synth import degrade, render_pages

    start = time.perf_counter()
    text = src.read_text(encoding="utf-8")
    seed = base_seed(src)
    pages = render_pages(text, dpi=DPI, seed=seed)
    out: list[str] = []
    for number, (page, _truth) in enumerate(pages, start=1):
        img = degrade(page, seed=seed * 1000 + variant.salt * 100 + number, level=variant.level)
        if variant.staged:
            read = staged_read(img, variant.lang)
        else:
            read = pytesseract.image_to_string(img, lang=variant.lang, config=f"--dpi {DPI}")
        out.append(read.replace("\x0c", "").strip("\n"))
    dst = output_path(src, variant)
    dst.write_text("\n\n".join(out) + "\n", encoding="utf-8")
    return dst, len(pages), time.perf_counter() - start


def staged_read(img: object, lang: str) -> str:
    """One damaged page read by vanban's OCR stage, as `vanban run` reads a scanned page."""
    import tempfile

    from pipeline.models import SourceKind
    from pipeline.ocr import PageJob, run_page
    from pipeline.settings import Settings

    s = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "page.png"
        img.save(png, dpi=(DPI, DPI))  # type: ignore[attr-defined]
        job = PageJob(
            str(png), SourceKind.IMAGE, 1, s.dpi, lang, s.ocr_psm, s.ocr_min_confidence,
            s.ocr_low_word_confidence, s.ocr_preprocess, s.max_pixels,
        )  # fmt: skip
        _page, text = run_page(job)
    return text


def collect(dirs: list[Path], force: bool) -> list[tuple[Path, Variant]]:
    """Every (source, variant) pair whose copy is missing or older than its source.

    With --force, every pair.
    """
    jobs: list[tuple[Path, Variant]] = []
    for folder in dirs:
        if not folder.is_dir():
            print(f"skip {folder}: not a directory", file=sys.stderr)
            continue
        for src in sorted(p for p in folder.iterdir() if is_source(p)):
            for variant in VARIANTS:
                dst = output_path(src, variant)
                stale = not dst.exists() or dst.stat().st_mtime < src.stat().st_mtime
                if force or stale:
                    jobs.append((src, variant))
    return jobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path, help="folders of clean .txt documents")
    parser.add_argument("--force", action="store_true", help="rewrite existing copies")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    dirs = args.dirs or list(DEFAULT_DIRS)
    jobs = collect(dirs, args.force)
    if not jobs:
        print("nothing to do")
        return 0
    failed = 0
    with ProcessPoolExecutor(max_workers=max(1, args.workers)) as pool:
        futures = {pool.submit(ocr_copy, src, variant): (src, variant) for src, variant in jobs}
        for future in as_completed(futures):
            src, variant = futures[future]
            try:
                dst, pages, seconds = future.result()
            except Exception as exc:  # one bad document must not lose the batch
                failed += 1
                print(f"FAILED {src.name} [{variant.suffix}]: {exc}", file=sys.stderr)
                continue
            print(f"{dst.relative_to(dst.parents[2])}  {pages} page(s)  {seconds:.1f}s")
    print(f"{len(jobs) - failed} copies written, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
