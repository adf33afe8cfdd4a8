"""One validated settings object for a run, loaded from params.yaml and CLI options."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pipeline.errors import SettingsError

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_DICTIONARIES = PACKAGE_DIR.parent / "dictionaries"
# The pipeline's stages in their order (each is pipeline/<name>.py).
STAGE_ORDER = ("ingest", "ocr", "normalize", "restore", "segment", "extract", "graph")


@dataclass(frozen=True)
class Settings:
    """Every knob of the pipeline, with the defaults a newcomer should get."""

    dictionaries: Path = DEFAULT_DICTIONARIES
    # ingest
    dpi: int = 300
    max_pixels: int = 120_000_000  # refuse larger images before decoding them
    max_file_bytes: int = 512 * 1024 * 1024
    # ocr
    ocr_lang: str = "vie"
    ocr_psm: int = 3
    ocr_min_confidence: float = 80.0  # page mean below this triggers a second pass
    ocr_low_word_confidence: float = 60.0  # words below this are flagged for review
    ocr_preprocess: bool = True
    # restore
    restore: bool = True
    lm_model: Path | None = None  # None: the default model in dictionaries/
    restore_low_confidence: float = 0.5
    # run
    workers: int = field(default_factory=lambda: len(os.sched_getaffinity(0)) or 1)
    scheduler: str | None = None  # Dask scheduler address; None = local process pool
    # graph
    graph_partition_threshold: int = 50_000  # above this many nodes, hive-partitioned tables
    stages: tuple[str, ...] = STAGE_ORDER

    def __post_init__(self) -> None:
        if not 72 <= self.dpi <= 1200:
            raise SettingsError(f"dpi must be between 72 and 1200, got {self.dpi}")
        if self.workers < 1:
            raise SettingsError(f"workers must be at least 1, got {self.workers}")
        if self.max_pixels < 1_000_000:
            raise SettingsError(f"max_pixels is too small: {self.max_pixels}")
        if not 0 <= self.ocr_min_confidence <= 100:
            raise SettingsError("ocr_min_confidence must be within 0..100")
        known = ("ingest", "ocr", "normalize", "restore", "segment", "extract", "graph")
        unknown = [s for s in self.stages if s not in known and not s.startswith("fake_")]
        if unknown:
            raise SettingsError(
                f"unknown stage(s): {', '.join(unknown)}; known: {', '.join(known)}"
            )

    def with_(self, **changes: Any) -> Settings:
        """A copy with some values changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Settings:
        """Build from a flat mapping such as params.yaml's `pipeline:` block."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        values: dict[str, Any] = dict(data)
        for key in ("dictionaries", "lm_model"):
            if values.get(key) is not None:
                values[key] = Path(values[key])
        if "stages" in values:
            values["stages"] = tuple(values["stages"])
        return cls(**values)


def load_params(path: Path | None = None) -> Settings:
    """Settings from a params.yaml (its `pipeline:` block); defaults when absent."""
    if path is None or not path.exists():
        return Settings()
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Settings.from_mapping(data.get("pipeline", {}) or {})
