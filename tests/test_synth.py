"""Synthetic scans: deterministic from a seed, truth text exact, damage as advertised."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.synth import degrade, make_scan_set, render_pages

TEXT = """KẾ HOẠCH
Thực hiện chuyển đổi số trong công tác văn thư năm 2026
Các phòng, ban chuyên môn rà soát quy trình tiếp nhận, xử lý văn bản đến và văn bản đi, \
bảo đảm việc lưu trữ hồ sơ điện tử đúng thời hạn, đầy đủ thành phần và có thể tra cứu.
Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị phản ánh về Văn phòng."""


def norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("dpi", "size"), [(300, (2480, 3508)), (100, (827, 1169))])
def test_pages_are_a4_and_truth_is_the_text(dpi: int, size: tuple[int, int]) -> None:
    pages = render_pages(TEXT, dpi=dpi)
    assert all(img.size == size for img, _ in pages)
    assert norm(" ".join(t for _, t in pages)) == norm(TEXT)


def test_long_text_flows_onto_more_pages_without_losing_words() -> None:
    text = "\n".join([TEXT] * 12)
    pages = render_pages(text, dpi=100, seed=2)
    assert len(pages) > 1
    assert norm(" ".join(t for _, t in pages)) == norm(text)
    for img, truth in pages:
        assert np.asarray(img).min() < 128 and truth.strip()


def test_same_seed_same_pixels() -> None:
    a = render_pages(TEXT, dpi=100, seed=4)[0][0]
    b = render_pages(TEXT, dpi=100, seed=4)[0][0]
    assert a.tobytes() == b.tobytes()
    assert degrade(a, seed=1).tobytes() == degrade(b, seed=1).tobytes()
    assert degrade(a, seed=1).tobytes() != degrade(a, seed=2).tobytes()


def _red_share(img: Image.Image) -> float:
    arr = np.asarray(img.convert("RGB")).astype(int)
    return float(((arr[..., 0] - arr[..., 1:].max(axis=2)) > 60).mean())


@pytest.mark.parametrize(
    ("level", "red", "changed"),
    [("clean", False, False), ("mild", False, True), ("hard", True, True)],
)
def test_levels_damage_as_advertised(level: str, red: bool, changed: bool) -> None:
    page = render_pages(TEXT, dpi=100, seed=0)[0][0]
    out = degrade(page, seed=3, level=level)
    assert out.mode == "RGB" and out.size == page.size
    assert (_red_share(out) > 0.001) == red
    assert (out.convert("L").tobytes() != page.tobytes()) == changed


def test_unknown_level_is_refused() -> None:
    page = render_pages(TEXT, dpi=100)[0][0]
    with pytest.raises(ValueError, match="unknown degradation level"):
        degrade(page, seed=0, level="brutal")


def test_scan_set_writes_images_and_truth(tmp_path: Path) -> None:
    paths = make_scan_set([TEXT, TEXT.upper()], tmp_path, level="clean", seed=9)
    assert [p.name for p in paths] == ["scan_000_p01.png", "scan_001_p01.png"]
    for p in paths:
        assert Image.open(p).info["dpi"][0] == pytest.approx(300, abs=0.5)
        truth = p.with_name(p.stem + ".gt.txt").read_text("utf-8")
        assert truth.strip()
