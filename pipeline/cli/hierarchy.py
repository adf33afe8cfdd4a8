"""`vanban hierarchy SYMBOL`: the chain of documents implementing a resolution, as a tree."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from pipeline import query as q
from pipeline.cli.common import fail, out
from pipeline.cli.query import DATA_OPTION, FORMAT_OPTION, Format, emit
from pipeline.errors import VanbanError


def hierarchy(
    symbol: str = typer.Argument(..., help="Symbol of the top document, e.g. 57-NQ/TW."),
    depth: int = typer.Option(8, "--depth", "-n", min=1, help="Deepest level shown."),
    data: Path = DATA_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Show SYMBOL and the documents under it, each at its longest distance from it."""
    try:
        lines = q.hierarchy(data, symbol, max_depth=depth)
    except VanbanError as exc:
        fail(exc)
    if fmt == Format.table:
        out.print(q.render_tree(lines), markup=False, highlight=False, soft_wrap=True)
        return
    df = pd.DataFrame(
        [
            {
                "depth": x.depth,
                "key": x.key,
                "label": x.label,
                "relation": x.relation,
                "repeat": x.repeat,
            }
            for x in lines
        ]
    )
    emit(df, fmt)


def register(app: typer.Typer) -> None:
    app.command("hierarchy")(hierarchy)
