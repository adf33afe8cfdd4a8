"""`vanban stage`: run a single pipeline stage as its own step (used by dvc.yaml)."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.common import console, settings_from
from pipeline.registry import STAGE_ORDER
from pipeline.runner import run_stage_step, write_outputs


def stage(
    name: str = typer.Argument(..., help=f"Stage name: {', '.join(STAGE_ORDER)}."),
    inputs: list[Path] = typer.Argument(
        ..., help="Input files/folders (ingest) or the previous stage's folder."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for this stage's documents."),
    tables: Path | None = typer.Option(
        None, "--tables", help="Also write the Parquet tables here (last stage)."
    ),
    params: Path | None = typer.Option(None, "--params", help="params.yaml to read."),
) -> None:
    """Run stage NAME over INPUTS, writing one JSON document per input into --out."""
    if name not in STAGE_ORDER:
        console.print(f"[red]error:[/] unknown stage {name!r}; known: {', '.join(STAGE_ORDER)}")
        raise typer.Exit(2)
    settings = settings_from(params)
    docs = run_stage_step(name, inputs, out, settings)
    failed = sum(1 for d in docs if d.status == "failed")
    console.print(f"{name}: {len(docs)} documents, {failed} failed → {out}")
    if tables is not None:
        counts = write_outputs(docs, tables)
        console.print(f"tables → {tables}: {counts}")


def register(app: typer.Typer) -> None:
    app.command("stage")(stage)
