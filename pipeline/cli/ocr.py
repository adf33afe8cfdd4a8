"""`vanban ocr`: text per input file (staged OCR for scans, the text layer for PDFs)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from pipeline.cli.common import console, fail, safe_name, settings_from
from pipeline.models import Status
from pipeline.runner import new_document, run_stages
from pipeline.store import atomic_write_text


def ocr(
    files: list[Path] = typer.Argument(..., help="PDFs, images or text files."),
    out: Path = typer.Option(..., "-o", "--out", help="Folder for <input stem>.txt files."),
    lang: str | None = typer.Option(None, "--lang", help="Tesseract language (default vie)."),
    dpi: int | None = typer.Option(None, "--dpi", help="Rasterisation DPI for scanned PDFs."),
    workers: int | None = typer.Option(None, "--workers", "-w", help="Page workers."),
) -> None:
    """Write the text of each input as OUT/<input stem>.txt."""
    settings = settings_from(ocr_lang=lang, dpi=dpi, workers=workers)
    out.mkdir(parents=True, exist_ok=True)
    targets = [safe_name(Path(p.name).stem, ".txt") for p in files]
    if len(set(targets)) < len(targets):
        fail("two inputs share a file stem (a.pdf, a.png): OCR them into separate folders", 2)
    failures = 0
    with Progress(console=console) as progress:
        task = progress.add_task("ocr", total=len(files))
        for path in files:
            try:
                doc = new_document(path, settings)
                doc = run_stages(doc, settings, ("ingest", "ocr"))
            except Exception as exc:
                console.print(f"[red]failed[/] {path.name}: {exc}", highlight=False)
                failures += 1
                progress.advance(task)
                continue
            if doc.status == Status.FAILED:
                console.print(f"[red]failed[/] {path.name}: {doc.error}", highlight=False)
                failures += 1
            else:
                target = out / safe_name(Path(path.name).stem, ".txt")
                atomic_write_text(target, doc.source_text)
                conf = [p.confidence for p in doc.pages if p.confidence is not None]
                note = f" (confidence {sum(conf) / len(conf):.0f})" if conf else ""
                console.print(f"[green]ok[/] {path.name} → {target}{note}", highlight=False)
            progress.advance(task)
    if failures:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("ocr")(ocr)
