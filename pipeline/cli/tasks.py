"""`vanban tasks --unit NAME`: tasks given to units, with their deadlines."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline import query as q
from pipeline.cli.common import fail
from pipeline.cli.query import DATA_OPTION, FORMAT_OPTION, Format, emit
from pipeline.errors import VanbanError


def tasks(
    unit: str | None = typer.Option(
        None, "--unit", "-u", help="Part of the unit's name (marks and case ignored)."
    ),
    data: Path = DATA_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List assignments (unit, role, task, deadline), earliest deadline first."""
    try:
        df = q.tasks(data, unit)
    except VanbanError as exc:
        fail(exc)
    emit(df, fmt, title=f"{len(df)} task(s)" + (f" for '{unit}'" if unit else ""), max_width=60)


def register(app: typer.Typer) -> None:
    app.command("tasks")(tasks)
