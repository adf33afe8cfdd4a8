"""Synthetic scans: clean Vietnamese text rendered as A4 pages, then degraded like an archive scan.

Why: OCR needs a ground truth to be measured against. Rendering known text and then
damaging the image the way scanners and archives do (skew, blur, noise, JPEG, a red
stamp, a dark border) gives pages whose exact text is known. A seed makes every page
reproducible, so benchmark sets are regenerated rather than stored.
"""

from __future__ import annotations

import io
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/truetype/dejavu"))
FONT_FILES = {
    "regular": ("NotoSerif-Regular.ttf", "DejaVuSerif.ttf"),
    "bold": ("NotoSerif-Bold.ttf", "DejaVuSerif-Bold.ttf"),
}
LEVELS = ("clean", "mild", "hard")


@dataclass(frozen=True)
class Layout:
    """Page geometry in millimetres and points (an A4 administrative page)."""

    width_mm: float = 210.0
    height_mm: float = 297.0
    left_mm: float = 30.0  # Vietnamese official documents bind on the left
    right_mm: float = 20.0
    top_mm: float = 20.0
    bottom_mm: float = 20.0
    font_pt: float = 13.0
    line_spacing: float = 1.35
    indent_mm: float = 12.7


@dataclass(frozen=True)
class Damage:
    """How hard one degradation level hits a page."""

    max_angle: float
    blur_sigma: tuple[float, float]
    noise_sigma: float
    salt_pepper: float  # share of pixels flipped to white/black
    jpeg_quality: int
    stamp: bool
    border: bool


DAMAGE = {
    "clean": Damage(0.0, (0.0, 0.0), 0.0, 0.0, 100, False, False),
    "mild": Damage(1.0, (0.4, 0.7), 6.0, 0.0005, 75, False, True),
    "hard": Damage(3.0, (0.8, 1.2), 12.0, 0.003, 45, True, True),
}


def _font_path(style: str) -> Path:
    for name in FONT_FILES[style]:
        for folder in FONT_DIRS:
            path = folder / name
            if path.exists():
                return path
    raise FileNotFoundError(f"no Vietnamese-capable {style} serif font under {FONT_DIRS}")


def _font(style: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_path(style)), px)


def _is_heading(paragraph: str) -> bool:
    """Short all-capitals paragraphs are set bold and centred, as in official documents."""
    letters = [c for c in paragraph if c.isalpha()]
    return bool(letters) and len(paragraph) <= 90 and all(c.isupper() for c in letters)


def _wrap(words: list[str], font: ImageFont.FreeTypeFont, first: float, rest: float) -> list[str]:
    """Greedy line breaking; `first`/`rest` are the widths available for each line."""
    lines: list[str] = []
    current = ""
    for word in words:
        trial = f"{current} {word}" if current else word
        width = first if not lines else rest
        if current and font.getlength(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def render_pages(
    text: str, *, dpi: int = 300, seed: int = 0, layout: Layout | None = None
) -> list[tuple[Image.Image, str]]:
    """Render text on A4 pages; returns (greyscale page image, exact text of that page).

    The truth text holds the rendered lines joined by newlines (blank lines between
    paragraphs are not part of it). `seed` varies the layout slightly (font, size).
    """
    lay = layout or Layout()
    rng = random.Random(seed)
    mm = dpi / 25.4
    width, height = round(lay.width_mm * mm), round(lay.height_mm * mm)
    left, right = round(lay.left_mm * mm), round(lay.right_mm * mm)
    top, bottom = round(lay.top_mm * mm), round(lay.bottom_mm * mm)
    px = round((lay.font_pt + rng.choice((-0.5, 0.0, 0.0, 0.5))) * dpi / 72)
    regular, bold = _font("regular", px), _font("bold", px)
    line_h = round(px * lay.line_spacing)
    body = width - left - right
    indent = round(lay.indent_mm * mm)

    # Lay out every line first: (font, x, text) or None for a paragraph gap.
    rows: list[tuple[ImageFont.FreeTypeFont, int, str] | None] = []
    for raw in unicodedata.normalize("NFC", text).split("\n"):
        paragraph = " ".join(raw.split())
        if not paragraph:
            if rows and rows[-1] is not None:
                rows.append(None)
            continue
        if _is_heading(paragraph):
            for line in _wrap(paragraph.split(), bold, body, body):
                rows.append((bold, left + max(0, round((body - bold.getlength(line)) / 2)), line))
            continue
        lines = _wrap(paragraph.split(), regular, body - indent, body)
        for i, line in enumerate(lines):
            rows.append((regular, left + (indent if i == 0 else 0), line))

    pages: list[tuple[Image.Image, str]] = []
    per_page = max(1, (height - top - bottom) // line_h)
    i = 0
    while i < len(rows):
        while i < len(rows) and rows[i] is None:  # no gap at the top of a page
            i += 1
        chunk = rows[i : i + per_page]
        i += per_page
        if not any(chunk):
            break
        img = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(img)
        truth: list[str] = []
        y = top
        for row in chunk:
            if row is not None:
                font, x, line = row
                draw.text((x, y), line, font=font, fill=0)
                truth.append(line)
            y += line_h
        pages.append((img, "\n".join(truth)))
    return pages


def _stamp(size: int, rng: random.Random) -> Image.Image:
    """A round red seal (RGBA) with rings, a star and a few lines of capitals."""
    img = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    red = (200 + rng.randint(-15, 15), 35, 40, 215)
    c = size // 2
    for r, w in ((c - 4, 10), (c - 34, 4)):
        draw.ellipse((c - r, c - r, c + r, c + r), outline=red, width=w)
    star = [
        (
            c + (48 if k % 2 == 0 else 20) * np.sin(k * np.pi / 5),
            c - 70 - (48 if k % 2 == 0 else 20) * np.cos(k * np.pi / 5),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=red)
    font = _font("bold", max(12, size // 11))
    for dy, word in ((10, "SỞ Y TẾ"), (70, "TỈNH")):
        tw = font.getlength(word)
        draw.text((c - tw / 2, c + dy), word, font=font, fill=red)
    return img.rotate(rng.uniform(-25, 25), resample=Image.Resampling.BICUBIC)


def _apply_stamp(img: Image.Image, rng: random.Random) -> Image.Image:
    """Multiply a red seal over the text body (ink stays dark under it, as on paper)."""
    w, h = img.size
    size = round(w * 0.2)
    stamp = _stamp(size, rng)
    x = rng.randint(round(w * 0.35), round(w * 0.75) - size)
    y = rng.randint(round(h * 0.15), round(h * 0.8) - size)
    layer = Image.new("RGB", img.size, (255, 255, 255))
    layer.paste(stamp, (x, y), stamp)
    return ImageChops.multiply(img.convert("RGB"), layer)


def _apply_border(arr: np.ndarray, rng: random.Random) -> np.ndarray:
    """Dark bands on two or three edges, as a scanner lid leaves them."""
    h, w = arr.shape[:2]
    sides = rng.sample(["top", "bottom", "left", "right"], k=rng.choice((2, 3)))
    for side in sides:
        depth = rng.randint(25, 110)
        shade = rng.randint(15, 60)
        if side == "top":
            arr[:depth] = shade
        elif side == "bottom":
            arr[h - depth :] = shade
        elif side == "left":
            arr[:, :depth] = shade
        else:
            arr[:, w - depth :] = shade
    return arr


def degrade(img: Image.Image, *, seed: int, level: str = "hard") -> Image.Image:
    """Damage a rendered page like an archive scan; returns an RGB image.

    Levels: "clean" (unchanged), "mild" (small skew, light blur/noise, JPEG 75, border),
    "hard" (skew up to ±3°, blur, Gaussian and salt-and-pepper noise, JPEG 45, a red
    stamp over the text and a dark scanner border).
    """
    if level not in DAMAGE:
        raise ValueError(f"unknown degradation level {level!r}; known: {', '.join(LEVELS)}")
    dmg = DAMAGE[level]
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    out = img.convert("RGB")
    if level == "clean":
        return out
    if dmg.stamp:
        out = _apply_stamp(out, rng)
    angle = rng.uniform(-dmg.max_angle, dmg.max_angle)
    out = out.rotate(
        angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(255, 255, 255)
    )
    sigma = rng.uniform(*dmg.blur_sigma)
    if sigma > 0:
        out = out.filter(ImageFilter.GaussianBlur(sigma))
    arr = np.asarray(out).copy()
    if dmg.noise_sigma > 0:
        noise = nrng.standard_normal(arr.shape[:2], dtype=np.float32) * dmg.noise_sigma
        noisy = arr.astype(np.float32)
        noisy += noise[..., None]
        arr = noisy.clip(0, 255).astype(np.uint8)
    if dmg.border:
        arr = _apply_border(arr, rng)
    if dmg.salt_pepper > 0:
        flips = nrng.random(arr.shape[:2])
        arr[flips < dmg.salt_pepper / 2] = 0
        arr[(flips >= dmg.salt_pepper / 2) & (flips < dmg.salt_pepper)] = 255
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=dmg.jpeg_quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def make_scan_set(texts: list[str], out_dir: Path, *, level: str, seed: int) -> list[Path]:
    """Render and degrade each text; write page images plus `<name>.gt.txt` truth files.

    Names are `scan_<text index>_p<page>.{png,jpg}`; clean pages are PNG, damaged ones
    JPEG at the level's quality. Returns the image paths in order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for t, text in enumerate(texts):
        for p, (page, truth) in enumerate(render_pages(text, seed=seed + t), start=1):
            img = degrade(page, seed=seed * 1000 + t * 100 + p, level=level)
            stem = f"scan_{t:03d}_p{p:02d}"
            if level == "clean":
                path = out_dir / f"{stem}.png"
                img.convert("L").save(path, dpi=(300, 300), optimize=True)
            else:
                path = out_dir / f"{stem}.jpg"
                img.save(path, quality=DAMAGE[level].jpeg_quality, dpi=(300, 300))
            (out_dir / f"{stem}.gt.txt").write_text(truth + "\n", encoding="utf-8")
            paths.append(path)
    return paths
