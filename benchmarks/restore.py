"""Benchmark of diacritic restoration on held-out administrative text, baselines beside it.

Held-out text: the clean documents of benchmarks/corpus/eval/ (never used to train, tune
or write rules; see benchmarks/restore_split.md). Two conditions:
  * stripped — every mark removed (đ -> d), as text typed without marks;
  * OCR-eng  — the documents rendered as pages (pipeline.synth, mild damage) and read by
    Tesseract with `eng`: `<stem>.ocr-eng.txt` beside each document, or made here into
    benchmarks/.cache/ when missing.
Systems: the input as is; pyvi's ViUtils.add_accents (crashes counted, the line kept);
vanban with the default model; vanban with the default model adapted on
benchmarks/corpus/adapt/. Metric: word accuracy = 1 - WER over word tokens (NFC, tone
placement folded to one style), case-folded and cased.

Run: .venv/bin/python benchmarks/restore.py [--eval DIR] [--adapt DIR] [--no-pyvi]

Speed (`--speed`, no accuracy, nothing read from eval/): words per second on one core
(CPU time of this process, pinned to one CPU) after the model is loaded and the compiled
kernels are ready, on development text only — stripped: samples 003 and 004 and the clean
adapt/ documents with their marks removed; OCR-eng: samples 000 and 002 and the adapt/
documents' existing `.ocr-eng.txt` copies. "cold" empties the per-token candidate caches
first (every word new to the process; indexes of the model itself, such as the skeletons'
neighbour table, are built once in the warm-up), "warm" passes keep them; each figure is
the best of REPEATS passes. The pure-Python decoder and channel (VANBAN_NO_NUMBA) run beside the
compiled ones in the same process.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
import zlib
from collections.abc import Callable
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from pipeline import lm
from pipeline.normalize import normalize_text
from pipeline.restore import load_model, restore_text
from pipeline.textutil import strip_marks
from pipeline.vnsyllable import restyle

ROOT = Path(__file__).resolve().parent
EVAL = ROOT / "corpus" / "eval"
ADAPT = ROOT / "corpus" / "adapt"
CACHE = ROOT / ".cache" / "restore-ocr"


def words(text: str, cased: bool) -> list[str]:
    """Word tokens for scoring: NFC, one tone placement, optionally lower-cased."""
    toks = [restyle(w) for w in re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text))]
    return toks if cased else [w.lower() for w in toks]


def accuracy(ref: str, hyp: str, cased: bool) -> tuple[int, int]:
    """(errors, reference words) of a hypothesis text."""
    r, h = words(ref, cased), words(hyp, cased)
    return Levenshtein.distance(r, h), len(r)


def sources(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.glob("*.txt") if ".ocr-" not in p.name and not p.name.endswith(".gt.txt")
    )


def ocr_copy(src: Path) -> str:
    """The OCR-eng copy of a document: the corpus's own, or one made here the same way."""
    ready = src.with_name(f"{src.stem}.ocr-eng.txt")
    if ready.exists():
        return ready.read_text(encoding="utf-8")
    cached = CACHE / f"{src.stem}.ocr-eng.txt"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    from pipeline.synth import degrade, render_pages

    seed = zlib.crc32(src.stem.encode("utf-8")) % 1_000_000
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        pages = render_pages(src.read_text(encoding="utf-8"), dpi=300, seed=seed)
        for n, (page, _) in enumerate(pages, start=1):
            img = degrade(page, seed=seed * 1000 + 100 + n, level="mild")
            png = Path(tmp) / f"p{n}.png"
            img.save(png)
            run = subprocess.run(
                ["tesseract", str(png), "-", "-l", "eng", "--dpi", "300"],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            )
            out.append(run.stdout.replace("\x0c", "").strip("\n"))
    CACHE.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join(out) + "\n"
    cached.write_text(text, encoding="utf-8")
    return text


class Pyvi:
    """pyvi's add_accents line by line; a crashing line is kept as it was and counted."""

    def __init__(self) -> None:
        from pyvi import ViUtils

        self.fn = ViUtils.add_accents
        self.crashes = 0

    def __call__(self, text: str) -> str:
        out = []
        for line in text.split("\n"):
            try:
                out.append(str(self.fn(line)) if line.strip() else line)
            except Exception:  # pyvi raises on some inputs; that is what we count
                self.crashes += 1
                out.append(line)
        return "\n".join(out)


def vanban(model_path: Path | None) -> Callable[[str], str]:
    model = load_model(str(model_path) if model_path else None)

    def run(text: str) -> str:
        return restore_text(normalize_text(text), model)[0]

    return run


SAMPLES = ROOT.parent / "samples"
REPEATS = 3


def speed_inputs(adapt: Path) -> dict[str, list[str]]:
    """Development texts for timing (never eval/): stripped and OCR-eng."""
    clean = sorted(SAMPLES.glob("003_*.txt")) + sorted(SAMPLES.glob("004_*.txt")) + sources(adapt)
    ocr = sorted(SAMPLES.glob("000_*.txt")) + sorted(SAMPLES.glob("002_*.txt"))
    ocr += sorted(adapt.glob("*.ocr-eng.txt"))
    return {
        "stripped": [normalize_text(strip_marks(p.read_text(encoding="utf-8"))) for p in clean],
        "ocr-eng": [normalize_text(p.read_text(encoding="utf-8")) for p in ocr],
    }


def speed_table(adapt: Path) -> int:
    """Words per second of restoration on one core, pure Python beside compiled."""
    from pipeline import candidates, decode, lattice

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    t0, c0 = time.perf_counter(), time.process_time()
    lm._CACHE.clear()
    model = load_model(None)
    load_wall, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    compiled = decode.available()  # imports numba: from here on compiled code is used
    restore_text("Can cu Nghi quyet so 57", model, "stripped")
    restore_text("Can ctr Nghi quyét s6 57", model, "ocr")
    ready = time.perf_counter() - t0
    print(f"model loaded in {load_wall:.2f}s ({load_cpu:.2f}s CPU); compiled kernels ready")
    print(f"in {ready:.2f}s more (numba import + on-disk cache)" if compiled else "(no numba)")
    inputs = speed_inputs(adapt)
    header = f"{'decoder':24} {'text':9} {'words':>7} {'cold w/s':>10} {'warm w/s':>10}"
    print(header)
    print("-" * len(header))
    systems = [("pure Python (before)", "1")] + ([("compiled (numba)", "")] if compiled else [])
    for name, flag in systems:
        os.environ["VANBAN_NO_NUMBA"] = flag
        for cond, texts in inputs.items():
            n = sum(len(t.split()) for t in texts)
            rates = []
            for run in ("cold", "warm"):
                took = []
                for _ in range(REPEATS):  # the best of a few passes: the machine is shared
                    if run == "cold":
                        for cached in (candidates.candidates, candidates.choices):
                            cached.cache_clear()
                        lattice._slot_content.cache_clear()
                        candidates._near_cache.cache_clear()
                    c = time.process_time()
                    for text in texts:
                        restore_text(text, model)
                    took.append(time.process_time() - c)
                rates.append(n / min(took))
            print(f"{name:24} {cond:9} {n:7d} {rates[0]:10,.0f} {rates[1]:10,.0f}")
    os.environ.pop("VANBAN_NO_NUMBA", None)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--eval", type=Path, default=EVAL)
    parser.add_argument("--adapt", type=Path, default=ADAPT)
    parser.add_argument("--no-pyvi", action="store_true")
    parser.add_argument("--speed", action="store_true", help="words/s only (development text)")
    args = parser.parse_args(argv)
    if args.speed:
        return speed_table(args.adapt)

    docs = sources(args.eval)
    if not docs:
        print(f"no held-out documents in {args.eval}", file=sys.stderr)
        return 1
    refs = [d.read_text(encoding="utf-8") for d in docs]
    conditions = {
        "stripped": [strip_marks(r) for r in refs],
        "ocr-eng": [ocr_copy(d) for d in docs],
    }
    systems: dict[str, Callable[[str], str]] = {"input as is": lambda t: t}
    pyvi = None
    if not args.no_pyvi:
        try:
            pyvi = Pyvi()
            systems["pyvi add_accents"] = pyvi
        except ImportError:
            print("pyvi not installed: baseline skipped", file=sys.stderr)
    t0 = time.perf_counter()
    systems["vanban (default model)"] = vanban(None)
    load_s = time.perf_counter() - t0
    adapt_docs = sources(args.adapt) if args.adapt.is_dir() else []
    if adapt_docs:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "adapted.pkl"
            used, _ = lm.adapt_on_files(adapt_docs, path)
            systems[f"vanban (adapted, {used} docs)"] = vanban(path)

    print(
        f"held-out: {len(docs)} documents from {args.eval}, "
        f"{sum(len(words(r, False)) for r in refs)} words; default model loaded in {load_s:.2f}s"
    )
    header = f"{'system':30} {'stripped':>9} {'cased':>7} {'ocr-eng':>9} {'cased':>7}"
    print(header)
    print("-" * len(header))
    speed = ""
    for name, fn in systems.items():
        cells = []
        for cond, inputs in conditions.items():
            t = time.perf_counter()
            outs = [fn(x) for x in inputs]
            took = time.perf_counter() - t
            if name.startswith("vanban (default"):
                n = sum(len(x.split()) for x in inputs)
                speed += f"vanban default, {cond}: {n / took:,.0f} words/s"
                speed += f" ({n} words, {took:.2f}s; first run: the compiled decoder"
                speed += " engages after 10,000 words a process, see --speed)\n"
            for cased in (False, True):
                errs = sum(accuracy(r, o, cased)[0] for r, o in zip(refs, outs, strict=True))
                total = sum(len(words(r, cased)) for r in refs)
                cells.append(100.0 * (1 - errs / total))
        print(f"{name:30} {cells[0]:8.2f}% {cells[1]:6.2f}% {cells[2]:8.2f}% {cells[3]:6.2f}%")
    if pyvi is not None:
        print(f"pyvi crashed on {pyvi.crashes} line(s) (kept as input)")
    print(speed.rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
