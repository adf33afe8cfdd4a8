"""`vanban lm adapt`: learn a restoration model from an archive's own clean documents."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.common import console, fail
from pipeline.errors import VanbanError

lm_app = typer.Typer(help="The restoration language model.", no_args_is_help=True)


@lm_app.command("adapt")
def adapt(
    folder: Path = typer.Argument(..., help="Folder of .txt documents (clean ones are used)."),
    out: Path = typer.Option(..., "-o", "--out", help="Where to write the adapted model."),
    base: Path | None = typer.Option(None, "--base", help="Model to start from (default)."),
) -> None:
    """Add the counts of FOLDER's clean (already marked) documents to a model."""
    from pipeline.lm import adapt_on_files

    if not folder.is_dir():
        fail(f"{folder} is not a folder", 2)
    try:
        used, seen = adapt_on_files(sorted(folder.rglob("*.txt")), out, base)
    except VanbanError as exc:
        fail(exc)
    console.print(f"adapted on {used} of {seen} text file(s) -> {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(lm_app, name="lm")
