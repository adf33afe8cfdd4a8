"""OCR stage: recorded Tesseract output drives most tests; three slow ones use the real engine.

Fixtures in tests/fixtures/ocr: `plan_clean.png` (a rendered Vietnamese paragraph, cropped
to its text plus a margin) with its truth text and the TSV Tesseract 5.3 (vie) gave for it
with --psm 3 and --psm 6; `photo_noise.psm3.tsv`, what it gave for a noise "photo".
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pipeline import imaging, ocr
from pipeline import tesseract as T
from pipeline.errors import NoTextFound, OcrError
from pipeline.ingest import ingest
from pipeline.models import Document, Page, SourceKind, Status
from pipeline.settings import Settings
from pipeline.synth import degrade, render_pages

FIX = Path(__file__).parent / "fixtures" / "ocr"
PLAN_PNG = FIX / "plan_clean.png"
TRUTH = (FIX / "plan_clean.gt.txt").read_text("utf-8")
TSV = {psm: (FIX / f"plan_clean.psm{psm}.tsv").read_text("utf-8") for psm in (3, 6)}
S1 = Settings(workers=1)


def norm(text: str) -> str:
    return " ".join(text.split())


def with_conf(tsv: str, conf: float) -> str:
    """The same TSV with every word's confidence replaced."""
    rows = []
    for row in tsv.splitlines():
        cols = row.split("\t")
        if cols[0] == "5":
            cols[10] = str(conf)
        rows.append("\t".join(cols))
    return "\n".join(rows)


def drop_lines(tsv: str, keep: int) -> str:
    """The TSV with only the first `keep` text lines' words (a dropped block)."""
    out, seen = [], []
    for row in tsv.splitlines():
        cols = row.split("\t")
        if cols[0] == "5":
            key = tuple(cols[2:5])
            if key not in seen:
                seen.append(key)
            if len(seen) > keep:
                continue
        out.append(row)
    return "\n".join(out)


@pytest.fixture
def fake_tess(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[int, ...], int]]:
    """Replace Tesseract with the recorded TSV; returns the calls (image shape, psm)."""
    calls: list[tuple[tuple[int, ...], int]] = []

    def fake(img: np.ndarray, *, lang: str, psm: int, dpi: int = 300) -> str:
        calls.append((img.shape, psm))
        return TSV[psm]

    monkeypatch.setattr(T, "ocr_tsv", fake)
    monkeypatch.setattr(T, "osd_rotation", lambda img, dpi=300: (0, 0.0))
    return calls


def job(path: Path, number: int = 1, kind: SourceKind = SourceKind.IMAGE) -> ocr.PageJob:
    s = S1
    return ocr.PageJob(
        str(path), kind, number, s.dpi, s.ocr_lang, s.ocr_psm, s.ocr_min_confidence,
        s.ocr_low_word_confidence, s.ocr_preprocess, s.max_pixels,
    )  # fmt: skip


def image_doc(path: Path, settings: Settings = S1) -> Document:
    return ingest(Document("d", str(path), ""), settings)


def tiff(path: Path, frames: list[Image.Image]) -> Path:
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(300, 300))
    return path


# --------------------------------------------------------------------------- parsing and layout


def test_recorded_tsv_parses_to_the_truth_words() -> None:
    words = T.parse_tsv(TSV[3])
    assert [w.text for w in words] == TRUTH.split()
    assert all(0 <= w.conf <= 100 and w.width > 0 for w in words)


@pytest.mark.parametrize(("low", "flagged"), [(0.0, 0), (100.1, len(TRUTH.split())), (90.0, None)])
def test_layout_offsets_round_trip_and_flags(low: float, flagged: int | None) -> None:
    result = ocr.build_result(T.parse_tsv(TSV[3]), "psm3")
    page = Page(1)
    text = result.layout(page, imaging.Prepared(np.zeros((1, 1), np.uint8)), low)
    assert norm(text) == norm(TRUTH)
    assert [text[w.start : w.end] for w in page.words] == [w.text for w in page.words]
    assert text.count("\n") >= TRUTH.strip().count("\n")  # one line per printed line
    n_low = sum(w.low_confidence for w in page.words)
    assert n_low == (
        flagged if flagged is not None else sum(w.confidence < low for w in page.words)
    )


word = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậđ.,;:0123456789", min_size=1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.lists(word, min_size=1, max_size=5), max_size=4), max_size=4))
def test_assembled_offsets_round_trip(pages: list[list[list[str]]]) -> None:
    """For any pages of lines of words, every word's offsets give back its text."""
    results = []
    for n, lines in enumerate(pages, start=1):
        tsv_words = [
            T.TsvWord(w, 10 * i, 20 * j, 8, 10, 90.0, 1 + j // 2, 1, j, i)
            for j, line in enumerate(lines)
            for i, w in enumerate(line)
        ]
        page = Page(n)
        text = ocr.build_result(tsv_words, "t").layout(
            page, imaging.Prepared(np.zeros((1, 1), np.uint8)), 60.0
        )
        results.append((page, text))
    source, out_pages = ocr.assemble(results)
    for page in out_pages:
        for w in page.words:
            assert source[w.start : w.end] == w.text
            assert page.start <= w.start and w.end <= page.end


@pytest.mark.parametrize(
    ("dpi", "size", "expected"),
    [
        ((300, 300), (2480, 3508), 1.0),
        ((150, 150), (1240, 1754), 2.0),
        ((600, 600), (4960, 7016), 0.5),
        ((280, 280), (2300, 3300), 1.0),  # near enough
        (None, (1240, 1754), 2.0),  # A4 proportions imply 150 dpi
        (None, (800, 600), 1.0),  # unknown size and DPI: left alone
        ((72, 72), (595, 842), 4.0),  # upscaling is capped at 4x
    ],
)
def test_image_scale_reaches_300_dpi(
    dpi: tuple[int, int] | None, size: tuple[int, int], expected: float
) -> None:
    assert ocr.image_scale(dpi, *size) == pytest.approx(expected, rel=0.01)


# --------------------------------------------------------------------------- staged recognition


def test_good_page_takes_one_pass(fake_tess: list) -> None:
    page, text = ocr.run_page(job(PLAN_PNG))
    assert page.status == Status.OK and norm(text) == norm(TRUTH)
    assert page.stages == ["psm3"] and [c[1] for c in fake_tess] == [3]
    assert page.confidence is not None and page.confidence > 90
    w, h = Image.open(PLAN_PNG).size
    assert all(
        0 <= b.bbox[0] < b.bbox[2] <= w and 0 <= b.bbox[1] < b.bbox[3] <= h for b in page.words
    )


def test_crop_to_content_keeps_boxes_in_scan_pixels(tmp_path: Path, fake_tess: list) -> None:
    plan = Image.open(PLAN_PNG)
    padded = Image.new("L", (plan.width + 600, plan.height + 900), 255)
    padded.paste(plan, (300, 450))
    path = tmp_path / "padded.png"
    padded.save(path)
    page, _ = ocr.run_page(job(path))
    assert "crop" in page.stages
    assert fake_tess[0][0] == pytest.approx(plan.size[::-1], abs=8)  # Tesseract saw the crop
    expected = [(w.left + 300, w.top + 450) for w in T.parse_tsv(TSV[3])]
    got = [(w.bbox[0], w.bbox[1]) for w in page.words]
    assert np.abs(np.array(got) - np.array(expected)).max() <= 8


def test_low_confidence_page_gets_a_second_pass_and_keeps_the_better(
    monkeypatch: pytest.MonkeyPatch, fake_tess: list
) -> None:
    poor = with_conf(TSV[3], 40.0)
    monkeypatch.setattr(
        T, "ocr_tsv", lambda img, *, lang, psm, dpi=300: poor if psm == 3 else TSV[6]
    )
    page, text = ocr.run_page(job(PLAN_PNG))
    assert "check:low-confidence,low-words" in page.stages
    assert "osd:0" in page.stages and "psm6" in page.stages and page.stages[-1] == "kept:psm6"
    assert page.confidence is not None and page.confidence > 90
    assert norm(text) == norm(TRUTH)


def test_second_pass_that_is_worse_is_not_kept(
    monkeypatch: pytest.MonkeyPatch, fake_tess: list
) -> None:
    first, second = with_conf(TSV[3], 70.0), with_conf(TSV[6], 30.0)
    monkeypatch.setattr(
        T, "ocr_tsv", lambda img, *, lang, psm, dpi=300: first if psm == 3 else second
    )
    page, _ = ocr.run_page(job(PLAN_PNG))
    assert page.stages[-1] == "kept:psm3" and page.confidence == pytest.approx(70.0)


def test_upside_down_page_is_turned_by_osd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "upside_down.png"
    Image.open(PLAN_PNG).rotate(180).save(path)
    answers = iter([with_conf(TSV[3], 25.0), TSV[3]])
    monkeypatch.setattr(T, "ocr_tsv", lambda img, *, lang, psm, dpi=300: next(answers))
    monkeypatch.setattr(T, "osd_rotation", lambda img, dpi=300: (180, 12.5))
    page, text = ocr.run_page(job(path))
    assert page.stages[-3:] == ["osd:180", "psm3-rotated", "kept:psm3-rotated"]
    assert norm(text) == norm(TRUTH) and page.confidence is not None and page.confidence > 90


def test_dropped_block_is_read_again_region_by_region(monkeypatch: pytest.MonkeyPatch) -> None:
    partial = drop_lines(TSV[3], keep=3)
    crops: list[tuple[int, ...]] = []
    gap_tsv = "\n".join(
        [
            "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
            "5\t1\t1\t1\t1\t1\t20\t20\t100\t40\t91.5\tvăn",
            "5\t1\t1\t1\t1\t2\t130\t20\t100\t40\t92.5\tbản",
        ]
    )

    def fake(img: np.ndarray, *, lang: str, psm: int, dpi: int = 300) -> str:
        if psm == 3:
            return partial
        crops.append(img.shape)
        return gap_tsv

    monkeypatch.setattr(T, "ocr_tsv", fake)
    page, text = ocr.run_page(job(PLAN_PNG))
    assert any(s.startswith("check:") and "uncovered-ink" in s for s in page.stages)
    assert crops, "the uncovered regions were not re-read"
    assert any(s.startswith("gap-fill:") and s != "gap-fill:0" for s in page.stages)
    assert norm(text).startswith(norm(" ".join(TRUTH.splitlines()[:3])))
    assert "văn bản" in text
    assert [text[w.start : w.end] for w in page.words] == [w.text for w in page.words]
    tops = [w.bbox[1] for w in page.words]
    assert tops[-1] >= tops[0]  # re-read lines come after the lines above them


@pytest.mark.parametrize(
    ("tsv", "reason"),
    [
        ((FIX / "photo_noise.psm3.tsv").read_text("utf-8"), "no text found on page"),
        (with_conf(drop_lines(TSV[3], 1), 20.0), "no text found on page"),  # a few unsure marks
    ],
    ids=["no-words", "unsure-words"],
)
def test_page_without_sure_words_has_no_text(
    monkeypatch: pytest.MonkeyPatch, fake_tess: list, tsv: str, reason: str
) -> None:
    monkeypatch.setattr(T, "ocr_tsv", lambda img, *, lang, psm, dpi=300: tsv)
    page, text = ocr.run_page(job(PLAN_PNG))
    assert (page.status, page.error, text, page.words) == (Status.SKIPPED, reason, "", [])


def test_blank_image_is_no_text_and_tesseract_is_not_run(tmp_path: Path, fake_tess: list) -> None:
    path = tmp_path / "blank.png"
    Image.new("L", (1240, 1754), 255).save(path)
    with pytest.raises(NoTextFound, match="no text found"):
        ocr.ocr(image_doc(path), S1)
    assert fake_tess == []


def test_text_documents_pass_through(tmp_path: Path) -> None:
    doc = Document("d", "x.txt", "", kind=SourceKind.TEXT, source_text="abc", pages=[Page(1, 0, 3)])
    assert ocr.ocr(doc, S1) is doc and doc.source_text == "abc"


# ------------------------------------------------------------------- faults stay on their page


def _fail_page_2(real: object, how: str) -> object:
    def load(j: ocr.PageJob) -> tuple[np.ndarray, float]:
        if j.number == 2:
            if how == "crash":
                os._exit(7)  # a hard crash of the worker process
            raise ValueError("injected corrupt page")
        return real(j)  # type: ignore[operator]

    return load


@pytest.mark.parametrize(
    ("workers", "how", "error"),
    [
        (1, "raise", "ValueError: injected corrupt page"),
        (2, "raise", "ValueError: injected corrupt page"),
        (2, "crash", "OCR worker crashed"),
    ],
)
def test_a_bad_page_does_not_lose_the_others(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_tess: list,
    workers: int,
    how: str,
    error: str,
) -> None:
    plan = Image.open(PLAN_PNG)
    path = tiff(tmp_path / "three.tif", [plan, plan, plan])
    monkeypatch.setattr(ocr, "load_page", _fail_page_2(ocr.load_page, how))
    settings = Settings(workers=workers)
    doc = ocr.ocr(image_doc(path, settings), settings)
    assert [p.status for p in doc.pages] == [Status.OK, Status.FAILED, Status.OK]
    assert doc.pages[1].error == error and doc.status == Status.WARNING
    assert [norm(doc.source_text[p.start : p.end]) for p in doc.pages] == [
        norm(TRUTH),
        "",
        norm(TRUTH),
    ]
    assert doc.source_text.count(ocr.PAGE_SEP) == 2
    assert all(doc.source_text[w.start : w.end] == w.text for p in doc.pages for w in p.words)
    assert any("page 2" in w for w in doc.warnings)


def test_blank_page_in_a_document_is_skipped(tmp_path: Path, fake_tess: list) -> None:
    plan = Image.open(PLAN_PNG)
    path = tiff(tmp_path / "two.tif", [plan, Image.new("L", plan.size, 255)])
    doc = ocr.ocr(image_doc(path), S1)
    assert [(p.status, p.error) for p in doc.pages] == [
        (Status.OK, None),
        (Status.SKIPPED, "blank page"),
    ]
    assert doc.status == Status.OK and norm(doc.source_text) == norm(TRUTH)


def test_every_page_failing_is_an_ocr_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(img: np.ndarray, *, lang: str, psm: int, dpi: int = 300) -> str:
        raise OcrError("tesseract failed: injected")

    monkeypatch.setattr(T, "ocr_tsv", broken)
    with pytest.raises(OcrError, match="no page could be read"):
        ocr.ocr(image_doc(PLAN_PNG), S1)


# --------------------------------------------------------------------------- preprocessing steps


def _page(dpi: int = 100) -> np.ndarray:
    text = "\n".join([TRUTH] * 3)
    return np.asarray(render_pages(text, dpi=dpi, seed=1)[0][0])


@pytest.mark.parametrize("angle", [-2.5, -1.0, 0.0, 1.7, 3.0])
def test_skew_is_estimated(angle: float) -> None:
    img = Image.fromarray(_page()).rotate(angle, fillcolor=255, resample=Image.Resampling.BICUBIC)
    assert imaging.estimate_skew(np.asarray(img)) == pytest.approx(-angle, abs=0.2)


@pytest.mark.parametrize(
    ("level", "steps"),
    [
        ("clean", {"crop"}),
        ("hard", {"red-drop", "median", "border", "deskew", "crop"}),
    ],
)
def test_preprocessing_runs_only_the_steps_a_page_needs(level: str, steps: set[str]) -> None:
    page = Image.fromarray(_page(dpi=150))
    rgb = np.asarray(degrade(page, seed=5, level=level))
    gray, step = imaging.to_gray(rgb)
    prep = imaging.preprocess(gray)
    ran = {s.split(":")[0] for s in prep.steps} | ({step} if step else set())
    assert ran == steps


def test_border_is_whitened_and_text_kept() -> None:
    page = _page()
    framed = page.copy()
    framed[:, :40] = 20
    framed[-30:, :] = 30
    out, step = imaging.remove_border(framed)
    assert step == "border"
    assert out[:, :40].min() == 255 and out[-30:, :].min() == 255
    assert (out[:-40, 60:] == page[:-40, 60:]).all()


def test_scan_box_inverts_the_deskew_rotation() -> None:
    img = np.full((400, 300), 255, np.uint8)
    _, m = imaging.rotate(img, 2.0)
    pts = np.array([[100, 200, 1]], dtype=np.float64) @ m.T
    x, y = pts[0]
    box = imaging.to_scan_box((round(x), round(y), round(x), round(y)), m)
    assert box[0] == pytest.approx(100, abs=1) and box[1] == pytest.approx(200, abs=1)


# --------------------------------------------------------------------------- real Tesseract


@pytest.mark.slow
def test_real_tesseract_reads_a_hard_synthetic_scan(tmp_path: Path) -> None:
    img, truth = render_pages(TRUTH, seed=11)[0]
    path = tmp_path / "hard.jpg"
    degrade(img, seed=11, level="hard").save(path, quality=45, dpi=(300, 300))
    doc = ocr.ocr(image_doc(path), S1)
    from rapidfuzz.distance import Levenshtein

    cer = Levenshtein.distance(norm(truth), norm(doc.source_text)) / len(norm(truth))
    assert cer <= 0.02, doc.source_text
    assert {"red-drop", "median", "border"} <= {s.split(":")[0] for s in doc.pages[0].stages}


@pytest.mark.slow
def test_real_tesseract_finds_no_text_in_a_photo(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    photo = cv2.resize(rng.random((24, 32)).astype(np.float32), (1200, 900)) * 200 + 20
    photo = (photo + rng.normal(0, 18, photo.shape)).clip(0, 255).astype(np.uint8)
    path = tmp_path / "photo.jpg"
    cv2.imwrite(str(path), cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR))
    with pytest.raises(NoTextFound):
        ocr.ocr(image_doc(path), S1)


@pytest.mark.slow
def test_real_scanned_pdf_is_rasterised_page_by_page(tmp_path: Path) -> None:
    plan = Image.open(PLAN_PNG).convert("L")
    path = tmp_path / "scan.pdf"
    plan.save(path, save_all=True, append_images=[Image.new("L", plan.size, 255)], resolution=300)
    settings = Settings(workers=2)
    doc = image_doc(path, settings)
    assert doc.kind == SourceKind.PDF_SCAN
    doc = ocr.ocr(doc, settings)
    assert [p.status for p in doc.pages] == [Status.OK, Status.SKIPPED]
    assert norm(doc.source_text[doc.pages[0].start : doc.pages[0].end]) == norm(TRUTH)
