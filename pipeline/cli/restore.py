"""`vanban restore`: restored text (marks put back, OCR confusions undone) per input."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from pipeline.cli.common import console, fail, safe_name, settings_from
from pipeline.errors import VanbanError
from pipeline.store import atomic_write_text


def restore(
    files: list[Path] = typer.Argument(None, help="Text files (none: read standard input)."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Folder for OUT/<name> files."),
    model: Path | None = typer.Option(
        None, "--model", help="Language model (default: the bundled one)."
    ),
    changes: bool = typer.Option(False, "--changes", help="List each change on stderr."),
) -> None:
    """Restore the text of each FILE (into OUT/<name> with -o, else to standard output),
    or standard input to standard output."""
    from pipeline.normalize import normalize_text
    from pipeline.restore import load_model, restore_text

    settings = settings_from(lm_model=model)
    try:
        lm = load_model(str(settings.lm_model) if settings.lm_model else None)
    except VanbanError as exc:
        fail(exc)
    if not files:
        text, found, _ = restore_text(
            normalize_text(sys.stdin.read()), lm, low_confidence=settings.restore_low_confidence
        )
        sys.stdout.write(text)
        _report(found, changes)
        return
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        if any(p.resolve().parent == out.resolve() for p in files):
            fail("-o is the folder of an input: restored files would replace the originals", 2)
    names = [safe_name(p.name) for p in files]
    if out is not None and len(set(names)) < len(names):
        fail("two inputs have the same file name; restore them into separate folders", 2)
    failed = 0
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            console.print(f"[red]skip[/] {path}: {exc}", highlight=False)
            failed += 1
            continue
        text, found, _ = restore_text(
            normalize_text(source), lm, low_confidence=settings.restore_low_confidence
        )
        if out is None:  # no folder: the restored text goes to standard output
            if len(files) > 1:
                sys.stdout.write(f"==> {path.name} <==\n")
            sys.stdout.write(text)
        else:
            atomic_write_text(out / safe_name(path.name), text)
        console.print(f"{path.name}: {len(found)} token(s) restored", highlight=False)
        _report(found, changes)
    if failed:
        raise typer.Exit(1)


def _report(found: list, show: bool) -> None:
    if show:
        for ch in found:
            flag = " ?" if ch.low_confidence else ""
            console.print(f"{ch.start}\t{ch.original} -> {ch.chosen}\t{ch.confidence:.2f}{flag}")


def register(app: typer.Typer) -> None:
    app.command("restore")(restore)
