"""`vanban cites SYMBOL`: the documents that cite SYMBOL, directly or transitively."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline import query as q
from pipeline.cli.common import fail
from pipeline.cli.query import DATA_OPTION, FORMAT_OPTION, Format, emit
from pipeline.errors import VanbanError


def cites(
    symbol: str = typer.Argument(..., help="Symbol of the cited document, e.g. 57-NQ/TW."),
    depth: int = typer.Option(1, "--depth", "-n", min=1, help="1 = direct citers only."),
    all_nodes: bool = typer.Option(
        False, "--all", help="Also list cited documents outside the archive that cite it."
    ),
    data: Path = DATA_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List the documents citing SYMBOL: their own symbol and source file, one per line."""
    try:
        df = q.cites(data, symbol, depth, archive_only=not all_nodes)
    except VanbanError as exc:
        fail(exc)
    cols = ["symbol", "file_name", "depth", "via", "doc_type", "issuer", "issued_date"]
    if all_nodes:
        cols.append("in_archive")
    emit(df[cols], fmt, title=f"{len(df)} document(s) citing {symbol}")


def register(app: typer.Typer) -> None:
    app.command("cites")(cites)
