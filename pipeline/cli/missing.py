"""`vanban missing`: the most-cited documents that are not in the archive yet."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline import query as q
from pipeline.cli.common import fail
from pipeline.cli.query import DATA_OPTION, FORMAT_OPTION, Format, emit
from pipeline.errors import VanbanError


def missing(
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many to list."),
    data: Path = DATA_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List cited documents missing from the archive, most cited first."""
    try:
        df = q.missing(data, limit)
    except VanbanError as exc:
        fail(exc)
    emit(df, fmt, title="Cited documents not in the archive")


def register(app: typer.Typer) -> None:
    app.command("missing")(missing)
