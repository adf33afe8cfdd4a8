"""Helpers shared by the CLI commands: settings, errors, safe output names."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from pipeline.errors import VanbanError
from pipeline.settings import Settings, load_params

# Piped or captured output is not cut to 80 columns: tables keep whole symbols and names.
_WIDTH = None if sys.stdout.isatty() else 200
console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)
out = Console(width=_WIDTH)

PARAMS_FILE = Path("params.yaml")


def settings_from(params: Path | None = None, **overrides: object) -> Settings:
    """Settings from params.yaml (when present) with CLI overrides applied."""
    try:
        base = load_params(params if params is not None else PARAMS_FILE)
        return base.with_(**overrides)
    except VanbanError as exc:
        fail(exc)


def fail(exc: VanbanError | str, exit_code: int | None = None) -> NoReturn:
    """Print a one-line error and exit with the error's code."""
    console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    code = exit_code if exit_code is not None else getattr(exc, "exit_code", 1)
    raise typer.Exit(code)


_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def safe_name(name: str, suffix: str = "") -> str:
    """A file name that stays inside its folder whatever the input name was."""
    base = Path(name.replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).lstrip(".") or "document"
    return base + suffix
