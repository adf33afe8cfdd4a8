"""`vanban run`: the whole pipeline over files and folders into Parquet tables."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.cli.common import console, fail, settings_from
from pipeline.errors import VanbanError
from pipeline.runner import BatchResult, DocSummary, discover, run_batch
from pipeline.settings import Settings


def run(
    paths: list[Path] = typer.Argument(..., help="Input files or folders (.txt, .pdf, images)."),
    out: Path = typer.Option(Path("data"), "--out", "-o", help="Output folder for the tables."),
    workers: int | None = typer.Option(
        None, "--workers", "-w", help="Worker processes (default: all cores)."
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="Dask scheduler address (tcp://host:8786), or 'local' for a local cluster.",
    ),
    model: Path | None = typer.Option(
        None, "--model", help="Restoration language model (default: the bundled one)."
    ),
    adapt: bool = typer.Option(
        False, "--adapt", help="Adapt the language model on the batch's clean documents first."
    ),
    no_restore: bool = typer.Option(False, "--no-restore", help="Skip diacritic restoration."),
    dpi: int | None = typer.Option(None, "--dpi", help="Rasterisation DPI for scanned PDFs."),
    force: bool = typer.Option(False, "--force", help="Reprocess documents already done."),
    params: Path | None = typer.Option(
        None, "--params", help="A params.yaml to read settings from."
    ),
) -> None:
    """Run the whole pipeline over PATHS and write the tables into --out.

    A re-run skips documents already processed with the same settings, so an
    interrupted batch resumes where it stopped. Bad inputs never stop the batch: each
    gets a status row and a one-line error; the exit status is 1 when any failed.
    """
    settings = settings_from(
        params,
        workers=workers,
        scheduler=scheduler,
        lm_model=model,
        dpi=dpi,
        restore=False if no_restore else None,
    )
    if adapt:
        settings = _adapted(paths, out, settings)
    missing = [p for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(map(str, missing))}", 2)

    progress = Progress(
        TextColumn("[bold]vanban run"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    with progress:
        task = progress.add_task("docs", total=None, last="")

        def on_start(total: int, cached: int) -> None:
            progress.update(task, total=total)
            if cached:
                console.print(f"resuming: {cached} of {total} documents already done")

        def on_result(summary: DocSummary) -> None:
            progress.update(task, advance=1, last=Path(summary.source_path).name[:40])

        try:
            result = run_batch(
                paths, out, settings, on_result=on_result, on_start=on_start, force=force
            )
        except VanbanError as exc:
            fail(exc)
    _print_summary(result)
    if result.failed:  # the batch completed, but say so to scripts: exit status 1
        raise typer.Exit(1)


def _adapted(paths: list[Path], out: Path, settings: Settings) -> Settings:
    """Settings whose model is adapted on the batch's clean (already marked) documents."""
    from pipeline import lm

    adapt = getattr(lm, "adapt_on_files", None)
    if adapt is None:
        fail("--adapt needs pipeline.lm.adapt_on_files, which this build lacks")
    model_path = out / ".work" / "adapted.model"
    used, seen = adapt(discover(paths), model_path, base=settings.lm_model)
    console.print(f"adapted the language model on {used} of {seen} text documents with marks")
    return settings.with_(lm_model=model_path)


def _print_summary(result: BatchResult) -> None:
    table = Table(title=f"vanban run → {result.out_dir}", show_lines=False)
    for col in ("file", "status", "type", "symbol", "citations", "pages", "seconds", "error"):
        table.add_column(col, overflow="fold")
    for d in result.documents:
        style = {"failed": "red", "warning": "yellow"}.get(d.status, "")
        table.add_row(
            Path(d.source_path).name,
            f"[{style}]{d.status}[/]" if style else d.status,
            d.doc_type or "",
            d.symbol or "",
            str(d.citations),
            str(d.pages),
            "cached" if d.cached else f"{d.seconds:.2f}",
            d.error or "",
        )
    for path, doc_id in result.duplicates:
        table.add_row(Path(path).name, "skipped", "", "", "", "", "", f"duplicate of {doc_id}")
    console.print(table)
    ok = sum(1 for d in result.documents if d.status != "failed")
    console.print(
        f"{ok} of {len(result.documents)} documents processed, {len(result.failed)} failed, "
        f"{result.table_rows.get('citations', 0)} citations, in {result.seconds:.1f} s"
    )


def register(app: typer.Typer) -> None:
    app.command("run")(run)
