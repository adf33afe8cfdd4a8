"""`vanban query "SQL"`: DuckDB SQL over the Parquet tables; also the shared output helper."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from pipeline import query as q
from pipeline.cli.common import fail, out
from pipeline.errors import VanbanError


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


DATA_OPTION = typer.Option(Path("data"), "--data", "-d", help="Folder with the Parquet tables.")
FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="table, csv or json.")


def emit(
    df: pd.DataFrame,
    fmt: Format,
    title: str = "",
    max_width: int = 70,
    keep: tuple[str, ...] = ("symbol", "file_name", "key", "document", "deadline_date"),
) -> None:
    """Print a DataFrame as a rich table (one line per row), CSV or JSON records.

    Columns named in `keep` are never shortened; the others are cut with an ellipsis
    when the terminal is narrow.
    """
    if fmt == Format.csv:
        out.print(df.to_csv(index=False), end="", markup=False, highlight=False, soft_wrap=True)
        return
    if fmt == Format.json:
        records = json.loads(df.to_json(orient="records", force_ascii=False, date_format="iso"))
        out.print(
            json.dumps(records, ensure_ascii=False, indent=1),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return
    table = Table(title=title or None, show_lines=False)
    for col in df.columns:
        width = None
        if col in keep and len(df):
            width = max(len(str(col)), *(len(str(v)) for v in df[col]))
        table.add_column(
            str(col), no_wrap=True, overflow="ellipsis", max_width=max_width, min_width=width
        )
    for row in df.itertuples(index=False):
        table.add_row(*("" if pd.isna(v) else str(v) for v in row))
    out.print(table)


def query(
    sql: str = typer.Argument(..., help="SQL over documents, citations, nodes, graph_edges..."),
    data: Path = DATA_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Run DuckDB SQL over the tables of --data (registered as views)."""
    try:
        emit(q.sql(data, sql), fmt)
    except VanbanError as exc:
        fail(exc)


def register(app: typer.Typer) -> None:
    app.command("query")(query)
