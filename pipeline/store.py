"""Parquet outputs: per-document rows, atomic writes, schemas derived from the types.

Every table's columns are the fields of its dataclass in `models.py` plus `doc_id`,
so an empty table still has the full schema and DuckDB queries never break on it.
"""

from __future__ import annotations

import json
import os
import tempfile
import types
import typing
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.models import (
    Assignment,
    Citation,
    Document,
    DocumentMeta,
    Edge,
    OcrWord,
    Page,
    Section,
    TokenChange,
)

# Columns of documents.parquet besides the DocumentMeta fields.
_DOC_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("doc_id", pa.string()),
    ("source_path", pa.string()),
    ("file_name", pa.string()),
    ("sha256", pa.string()),
    ("kind", pa.string()),
    ("status", pa.string()),
    ("error", pa.string()),
    ("warnings", pa.list_(pa.string())),
    ("pages", pa.int64()),
    ("ocr_confidence", pa.float64()),
    ("stages_run", pa.list_(pa.string())),
    ("seconds", pa.float64()),
]

_FIELDS_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("doc_id", pa.string()),
    ("field", pa.string()),
    ("value", pa.string()),
    ("start", pa.int64()),
    ("end", pa.int64()),
    ("src_start", pa.int64()),
    ("src_end", pa.int64()),
    ("page", pa.int64()),
    ("confidence", pa.float64()),
]

# table name -> (row type, fields left out of the table)
ROW_TABLES: dict[str, tuple[type, tuple[str, ...]]] = {
    "citations": (Citation, ()),
    "sections": (Section, ()),
    "assignments": (Assignment, ()),
    "changes": (TokenChange, ()),
    "edges": (Edge, ("doc_id",)),
    "pages": (Page, ("words",)),
    "words": (OcrWord, ()),
}
_META_SKIP = ("evidence", "confidence")


def _arrow_type(hint: Any) -> pa.DataType:
    """Arrow type of a dataclass field's type hint."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _arrow_type(args[0]) if len(args) == 1 else pa.string()
    if origin in (list, tuple):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return pa.list_(_arrow_type(args[0]) if args else pa.string())
    if isinstance(hint, type):
        if issubclass(hint, bool):
            return pa.bool_()
        if issubclass(hint, Enum):
            return pa.string()
        if issubclass(hint, int):
            return pa.int64()
        if issubclass(hint, float):
            return pa.float64()
    return pa.string()


def schema_for(cls: type, *, skip: tuple[str, ...] = ()) -> pa.Schema:
    """Arrow schema of a row type: doc_id plus the dataclass's fields."""
    hints = typing.get_type_hints(cls)
    cols = [pa.field("doc_id", pa.string())]
    cols += [
        pa.field(f.name, _arrow_type(hints[f.name]))
        for f in fields(cls)
        if f.name not in skip and f.name != "doc_id"
    ]
    return pa.schema(cols)


def documents_schema() -> pa.Schema:
    meta = schema_for(DocumentMeta, skip=_META_SKIP)
    cols = [pa.field(n, t) for n, t in _DOC_COLUMNS]
    cols += [f for f in meta if f.name != "doc_id"]
    return pa.schema(cols)


def table_schemas() -> dict[str, pa.Schema]:
    """Schemas of every per-document table, by table name."""
    out = {"documents": documents_schema(), "fields": pa.schema(_FIELDS_COLUMNS)}
    for name, (cls, skip) in ROW_TABLES.items():
        out[name] = schema_for(cls, skip=skip)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def _row(obj: Any, doc_id: str, skip: tuple[str, ...]) -> dict[str, Any]:
    assert is_dataclass(obj)
    row = {"doc_id": doc_id}
    for f in fields(obj):
        if f.name in skip or f.name == "doc_id":
            continue
        row[f.name] = _plain(getattr(obj, f.name))
    return row


def document_rows(doc: Document) -> dict[str, list[dict[str, Any]]]:
    """All table rows of one processed document (JSON-serialisable)."""
    confidences = [p.confidence for p in doc.pages if p.confidence is not None]
    drow: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "source_path": doc.source_path,
        "file_name": Path(doc.source_path).name,
        "sha256": doc.sha256,
        "kind": doc.kind.value,
        "status": doc.status.value,
        "error": doc.error,
        "warnings": list(doc.warnings),
        "pages": len(doc.pages),
        "ocr_confidence": sum(confidences) / len(confidences) if confidences else None,
        "stages_run": list(doc.stages_run),
        "seconds": round(sum(doc.timings.values()), 4),
    }
    drow.update(_row(doc.meta, doc.doc_id, _META_SKIP))
    rows: dict[str, list[dict[str, Any]]] = {"documents": [drow]}
    rows["fields"] = [
        {
            "doc_id": doc.doc_id,
            "field": name,
            "value": None if span.value is None else str(span.value),
            "start": span.start,
            "end": span.end,
            "src_start": span.src_start,
            "src_end": span.src_end,
            "page": doc.page_of(span.src_start) if span.src_start >= 0 else None,
            "confidence": doc.meta.confidence.get(name, span.confidence),
        }
        for name, span in doc.meta.evidence.items()
    ]
    items: dict[str, Iterable[Any]] = {
        "citations": doc.citations,
        "sections": doc.sections,
        "assignments": doc.assignments,
        "changes": doc.changes,
        "edges": doc.edges,
        "pages": doc.pages,
        "words": (w for p in doc.pages for w in p.words),
    }
    for name, objs in items.items():
        rows[name] = [_row(o, doc.doc_id, ROW_TABLES[name][1]) for o in objs]
    return rows


def current_umask() -> int:
    """The process umask (read without changing it for good)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~current_umask()


def temp_beside(path: Path) -> Path:
    """A new empty temporary file next to `path`, with the mode a plain open() would give.

    (mkstemp makes files 0600; renamed into place they would be unreadable to others.)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, _FILE_MODE)
    return Path(tmp)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new contents, never a torn one."""
    tmp = temp_beside(path)
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, sort_keys=True))


def rows_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """An Arrow table of row dicts (a column missing in a row becomes null)."""
    return pa.Table.from_pydict(
        {f.name: [r.get(f.name) for r in rows] for f in schema}, schema=schema
    )


def atomic_write_parquet(path: Path, table: pa.Table) -> None:
    """Write a Parquet file so readers see the old or the new table, never a torn one."""
    tmp = temp_beside(path)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_tables(
    out_dir: Path,
    results: Iterable[dict[str, list[dict[str, Any]]]],
    *,
    batch_rows: int = 20_000,
) -> dict[str, int]:
    """Stream per-document rows into the output tables; returns row counts.

    Rows are written in batches, so memory stays flat however large the archive; each
    table goes to a temporary file that replaces the old table only once it is complete.
    """
    schemas = table_schemas()
    out_dir.mkdir(parents=True, exist_ok=True)
    temps = {name: temp_beside(out_dir / f"{name}.parquet") for name in schemas}
    writers = {
        name: pq.ParquetWriter(temps[name], schema, compression="zstd")
        for name, schema in schemas.items()
    }
    buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in schemas}
    counts = dict.fromkeys(schemas, 0)

    def flush(name: str) -> None:
        rows = buffers[name]
        writers[name].write_table(rows_table(rows, schemas[name]))
        counts[name] += len(rows)
        buffers[name] = []

    try:
        for doc_rows in results:
            for name, table_rows in doc_rows.items():
                buffers[name].extend(table_rows)
                if len(buffers[name]) >= batch_rows:
                    flush(name)
        for name in schemas:
            flush(name)
            writers[name].close()
        for name, tmp in temps.items():
            os.replace(tmp, out_dir / f"{name}.parquet")
    finally:
        for name, tmp in temps.items():
            writers[name].close()
            tmp.unlink(missing_ok=True)
    return counts
