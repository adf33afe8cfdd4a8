"""`vanban report`: one self-contained HTML file with the hierarchy graph and documents."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.common import console, fail
from pipeline.cli.query import DATA_OPTION
from pipeline.errors import VanbanError


def report(
    data: Path = DATA_OPTION,
    output: Path = typer.Option(Path("report.html"), "--output", "-o", help="HTML file to write."),
) -> None:
    """Write an HTML report (no network needed to view it) of the tables in --data."""
    from pipeline.report import write_report

    try:
        path = write_report(data, output)
    except VanbanError as exc:
        fail(exc)
    console.print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
