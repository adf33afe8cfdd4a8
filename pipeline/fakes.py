"""Fault-injecting fake stages for tests of the runner and its engines.

They live in the package (not in tests/) so that worker processes of a pool or a
Dask cluster can import them by name like any other stage.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.models import Document, Page, SourceKind
from pipeline.registry import stage
from pipeline.settings import Settings


@stage("fake_read")
def fake_read(doc: Document, settings: Settings) -> Document:
    """The file's UTF-8 text as the source text, one page."""
    doc.kind = SourceKind.TEXT
    doc.source_text = Path(doc.source_path).read_text("utf-8")
    doc.pages = [Page(1, 0, len(doc.source_text))]
    return doc


@stage("fake_crash")
def fake_crash(doc: Document, settings: Settings) -> Document:
    """Crashes on text containing CRASH, kills its worker on DIE; else takes the first word
    as the document's symbol."""
    if "CRASH" in doc.text:
        raise RuntimeError("injected failure")
    if "DIE" in doc.text:
        os._exit(13)
    doc.meta.symbol = doc.text.split()[0] if doc.text.split() else None
    return doc
