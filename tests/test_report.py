"""The HTML report: self-contained, and its graph really renders in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_graph import build_archive, sample_docs
from typer.testing import CliRunner

from pipeline.cli.main import app
from pipeline.report import layout, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    data = build_archive(tmp / "data", sample_docs())
    return write_report(data, tmp / "report.html")


def test_report_is_one_self_contained_file(report: Path) -> None:
    text = report.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # nothing fetched from elsewhere: no external scripts, styles, images or fonts
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"?(https?:)?//", text)
    assert "@import" not in text and "url(http" not in text
    assert text.count("<svg") == 1 and 'class="node archive"' in text


def test_graph_is_layered_by_issuer_level() -> None:
    level = {"a": 0, "b": 2, "c": 5, "d": 5}
    lay = layout(list(level), level, [("b", "a"), ("c", "b"), ("d", "b")])
    ys = {k: lay.pos[k][1] for k in level}
    assert ys["a"] < ys["b"] < ys["c"] == ys["d"]
    assert lay.layers == [0, 2, 5]


def test_cli_report_writes_the_file(tmp_path: Path) -> None:
    data = build_archive(tmp_path / "data", sample_docs())
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", "--data", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 5000


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    png = tmp_path / "shot.png"
    chromium(tmp_path, f"--screenshot={png}", "--window-size=1400,1000", report.as_uri())
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    dom = chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    # the SVG graph and its nodes survive in the live DOM, and the script filled the list
    assert dom.count('class="node archive"') == 4 and 'class="node stub"' in dom
    assert "ministry.txt" in re.sub(r"<script.*?</script>", "", dom, flags=re.S)
    page = chromium(tmp_path, "--dump-dom", report.as_uri() + "#doc/310%2FKH-BYT%402025").stdout
    assert "<h3>Citations</h3>" in page and "12/2025/NĐ-CP" in page


def test_text_in_the_data_cannot_break_the_page() -> None:
    """Document text is data: it can neither close the page's script nor fill a placeholder."""
    from pipeline.report import TEMPLATE, render

    hostile = "</script><!--<script>{{DATA}}{{SVG}}"
    payload = {
        "svg": "<svg></svg>",
        "documents": [{"title": hostile}],
        "nodes": [],
        "edges": [],
        "title": "t",
    }
    page = render(payload)
    template = TEMPLATE.read_text(encoding="utf-8")
    assert page.count("</script>") == template.count("</script>")
    assert page.count("<svg></svg>") == 1
    assert "{{DATA}}" in page  # the data's own text, escaped inside the JSON, not filled
