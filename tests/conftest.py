"""Shared fixtures: the seed samples and their gold, and one pipeline run over them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# CI machines are shared and slow at times: no per-example deadline, ever.
settings.register_profile("vanban", deadline=None)
settings.load_profile("vanban")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
# The gold lives in ../shared/gold; tests/gold is a copy so a clone elsewhere still tests.
SHARED_GOLD = ROOT.parent / "shared" / "gold"
GOLD_DIR = SHARED_GOLD if SHARED_GOLD.is_dir() else Path(__file__).parent / "gold"


def load_gold() -> dict[str, dict[str, Any]]:
    """Gold extraction per seed file stem."""
    return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(GOLD_DIR.glob("*.json"))}


@pytest.fixture(scope="session")
def gold() -> dict[str, dict[str, Any]]:
    return load_gold()


@pytest.fixture(scope="session")
def samples_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole pipeline over the seed texts, once per test session."""
    from pipeline.runner import run_batch
    from pipeline.settings import Settings

    out = tmp_path_factory.mktemp("samples_run")
    seeds = sorted(SAMPLES.glob("0*.txt"))
    run_batch(seeds, out, Settings(workers=2))
    return out
