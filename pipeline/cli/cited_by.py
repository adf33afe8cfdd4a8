"""`vanban cited-by DOC`: what one document cites, with relation and evidence."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline import query as q
from pipeline.cli.common import fail
from pipeline.cli.query import DATA_OPTION, FORMAT_OPTION, Format, emit
from pipeline.errors import VanbanError


def cited_by(
    doc: str = typer.Argument(..., help="Symbol, doc_id or file name of an archive document."),
    data: Path = DATA_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List the documents cited by DOC (relation, type, issuer, date, in archive or not)."""
    try:
        df = q.cited_by(data, doc)
    except VanbanError as exc:
        fail(exc)
    cols = ["symbol", "relation", "doc_type", "issuer", "issued_date", "in_archive", "evidence"]
    emit(df[cols], fmt, title=f"{len(df)} document(s) cited by {doc}", max_width=50)


def register(app: typer.Typer) -> None:
    app.command("cited-by")(cited_by)
