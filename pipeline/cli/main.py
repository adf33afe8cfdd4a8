"""Entry point of the `vanban` command: assembles the commands from their modules."""

from __future__ import annotations

import importlib
import sys

import typer

from pipeline import __version__

COMMAND_MODULES = (
    "run",
    "ocr",
    "restore",
    "lm",
    "cites",
    "cited_by",
    "hierarchy",
    "missing",
    "tasks",
    "query",
    "report",
    "stage",
)

app = typer.Typer(
    name="vanban",
    help=(
        "OCR cleanup and document intelligence for Vietnamese official documents: "
        "staged OCR, diacritic restoration, sections, citations, assignments and a "
        "Parquet citation graph you can query."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vanban {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """vanban: Vietnamese official documents -> restored text and a citation graph."""


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"pipeline.cli.{_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"pipeline.cli.{_name}":
            raise
        continue
    _module.register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; finished documents are kept, re-run to resume\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
