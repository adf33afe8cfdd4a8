"""Stage registry: every stage is a named function Document -> Document.

A stage module registers itself with `@stage(name, requires=..., assigns=...)`;
the runner, the CLI, DVC and the tests look stages up by name here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.models import Document
from pipeline.settings import STAGE_ORDER, Settings

StageFn = Callable[[Document, Settings], Document]


@dataclass(frozen=True)
class StageInfo:
    name: str
    fn: StageFn
    requires: tuple[str, ...]
    assigns: tuple[str, ...]
    doc: str


_STAGES: dict[str, StageInfo] = {}


def stage(
    name: str, *, requires: tuple[str, ...] = (), assigns: tuple[str, ...] = ()
) -> Callable[[StageFn], StageFn]:
    """Register a stage function under `name`."""

    def wrap(fn: StageFn) -> StageFn:
        _STAGES[name] = StageInfo(name, fn, requires, assigns, (fn.__doc__ or "").strip())
        return fn

    return wrap


def get_stage(name: str) -> StageInfo:
    """The registered stage `name` (importing `pipeline.<name>` on first use)."""
    if name not in _STAGES:
        if name.startswith("fake_"):
            importlib.import_module("pipeline.fakes")
        elif name in STAGE_ORDER:
            importlib.import_module(f"pipeline.{name}")
        else:
            raise KeyError(f"unknown stage {name!r}; known: {', '.join(STAGE_ORDER)}")
    return _STAGES[name]
