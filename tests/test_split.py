"""The held-out split holds: nothing the default model trains on shares a long run with eval.

benchmarks/restore_split.md makes it a rule; this test makes it a check. Administrative
formulae recur in every official document, so a hand-written training phrase can repeat
an evaluation sentence without anyone copying it: any 8-word run shared between the
training-side text and benchmarks/corpus/eval fails the build.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.textutil import strip_marks

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "benchmarks" / "corpus" / "eval"
RUN = 8


def runs(text: str, n: int = RUN) -> set[tuple[str, ...]]:
    """Every n-word run of a text, words case- and mark-folded."""
    words = re.findall(r"[^\W_]+", strip_marks(text).lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def training_lines() -> list[tuple[str, str]]:
    """(file, line) of the hand-written training text of the default model."""
    out = []
    for path in sorted((ROOT / "dictionaries" / "restore").glob("*.txt")):
        if path.name in {"syllables.txt", "foreign_words.txt"}:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                out.append((path.name, line))
    return out


@pytest.mark.parametrize(
    ("a", "b", "shared"),
    [
        ("một hai ba bốn năm sáu bảy tám", "Mot hai ba bon nam sau bay tam chin", True),
        ("một hai ba bốn năm sáu bảy", "một hai ba bốn năm sáu bảy", False),  # 7 words
    ],
)
def test_runs_fold_case_and_marks(a: str, b: str, shared: bool) -> None:
    assert bool(runs(a) & runs(b)) is shared


@pytest.mark.skipif(not EVAL.is_dir(), reason="no held-out corpus")
def test_training_phrases_share_no_run_with_eval() -> None:
    held_out: set[tuple[str, ...]] = set()
    for path in EVAL.glob("*.txt"):
        if ".ocr-" not in path.name:
            held_out |= runs(path.read_text(encoding="utf-8"))
    leaks = [f"{name}: {line}" for name, line in training_lines() if runs(line) & held_out]
    assert not leaks, "training lines sharing an 8-word run with eval:\n" + "\n".join(leaks)
