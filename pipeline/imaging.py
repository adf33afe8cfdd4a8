"""Page image preprocessing for OCR (opencv): colour drop, despeckle, border removal, deskew, crop.

Why: archive scans carry red stamps, scanner borders, speckle and skew, each of which
makes Tesseract drop or garble text. Every step here first measures whether its defect
is present and does nothing otherwise, so clean pages are passed through untouched.
Binarisation is left to Tesseract: no measured case here has needed our own.
The geometric steps (deskew, crop) keep the affine matrix they applied so word boxes
can be mapped back to the original scan. `benchmarks/ocr.py --ablation N` measures
each step by switching it off.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from pipeline.errors import InputError, InputTooLarge

RED_MARGIN = 60  # R must exceed G and B by this much for a pixel to count as red ink
RED_MIN_SHARE = 0.0005  # share of red pixels above which the red channel is used
SPECKS_PER_MPX = 50.0  # dark specks per million pixels above which a median filter runs
BORDER_MIN_SPAN = 0.3  # an edge-touching dark blob spanning this much of a side is border
SKEW_MIN_DEG = 0.15  # below this the page is left unrotated
SKEW_MAX_DEG = 6.0
ANALYSIS_WIDTH = 800  # skew and row analysis run on a downscaled copy
CROP_MARGIN = 60  # white margin (pixels) kept around the inked area


def check_pixels(size: tuple[int, int], max_pixels: int, name: str) -> None:
    """Refuse an image whose header announces more pixels than `max_pixels`."""
    w, h = size
    if w * h > max_pixels:
        raise InputTooLarge(
            f"{name}: image of {w}x{h} = {w * h:,} pixels exceeds the limit of {max_pixels:,}"
        )


@contextmanager
def open_image(path: Path, max_pixels: int) -> Iterator[Image.Image]:
    """Open an image lazily (header only) and refuse it by pixel count before decoding.

    PIL's own decompression-bomb guard is set to the same limit as a second line.
    """
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels  # restored on exit: other code keeps PIL's default
    try:
        try:
            with warnings.catch_warnings():  # the size is checked below, with a clearer message
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im = Image.open(path)
        except Image.DecompressionBombError as exc:
            raise InputTooLarge(
                f"{path.name}: image exceeds the limit of {max_pixels:,} pixels (not decoded)"
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise InputError(f"{path.name}: not a readable image ({exc})") from exc
        try:
            check_pixels(im.size, max_pixels, path.name)
            yield im
        finally:
            im.close()
    finally:
        Image.MAX_IMAGE_PIXELS = previous


@dataclass
class Prepared:
    """A page ready for Tesseract: greyscale image, the steps that ran, and its geometry."""

    image: np.ndarray
    steps: list[str] = field(default_factory=list)
    matrix: np.ndarray = field(default_factory=lambda: np.eye(2, 3, dtype=np.float64))
    angle: float = 0.0


def to_gray(img: np.ndarray, *, red_drop: bool = True) -> tuple[np.ndarray, str | None]:
    """Greyscale page from an RGB (or greyscale) array; red ink dropped when present.

    In the red channel red ink (stamps, signatures) is nearly as bright as paper while
    black text stays dark, so a stamp over text stops hiding the text. Red is detected
    on every 4th pixel, which is plenty for a stamp. Returns (image, step name or None).
    """
    if img.ndim == 2:
        return img, None
    if not red_drop:
        return cv2.cvtColor(np.ascontiguousarray(img[..., :3]), cv2.COLOR_RGB2GRAY), None
    sample = img[::4, ::4, :3].astype(np.int16)
    red = (sample[..., 0] - np.maximum(sample[..., 1], sample[..., 2])) > RED_MARGIN
    if red.mean() > RED_MIN_SHARE:
        return np.ascontiguousarray(img[..., 0]), "red-drop"
    return cv2.cvtColor(np.ascontiguousarray(img[..., :3]), cv2.COLOR_RGB2GRAY), None


def specks_per_mpx(gray: np.ndarray) -> float:
    """Dark specks (blobs of at most 4 pixels) per million pixels: salt-and-pepper noise.

    Rendered or printed text at 300 dpi has no blobs that small, so clean pages score ~0.
    """
    dark = (gray < 128).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    return float((stats[1:, cv2.CC_STAT_AREA] <= 4).sum()) * 1e6 / gray.size


def despeckle(gray: np.ndarray) -> tuple[np.ndarray, str | None]:
    """3x3 median only when specks are measured; strokes at 300 dpi survive it."""
    if specks_per_mpx(gray) > SPECKS_PER_MPX:
        return cv2.medianBlur(gray, 3), "median"
    return gray, None


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark pixels (Otsu threshold) as a 0/255 mask."""
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return mask


def remove_border(gray: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Whiten dark scanner borders: large dark blobs touching the page edge.

    Text touching the edge is made of small blobs and is kept; the page is not cropped,
    so coordinates stay those of the scan (the whitened band is the kept margin).
    """
    h, w = gray.shape
    dark = (gray < 110).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    kill = np.zeros(n, dtype=bool)
    for i in range(1, n):
        x, y, bw, bh, _area = stats[i]
        touches = x == 0 or y == 0 or x + bw == w or y + bh == h
        if touches and (bw > BORDER_MIN_SPAN * w or bh > BORDER_MIN_SPAN * h):
            kill[i] = True
    if not kill.any():
        return gray, None
    mask = np.zeros_like(gray)
    for k in np.flatnonzero(kill):  # painted within each band's box: cheaper than the page
        x, y, bw, bh, _area = stats[k]
        mask[y : y + bh, x : x + bw][labels[y : y + bh, x : x + bw] == k] = 255
    mask = cv2.dilate(mask, np.ones((9, 9), np.uint8))
    out = gray.copy()
    out[mask > 0] = 255
    return out, "border"


def _small_ink(gray: np.ndarray) -> tuple[np.ndarray, float]:
    scale = min(1.0, ANALYSIS_WIDTH / gray.shape[1])
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return ink_mask(small), scale


def _profile_score(mask: np.ndarray, angle: float) -> float:
    h, w = mask.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rot = cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    rows = rot.sum(axis=1, dtype=np.float64)
    return float(np.var(rows))


def estimate_skew(gray: np.ndarray) -> float:
    """Skew angle in degrees (counter-clockwise rotation that levels the text lines).

    Projection profile: text lines make the row sums peaky when level; search a coarse
    then a fine grid of angles on a downscaled ink mask.
    """
    mask, _ = _small_ink(gray)
    if mask.mean() < 0.5:  # almost no ink: nothing to level
        return 0.0
    best = 0.0
    for step, span in ((1.0, SKEW_MAX_DEG), (0.25, 1.0), (0.05, 0.25)):  # coarse to fine
        grid = np.arange(best - span, best + span + 1e-9, step)
        best = float(max(grid, key=lambda a: _profile_score(mask, float(a))))
    return best


def rotate(gray: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate about the centre with white fill, same size; returns (image, 2x3 matrix)."""
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_CUBIC, borderValue=255)
    return out, m


def rotate_quarter(gray: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate clockwise by 90/180/270 degrees (orientation fix from OSD)."""
    codes = {
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }
    return cv2.rotate(gray, codes[degrees]) if degrees in codes else gray


def text_rows(gray: np.ndarray) -> int:
    """Number of text rows seen in the (levelled) image, from the horizontal ink profile."""
    mask, _ = _small_ink(gray)
    rows = (mask > 0).sum(axis=1)
    if rows.max(initial=0) == 0:
        return 0
    on = rows > max(3, 0.02 * mask.shape[1])
    runs, run = [], 0
    for v in on:
        if v:
            run += 1
        elif run:
            runs.append(run)
            run = 0
    if run:
        runs.append(run)
    if not runs:
        return 0
    typical = float(np.median(runs))
    return sum(1 for r in runs if r >= 0.4 * typical)


def ink_share(gray: np.ndarray) -> float:
    """Share of dark pixels on the page (blank and near-blank pages score ~0)."""
    return float((gray < 128).mean())


def preprocess(img: np.ndarray, *, enabled: bool = True, skip: tuple[str, ...] = ()) -> Prepared:
    """Run the measured preprocessing chain on one page (RGB or greyscale array).

    `skip` names steps to leave out ("red-drop", "median", "border", "deskew", "crop"),
    for ablations.
    """
    gray, step = to_gray(img, red_drop="red-drop" not in skip)
    prep = Prepared(gray, [step] if step else [])
    if not enabled:
        return prep
    for name, fn in (("median", despeckle), ("border", remove_border)):
        if name in skip:
            continue
        prep.image, step = fn(prep.image)
        if step:
            prep.steps.append(step)
    angle = 0.0 if "deskew" in skip else estimate_skew(prep.image)
    if abs(angle) >= SKEW_MIN_DEG:
        prep.image, prep.matrix = rotate(prep.image, angle)
        prep.angle = angle
        prep.steps.append(f"deskew:{angle:+.2f}")
    if "crop" not in skip:
        box = content_box(prep.image)
        h, w = prep.image.shape
        if box is not None and (box[2] - box[0]) * (box[3] - box[1]) < 0.9 * w * h:
            x0, y0, x1, y1 = box
            prep.image = prep.image[y0:y1, x0:x1]
            prep.matrix = prep.matrix.copy()
            prep.matrix[:, 2] -= (x0, y0)
            prep.steps.append("crop")
    return prep


def content_box(gray: np.ndarray, margin: int = CROP_MARGIN) -> tuple[int, int, int, int] | None:
    """The inked area plus a white margin (None for a page without ink).

    Tesseract's layout analysis then works on fewer blank pixels; specks are ignored
    by an opening of the downscaled ink mask, so noise does not stretch the box.
    """
    mask, scale = _small_ink(gray)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    h, w = gray.shape
    x0 = max(0, int(xs.min() / scale) - margin)
    y0 = max(0, int(ys.min() / scale) - margin)
    x1 = min(w, int((xs.max() + 1) / scale) + margin)
    y1 = min(h, int((ys.max() + 1) / scale) + margin)
    return x0, y0, x1, y1


def to_scan_box(
    box: tuple[int, int, int, int], matrix: np.ndarray, scale: float = 1.0
) -> tuple[int, int, int, int]:
    """Map a box of the prepared page back to the scan's pixels (inverse rotation, rescale)."""
    inv = cv2.invertAffineTransform(matrix)
    x0, y0, x1, y1 = box
    pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64)
    mapped = pts @ inv.T / scale
    lo, hi = mapped.min(axis=0), mapped.max(axis=0)
    return round(float(lo[0])), round(float(lo[1])), round(float(hi[0])), round(float(hi[1]))


PAD = 20  # white padding around a region cut out for re-reading
COVER_SCALE = 0.25  # ink coverage is measured on a quarter-size copy


def _uncovered(gray: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> tuple[np.ndarray, int]:
    """(ink outside every word box, total ink) on a downscaled copy; specks removed."""
    small = cv2.resize(gray, None, fx=COVER_SCALE, fy=COVER_SCALE, interpolation=cv2.INTER_AREA)
    ink = ink_mask(small)
    ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    cover = np.zeros_like(ink)
    for x0, y0, x1, y1 in boxes:
        cv2.rectangle(
            cover,
            (int(x0 * COVER_SCALE) - 2, int(y0 * COVER_SCALE) - 2),
            (int(x1 * COVER_SCALE) + 2, int(y1 * COVER_SCALE) + 2),
            255,
            thickness=-1,
        )
    left = cv2.bitwise_and(ink, cv2.bitwise_not(cover))
    return left, int(np.count_nonzero(ink))


def ink_covered(gray: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> float:
    """Share of the page's ink that lies inside some word box (1.0 for an inkless page)."""
    left, total = _uncovered(gray, boxes)
    return 1.0 - np.count_nonzero(left) / total if total else 1.0


def uncovered_regions(
    gray: np.ndarray, boxes: list[tuple[int, int, int, int]], *, min_height_px: int = 20
) -> list[tuple[int, int, int, int]]:
    """Boxes (full-resolution pixels) around inked regions no word covers, text-sized or more."""
    left, _ = _uncovered(gray, boxes)
    # Join letters into words and lines, so a dropped block becomes one region.
    blobs = cv2.dilate(left, np.ones((3, 9), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    h, w = gray.shape
    regions = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if bh * 4 < min_height_px or bw < bh or area < 40:
            continue
        inv = 1 / COVER_SCALE
        x0, y0 = max(0, int(x * inv) - 8), max(0, int(y * inv) - 8)
        x1, y1 = min(w, int((x + bw) * inv) + 8), min(h, int((y + bh) * inv) + 8)
        regions.append((x0, y0, x1, y1))
    return sorted(regions, key=lambda r: (r[1], r[0]))


def pad_white(gray: np.ndarray, pad: int = PAD) -> np.ndarray:
    """The image with a white margin (Tesseract reads text touching the edge poorly)."""
    return cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
