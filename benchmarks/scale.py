"""Scale benchmark: a generated archive of text documents through extract and graph.

Generates N documents (default 5,000) in a temp dir by varying the samples: each copy
gets its own number, date and province/unit name, and cites an earlier generated plan
("Thực hiện Kế hoạch số <n>/KH-SYT ...") so the graph has chains several levels deep.
Runs the registered stages (ingest, normalize, segment, extract, graph; restore and OCR
skipped: text input) in worker processes, writes the tables and graph tables, and prints:
documents per second through extract+graph, peak memory, and the time of `cites`
(depth 3) and `hierarchy` on the archive, beside a baseline that answers `cites` by
scanning citations.parquet with pandas (no graph tables).

The generated text derives from samples/ (the project's sample set); nothing here is
scored against gold, so there is no train/test split to keep.

The stages run in a process pool (`--workers`, default 2: this machine's cores). Each
worker times its own documents; "extract+graph, N worker(s)" divides the documents by the
extract+graph seconds of the busiest worker, i.e. the wall time of those two stages when the
workers run side by side (contention included, since the workers time while sharing the
machine); "per core" divides by the seconds summed over all workers.

    python benchmarks/scale.py [--docs 5000] [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from pipeline import query as q
from pipeline.errors import DataError
from pipeline.graph import build_graph_tables
from pipeline.models import Document
from pipeline.registry import get_stage
from pipeline.runner import new_document
from pipeline.settings import Settings
from pipeline.store import document_rows, write_tables

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
PROVINCES = [
    "Quảng Ninh",
    "Hải Phòng",
    "Thái Bình",
    "Nghệ An",
    "Lào Cai",
    "Cần Thơ",
    "Đà Nẵng",
    "Bắc Ninh",
    "Hà Tĩnh",
    "Gia Lai",
    "Sơn La",
    "Phú Thọ",
]
UNITS = ["Sở Y tế", "Sở Khoa học và Công nghệ", "Sở Nội vụ", "Trung tâm Y tế", "Bệnh viện"]
STAGES = ("ingest", "normalize", "segment", "extract", "graph")
TIMED = ("extract", "graph")
_OWN_NUMBER = re.compile(r"(S[ốo6ó]\s*:\s*)(\d+)")
_DATE = re.compile(r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+(\d{4})")


def generate(folder: Path, n: int, seed: int = 7) -> list[Path]:
    """Write `n` varied copies of the samples into `folder`."""
    rng = random.Random(seed)
    samples = [p.read_text("utf-8") for p in sorted((ROOT / "samples").glob("*.txt"))]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        text = samples[i % len(samples)]
        number = 5000 + i
        text = _OWN_NUMBER.sub(rf"\g<1>{number}", text, count=1)
        day, month = rng.randint(1, 28), rng.randint(1, 12)
        text = _DATE.sub(f"ngày {day} tháng {month} năm 2025", text, count=1)
        for old in ("Quảng Ninh", "Hải Phòng", "Thái Bình"):
            text = text.replace(old, rng.choice(PROVINCES))
        if i >= 10:  # cite an earlier generated plan: chains through the archive
            j = rng.randrange(max(0, i - 50), i)
            cite = (
                f"Thực hiện Kế hoạch số {5000 + j}/KH-SYT ngày {day}/{month}/2025 của "
                f"{rng.choice(UNITS)} tỉnh {rng.choice(PROVINCES)};\n"
            )
            cut = text.find("Căn cứ")
            cut = cut if cut >= 0 else len(text) // 3
            text = text[:cut] + cite + text[cut:]
        path = folder / f"doc{i:05d}.txt"
        path.write_text(text, "utf-8")
        paths.append(path)
    return paths


def process(path: Path, settings: Settings) -> tuple[dict[str, Any], dict[str, float], int, int]:
    """One document through the stages: its table rows, seconds per stage, citations, and
    the id of the process that ran it."""
    doc: Document = new_document(path, settings)
    spent = {}
    for name in STAGES:
        t0 = time.perf_counter()
        doc = get_stage(name).fn(doc, settings)
        spent[name] = time.perf_counter() - t0
    return document_rows(doc), spent, len(doc.citations), os.getpid()


def run(
    paths: list[Path], out: Path, settings: Settings, workers: int
) -> tuple[dict[str, float], int, float, float]:
    """Run the stages over every file; returns seconds per stage, citations, wall seconds,
    and the extract+graph seconds of the busiest worker (the timed stages' wall time when
    the workers run side by side)."""
    spent = dict.fromkeys(STAGES, 0.0)
    per_worker: dict[int, float] = {}
    rows = []
    n_cits = 0
    t_wall = time.perf_counter()
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(process, paths, [settings] * len(paths), chunksize=16))
    else:
        results = [process(p, settings) for p in paths]
    wall = time.perf_counter() - t_wall
    for doc_rows, doc_spent, cits, pid in results:
        rows.append(doc_rows)
        per_worker[pid] = per_worker.get(pid, 0.0) + sum(doc_spent[s] for s in TIMED)
        n_cits += cits
        for name, sec in doc_spent.items():
            spent[name] += sec
    t0 = time.perf_counter()
    write_tables(out, iter(rows))
    spent["write tables"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    build_graph_tables(out, settings)
    spent["graph tables"] = time.perf_counter() - t0
    return spent, n_cits, wall, max(per_worker.values(), default=0.0)


def baseline_cites(out: Path, symbol: str, depth: int) -> int:
    """Citers up to `depth` by rescanning citations.parquet with pandas (no graph tables)."""
    cits = pd.read_parquet(out / "citations.parquet", columns=["doc_id", "cited_symbol"])
    docs = pd.read_parquet(out / "documents.parquet", columns=["doc_id", "symbol"])
    frontier: set[str] = {symbol}
    seen: set[str] = set()
    for _ in range(depth):
        ids = set(cits[cits.cited_symbol.isin(frontier)].doc_id) - seen
        seen |= ids
        frontier = set(docs[docs.doc_id.isin(ids)].symbol.dropna())
    return len(seen)


def timed(fn: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """Best wall time of `repeat` calls, and the last result."""
    best = float("inf")
    value = fn()
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--symbol", default="57-NQ/TW")
    parser.add_argument("--keep", type=Path, help="keep the archive and tables here")
    parser.add_argument("--workers", type=int, default=2, help="processes for the stages")
    args = parser.parse_args()
    settings = Settings(restore=False, workers=1)
    tmp = Path(tempfile.mkdtemp(prefix="vanban-scale-"))
    try:
        base = args.keep or tmp
        paths = generate(base / "in", args.docs)
        spent, n_cits, wall, busiest = run(paths, base / "out", settings, args.workers)
        out = base / "out"
        core = sum(spent[s] for s in TIMED)
        rate = args.docs / core if core else float("inf")
        graph_rate = args.docs / spent["graph"] if spent["graph"] else float("inf")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peak_worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        nodes = pd.read_parquet(out / "nodes.parquet") if (out / "nodes.parquet").exists() else None
        print(
            f"archive: {args.docs} documents, {n_cits} citations, "
            f"{0 if nodes is None else len(nodes)} graph nodes"
        )
        print(f"{'step (seconds summed over documents)':<40}{'seconds':>10}")
        for name, sec in spent.items():
            print(f"{name:<40}{sec:>10.2f}")
        print(f"{'wall seconds, all stages, ' + str(args.workers) + ' worker(s)':<40}{wall:>10.2f}")
        print(f"{'docs/s all stages (wall)':<40}{args.docs / wall:>10.1f}")
        print(f"{'docs/s extract+graph, per core':<40}{rate:>10.1f}")
        label = f"docs/s extract+graph, {args.workers} worker(s) (>= 50)"
        print(f"{label:<40}{args.docs / busiest if busiest else float('inf'):>10.1f}")
        print(f"{'docs/s graph stage alone, per core':<40}{graph_rate:>10.1f}")
        print(f"{'peak memory MiB (this process)':<40}{peak:>10.0f}")
        if args.workers > 1:
            print(f"{'peak memory MiB (largest worker)':<40}{peak_worker:>10.0f}")
        con = q.connect(out)
        print(f"\n{'query on ' + str(args.docs) + ' docs':<44}{'seconds':>9}{'rows':>7}")
        t, n = timed(lambda: baseline_cites(out, args.symbol, 3))
        print(f"{'baseline: pandas rescan cites depth 3':<44}{t:>9.3f}{n:>7}")
        try:
            t, df = timed(lambda: q.cites(con, args.symbol, 3))
            print(f"{'vanban cites depth 3 (target < 0.5 s)':<44}{t:>9.3f}{len(df):>7}")
            t, df = timed(lambda: q.cites(q.connect(out), args.symbol, 3))
            print(f"{'  same, opening the tables first':<44}{t:>9.3f}{len(df):>7}")
            t, df = timed(lambda: q.cites(con, args.symbol, 3, archive_only=False))
            print(f"{'  same, with cited-only documents':<44}{t:>9.3f}{len(df):>7}")
            t, lines = timed(lambda: q.hierarchy(con, args.symbol))
            print(f"{'vanban hierarchy':<44}{t:>9.3f}{len(lines):>7}")
        except DataError as exc:
            print(f"queries skipped: {exc}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
