"""Stage ocr: staged Tesseract recognition of scanned PDFs and images, page by page.

Why staged: one whole-page pass reads most pages well; a few lose blocks or read
poorly. Each page is checked (mean word confidence, share of low-confidence words,
ink covered by the words found, lines found versus text rows seen in the image) and
only a page that fails a check gets more work: orientation detection, another
segmentation mode, or re-reading the uncovered regions block by block.

Text layout: words of a line are joined by one space, lines by "\\n", Tesseract
blocks by "\\n\\n", and pages by PAGE_SEP ("\\n\\f\\n"). Word offsets point into
`Document.source_text`; word boxes are in the pixels of the scan as rasterised
(after any DPI rescale, before deskew and crop); on a page that OSD turned by 90/180/270
degrees they stay in the turned page's pixels.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline import imaging
from pipeline import tesseract as T
from pipeline.errors import InputError, InputTooLarge, NoTextFound, OcrError
from pipeline.models import Document, OcrWord, Page, SourceKind, Status
from pipeline.registry import stage
from pipeline.settings import Settings

PAGE_SEP = T.PAGE_SEP
TARGET_DPI = 300
BLANK_INK_SHARE = 0.0015  # pages with less dark ink than this are blank
ALT_PSM = 6  # second-pass segmentation: one uniform block of text
OSD_BELOW_CONF = 50.0  # try orientation detection only when pass 1 reads this badly
# Page checks: a page failing any of them gets a second pass.
MAX_LOW_SHARE = 0.25  # share of words below the low-word confidence
MIN_INK_COVERED = 0.9  # share of the page's ink inside some word box
MIN_ROWS_FOUND = 0.8  # lines found / text rows seen in the image
TEXT_WORD_CONF = 50.0  # a page "has text" with at least MIN_TEXT_WORDS words this sure
MIN_TEXT_WORDS = 3
GAP_MIN_CONF = 55.0  # words read in an uncovered region are kept above this mean confidence


@dataclass(frozen=True)
class PageJob:
    """A picklable unit of work: which page of which file, and how to read it."""

    path: str
    kind: SourceKind
    number: int  # 1-based page (or TIFF frame) number
    dpi: int
    lang: str
    psm: int
    min_conf: float
    low_word_conf: float
    preprocess: bool
    max_pixels: int
    skip: tuple[str, ...] = ()  # preprocessing steps switched off (for ablation benchmarks)


def load_page(job: PageJob) -> tuple[np.ndarray, float]:
    """Rasterise or decode one page; returns (greyscale or RGB array, scale to ~300 dpi)."""
    if job.kind == SourceKind.PDF_SCAN:
        return T.pdf_page_image(Path(job.path), job.number, job.dpi), 1.0
    with imaging.open_image(Path(job.path), job.max_pixels) as im:
        im.seek(job.number - 1)
        imaging.check_pixels(im.size, job.max_pixels, Path(job.path).name)
        dpi_info = im.info.get("dpi")
        if im.mode in ("L", "RGB"):
            frame = im
        else:  # bilevel and 16-bit scans become greyscale; palette/alpha/CMYK become RGB
            frame = im.convert("L" if im.mode in ("1", "I", "I;16", "F", "LA") else "RGB")
        arr = np.asarray(frame)
    h, w = arr.shape[:2]
    # never upscale past the pixel limit the input was checked against
    scale = min(image_scale(dpi_info, w, h), (job.max_pixels / (w * h)) ** 0.5)
    if abs(scale - 1.0) > 1e-3:
        import cv2

        arr = cv2.resize(arr, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return arr, scale


def image_scale(dpi_info: object, width: int, height: int) -> float:
    """Factor that brings an image to ~300 dpi; 1.0 when it is near already or unknown.

    Uses the file's DPI when it states one; otherwise, for a page with A4 proportions,
    the DPI implied by the A4 size.
    """
    dpi = 0.0
    if isinstance(dpi_info, tuple) and dpi_info and float(dpi_info[0]) > 1:
        dpi = float(dpi_info[0])
    else:
        long_side, short_side = max(width, height), min(width, height)
        if short_side and abs(long_side / short_side - 297 / 210) < 0.06:
            dpi = long_side / (297 / 25.4)
    if dpi <= 0 or abs(dpi - TARGET_DPI) / TARGET_DPI < 0.15:
        return 1.0
    return min(4.0, TARGET_DPI / dpi)


@dataclass
class PassResult:
    """One recognition pass over a page: its lines of words in reading order."""

    name: str
    lines: list[list[T.TsvWord]]
    rotation: int = 0

    @property
    def words(self) -> list[T.TsvWord]:
        return [w for line in self.lines for w in line]

    @property
    def mean_conf(self) -> float:
        words = self.words
        return sum(w.conf for w in words) / len(words) if words else 0.0

    def low_share(self, low: float) -> float:
        words = self.words
        return sum(w.conf < low for w in words) / len(words) if words else 1.0

    def has_text(self) -> bool:
        sure = [
            w
            for w in self.words
            if w.conf >= TEXT_WORD_CONF and sum(c.isalnum() for c in w.text) >= 2
        ]
        return len(sure) >= MIN_TEXT_WORDS

    def boxes(self) -> list[tuple[int, int, int, int]]:
        return [(w.left, w.top, w.left + w.width, w.top + w.height) for w in self.words]

    def layout(self, page: Page, prep: imaging.Prepared, low: float) -> str:
        """Page text; fills `page.words` with page-relative offsets and scan-pixel boxes."""
        parts: list[str] = []
        pos = 0
        prev_block = None
        for n, line in enumerate(self.lines, start=1):
            if parts:
                sep = "\n\n" if line[0].block != prev_block else "\n"
                parts.append(sep)
                pos += len(sep)
            prev_block = line[0].block
            for i, w in enumerate(line):
                if i:
                    parts.append(" ")
                    pos += 1
                box = (w.left, w.top, w.left + w.width, w.top + w.height)
                if not self.rotation:
                    box = imaging.to_scan_box(box, prep.matrix)
                page.words.append(
                    OcrWord(
                        text=w.text,
                        page=page.number,
                        bbox=box,
                        confidence=w.conf,
                        block=w.block,
                        line=n,
                        start=pos,
                        end=pos + len(w.text),
                        low_confidence=w.conf < low,
                    )
                )
                parts.append(w.text)
                pos += len(w.text)
        return "".join(parts)


def build_result(words: list[T.TsvWord], name: str) -> PassResult:
    """Group Tesseract's words into lines, keeping its reading order."""
    lines: list[list[T.TsvWord]] = []
    key = None
    for w in words:
        k = (w.block, w.par, w.line)
        if k != key:
            lines.append([])
            key = k
        lines[-1].append(w)
    return PassResult(name, lines)


def score(result: PassResult) -> float:
    """Expected correctly read characters: the rule that picks between two passes."""
    return sum(len(w.text) * w.conf / 100.0 for w in result.words)


def check_page(result: PassResult, img: np.ndarray, job: PageJob) -> list[str]:
    """Names of the page checks that fail (empty list: keep the first pass)."""
    if not result.words:
        return ["no-words"]
    failed = []
    if result.mean_conf < job.min_conf:
        failed.append("low-confidence")
    if result.low_share(job.low_word_conf) > MAX_LOW_SHARE:
        failed.append("low-words")
    if imaging.ink_covered(img, result.boxes()) < MIN_INK_COVERED:
        failed.append("uncovered-ink")
    rows = imaging.text_rows(img)
    if rows and len(result.lines) < MIN_ROWS_FOUND * rows:
        failed.append("missing-rows")
    return failed


def fill_gaps(result: PassResult, img: np.ndarray, job: PageJob) -> int:
    """Re-read inked regions no word covers, one block at a time; returns words added."""
    added = 0
    for x0, y0, x1, y1 in imaging.uncovered_regions(img, result.boxes()):
        crop = imaging.pad_white(img[y0:y1, x0:x1])
        words = T.parse_tsv(T.ocr_tsv(crop, lang=job.lang, psm=ALT_PSM, dpi=_tess_dpi(job)))
        pad = imaging.PAD
        words = [
            T.TsvWord(
                w.text,
                w.left + x0 - pad,
                w.top + y0 - pad,
                w.width,
                w.height,
                w.conf,
                1000 + added + w.block,
                w.par,
                w.line,
                w.word,
            )
            for w in words
        ]
        found = build_result(words, "gap")
        if not found.words or found.mean_conf < GAP_MIN_CONF:
            continue
        for line in found.lines:
            top = line[0].top
            at = next(
                (i for i, old in enumerate(result.lines) if old[0].top > top), len(result.lines)
            )
            result.lines.insert(at, line)
        added += len(found.words)
    return added


def _pass(img: np.ndarray, job: PageJob, psm: int, name: str) -> PassResult:
    words = T.parse_tsv(T.ocr_tsv(img, lang=job.lang, psm=psm, dpi=_tess_dpi(job)))
    return build_result(words, name)


def _tess_dpi(job: PageJob) -> int:
    """The resolution the page image has: the rasterising DPI for PDFs, ~300 for images."""
    return job.dpi if job.kind == SourceKind.PDF_SCAN else TARGET_DPI


def recognise(
    prep: imaging.Prepared, job: PageJob
) -> tuple[PassResult, imaging.Prepared, list[str]]:
    """Read one preprocessed page in stages; returns the kept result and what ran."""
    stages = list(prep.steps)
    best = _pass(prep.image, job, job.psm, f"psm{job.psm}")
    stages.append(best.name)
    failed = check_page(best, prep.image, job)
    if not failed:
        return best, prep, stages
    stages.append("check:" + ",".join(failed))
    if "no-words" in failed or best.mean_conf < OSD_BELOW_CONF:
        rotation, conf = T.osd_rotation(prep.image)
        stages.append(f"osd:{rotation}")
        if rotation and conf >= 2.0:
            turned_img = imaging.rotate_quarter(prep.image, rotation)
            turned = _pass(turned_img, job, job.psm, f"psm{job.psm}-rotated")
            stages.append(turned.name)
            if score(turned) > score(best):
                prep.image = turned_img
                best = turned
                best.rotation = rotation
                failed = check_page(best, prep.image, job)
                if failed:
                    stages.append("check:" + ",".join(failed))
    if {"low-confidence", "low-words"} & set(failed) and best.words:
        alt = _pass(prep.image, job, ALT_PSM, f"psm{ALT_PSM}")
        stages.append(alt.name)
        if score(alt) > score(best) * 1.02:
            best = alt
    if {"uncovered-ink", "missing-rows"} & set(failed):
        added = fill_gaps(best, prep.image, job)
        stages.append(f"gap-fill:{added}")
    stages.append(f"kept:{best.name}")
    return best, prep, stages


def run_page(job: PageJob) -> tuple[Page, str]:
    """OCR one page; never raises: a bad page comes back with a status and error."""
    page = Page(number=job.number, dpi=_tess_dpi(job))
    try:
        img, _scale = load_page(job)
        page.height, page.width = img.shape[:2]
        gray, step = imaging.to_gray(img, red_drop="red-drop" not in job.skip)
        if imaging.ink_share(gray) < BLANK_INK_SHARE:
            page.status, page.error, page.stages = Status.SKIPPED, "blank page", ["blank"]
            return page, ""
        del img
        prep = imaging.preprocess(gray, enabled=job.preprocess, skip=job.skip)
        prep.steps[:0] = [step] if step else []
        result, prep, stages = recognise(prep, job)
        page.stages = stages
        if not result.has_text():
            page.status, page.error = Status.SKIPPED, "no text found on page"
            return page, ""
        text = result.layout(page, prep, job.low_word_conf)
        page.confidence = round(result.mean_conf, 2)
        return page, text
    except InputTooLarge:
        raise
    except Exception as exc:  # a bad page must not lose the other pages
        page.status, page.error = Status.FAILED, f"{type(exc).__name__}: {exc}".splitlines()[0]
        return page, ""


def _init_worker() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _solo(job: PageJob) -> tuple[Page, str]:
    """Run one page in its own process, so a hard crash costs only that page."""
    try:
        with ProcessPoolExecutor(1, initializer=_init_worker) as pool:
            return pool.submit(run_page, job).result()
    except BrokenProcessPool:
        page = Page(number=job.number, status=Status.FAILED, error="OCR worker crashed")
        return page, ""


def run_pages(jobs: list[PageJob], workers: int) -> Iterator[tuple[Page, str]]:
    """Pages in order; in a process pool when workers > 1 (each worker rasterises its page)."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield run_page(job)
        return
    done = 0
    try:
        with ProcessPoolExecutor(min(workers, len(jobs)), initializer=_init_worker) as pool:
            futures = [pool.submit(run_page, job) for job in jobs]
            for fut in futures:
                result = fut.result()
                done += 1
                yield result
    except BrokenProcessPool:
        # A worker died (a crash in a native library, or out of memory): the pages not yet
        # delivered are re-run one per process, so only the page that kills its worker fails.
        for job in jobs[done:]:
            yield _solo(job)


def _jobs(doc: Document, settings: Settings) -> list[PageJob]:
    return [
        PageJob(
            path=doc.source_path,
            kind=doc.kind,
            number=p.number,
            dpi=settings.dpi,
            lang=settings.ocr_lang,
            psm=settings.ocr_psm,
            min_conf=settings.ocr_min_confidence,
            low_word_conf=settings.ocr_low_word_confidence,
            preprocess=settings.ocr_preprocess,
            max_pixels=settings.max_pixels,
        )
        for p in doc.pages
    ]


def assemble(results: Iterable[tuple[Page, str]]) -> tuple[str, list[Page]]:
    """Join page texts with PAGE_SEP and shift word offsets to document offsets."""
    parts: list[str] = []
    pages: list[Page] = []
    pos = 0
    for page, text in results:
        if parts:
            pos += len(PAGE_SEP)
        page.start, page.end = pos, pos + len(text)
        for w in page.words:
            w.start += pos
            w.end += pos
        parts.append(text)
        pages.append(page)
        pos += len(text)
    return PAGE_SEP.join(parts), pages


@stage("ocr", requires=("kind", "pages"), assigns=("source_text", "pages"))
def ocr(doc: Document, settings: Settings) -> Document:
    """Read scanned PDFs and images with Tesseract (staged); other kinds pass through."""
    if doc.kind not in (SourceKind.PDF_SCAN, SourceKind.IMAGE):
        return doc
    if not doc.pages:
        raise InputError(f"{Path(doc.source_path).name}: no pages to read")
    text, pages = assemble(run_pages(_jobs(doc, settings), settings.workers))
    doc.source_text, doc.pages = text, pages
    if not any(p.words for p in pages):
        failed = [p for p in pages if p.status == Status.FAILED]
        if failed and len(failed) == len(pages):
            raise OcrError(f"no page could be read; page {failed[0].number}: {failed[0].error}")
        why = "; ".join(f"page {p.number}: {p.error}" for p in pages[:3])
        raise NoTextFound(f"no text found on any of {len(pages)} page(s) ({why})")
    for p in pages:
        if p.status == Status.FAILED:
            doc.warnings.append(f"page {p.number}: {p.error}")
            doc.status = Status.WARNING
        elif p.status == Status.SKIPPED:
            doc.warnings.append(f"page {p.number}: {p.error}")
    return doc
