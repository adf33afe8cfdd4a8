"""The runner: orders the stages, runs batches on all cores (or a Dask cluster),
keeps a resumable manifest and writes the outputs.

A batch is resumable: every finished document's rows are saved atomically under
`<out>/.work/results/<doc_id>.json` before anything else happens, so a killed run
loses at most the documents in flight. A re-run skips documents whose bytes (and the
settings) are unchanged, then rebuilds the tables from the saved rows, so a resumed
run writes the same tables as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.errors import InputError, InputTooLarge, VanbanError
from pipeline.models import Document, Status
from pipeline.registry import get_stage
from pipeline.settings import Settings
from pipeline.store import atomic_write_json, atomic_write_text, document_rows, write_tables

ACCEPTED_SUFFIXES = {".txt", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
WORK_DIR = ".work"


@dataclass
class DocSummary:
    """What the CLI shows for one input at the end of a run."""

    doc_id: str
    source_path: str
    status: str
    error: str | None = None
    symbol: str | None = None
    doc_type: str | None = None
    citations: int = 0
    pages: int = 0
    seconds: float = 0.0
    cached: bool = False


@dataclass
class BatchResult:
    out_dir: Path
    documents: list[DocSummary] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, doc_id)
    table_rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> list[DocSummary]:
        return [d for d in self.documents if d.status == Status.FAILED.value]


# --------------------------------------------------------------------------- inputs


def discover(paths: Iterable[Path]) -> list[Path]:
    """Input files under `paths`: folders recursively (known suffixes), files as given."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in ACCEPTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            found.append(path)
    seen: set[Path] = set()
    unique = []
    for p in found:
        key = p.resolve() if p.exists() else p
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def doc_id_for(sha256: str) -> str:
    """Stable id of a document: the first 16 hex digits of its bytes' sha256."""
    return sha256[:16]


def new_document(path: Path, settings: Settings) -> Document:
    """A Document for an input file, with its hash; raises InputError if unreadable."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        raise InputTooLarge(
            f"{path.name}: {size} bytes is over the limit of {settings.max_file_bytes}"
        )
    sha = file_sha256(path)
    return Document(doc_id=doc_id_for(sha), source_path=str(path), sha256=sha)


# --------------------------------------------------------------------------- one document


def run_stages(doc: Document, settings: Settings, stages: Iterable[str] | None = None) -> Document:
    """Run the named stages in order; a failing stage marks the document and stops.

    Coded errors (bad input, no text) become the document's status and error; any
    other exception is an internal error, reported the same way so the batch goes on.
    """
    for name in stages if stages is not None else settings.stages:
        t0 = time.perf_counter()
        try:
            doc = get_stage(name).fn(doc, settings)
        except VanbanError as exc:
            doc.status, doc.error = Status.FAILED, f"{name}: {exc}"
        except MemoryError:
            doc.status, doc.error = Status.FAILED, f"{name}: [E998] out of memory"
        except Exception as exc:
            doc.status = Status.FAILED
            doc.error = f"{name}: [E999] internal error: {type(exc).__name__}: {exc}"
        doc.timings[name] = time.perf_counter() - t0
        if doc.status == Status.FAILED:
            break
        doc.stages_run.append(name)
    return doc


def process_path(path: str, settings: Settings) -> dict[str, Any]:
    """Process one input file; returns its table rows, final text and summary.

    Never raises for a bad input: the error lands in the documents row. Runs in a
    worker process (picklable arguments and result).
    """
    t0 = time.perf_counter()
    doc = open_document(Path(path), settings)
    if doc.status != Status.FAILED:
        doc = run_stages(doc, settings)
    rows = document_rows(doc)
    summary = DocSummary(
        doc_id=doc.doc_id,
        source_path=path,
        status=doc.status.value,
        error=doc.error,
        symbol=doc.meta.symbol,
        doc_type=doc.meta.doc_type,
        citations=len(doc.citations),
        pages=len(doc.pages),
        seconds=round(time.perf_counter() - t0, 3),
    )
    return {"rows": rows, "text": doc.text, "summary": asdict(summary)}


def open_document(path: Path, settings: Settings) -> Document:
    """`new_document`, or a failed Document carrying the one-line reason it cannot be read."""
    try:
        return new_document(path, settings)
    except (InputError, OSError) as exc:
        doc = Document(doc_id=_failed_id(str(path)), source_path=str(path), sha256="")
        doc.status, doc.error = Status.FAILED, f"ingest: {exc}"
        return doc


def _failed_id(path: str) -> str:
    """doc_id for an input whose bytes could not be read: derived from its path."""
    return "x" + hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:15]


# --------------------------------------------------------------------------- batches


def settings_fingerprint(settings: Settings) -> str:
    """Changes when a setting, the package version, the model or a dictionary file changes
    (cached rows are then stale)."""
    files = sorted(p for p in settings.dictionaries.rglob("*") if p.is_file())
    if settings.lm_model is not None and settings.lm_model.exists():
        files.append(settings.lm_model)
    stamps = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    data = json.dumps(
        {
            "version": __version__,
            "settings": asdict(settings) | {"workers": 0, "scheduler": None},
            "files": stamps,
        },
        default=str,
        sort_keys=True,
    )
    return hashlib.sha256(data.encode()).hexdigest()[:16]


@dataclass
class _Item:
    path: Path
    doc_id: str | None  # None when the bytes could not be hashed
    result_file: Path | None


def _plan(paths: list[Path], work: Path, fingerprint: str) -> list[_Item]:
    items = []
    for p in paths:
        try:
            doc_id = doc_id_for(file_sha256(p)) if p.is_file() else None
        except OSError:
            doc_id = None
        result = work / "results" / f"{doc_id}.{fingerprint}.json" if doc_id else None
        items.append(_Item(p, doc_id, result))
    return items


def run_batch(
    paths: list[Path],
    out_dir: Path,
    settings: Settings,
    *,
    on_result: Callable[[DocSummary], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> BatchResult:
    """Run the pipeline over input files and folders into `out_dir`.

    `on_start(total, cached)` is called once the plan is known; `on_result` once per
    finished document (cached ones included).
    """
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    work = out_dir / WORK_DIR
    (work / "results").mkdir(parents=True, exist_ok=True)
    (out_dir / "text").mkdir(exist_ok=True)
    fingerprint = settings_fingerprint(settings)
    files = discover(paths)
    items = _plan(files, work, fingerprint)
    result = BatchResult(out_dir=out_dir)

    first_of: dict[str, _Item] = {}
    todo: list[_Item] = []
    for item in items:
        if item.doc_id is not None and item.doc_id in first_of:
            result.duplicates.append((str(item.path), item.doc_id))
            continue
        if item.doc_id is not None:
            first_of[item.doc_id] = item
        if force or item.result_file is None or not item.result_file.exists():
            todo.append(item)
    unique = [i for i in items if i.doc_id is None or first_of.get(i.doc_id) is i]
    if on_start:
        on_start(len(unique), len(unique) - len(todo))

    summaries: dict[str, DocSummary] = {}
    pending = {id(item) for item in todo}
    for item in unique:
        if id(item) not in pending and item.result_file is not None:
            summary = DocSummary(**json.loads(item.result_file.read_text("utf-8"))["summary"])
            summary.cached = True
            summaries[str(item.path)] = summary
            if on_result:
                on_result(summary)

    def save(item: _Item, res: dict[str, Any]) -> None:
        summary = DocSummary(**res["summary"])
        if item.doc_id is not None and item.result_file is not None:
            atomic_write_text(out_dir / "text" / f"{item.doc_id}.txt", res["text"])
            atomic_write_json(item.result_file, {"rows": res["rows"], "summary": res["summary"]})
        else:
            failed = work / "results" / f"{summary.doc_id}.{fingerprint}.json"
            atomic_write_json(failed, {"rows": res["rows"], "summary": res["summary"]})
            item.result_file = failed
        summaries[str(item.path)] = summary
        if on_result:
            on_result(summary)

    for item, res in _execute(todo, settings):
        save(item, res)

    _write_manifest(out_dir, unique, result.duplicates, summaries, fingerprint)
    result.documents = [summaries[str(i.path)] for i in unique if str(i.path) in summaries]
    result.table_rows = write_tables(out_dir, _saved_rows(unique))
    _build_graph(out_dir)
    result.seconds = time.perf_counter() - t0
    return result


def _saved_rows(items: list[_Item]) -> Iterator[dict[str, list[dict[str, Any]]]]:
    for item in items:
        if item.result_file is not None and item.result_file.exists():
            yield json.loads(item.result_file.read_text("utf-8"))["rows"]


def _write_manifest(
    out_dir: Path,
    items: list[_Item],
    duplicates: list[tuple[str, str]],
    summaries: dict[str, DocSummary],
    fingerprint: str,
) -> None:
    entries = []
    for item in items:
        s = summaries.get(str(item.path))
        entries.append(
            {
                "source_path": str(item.path),
                "doc_id": s.doc_id if s else item.doc_id,
                "status": s.status if s else "pending",
                "error": s.error if s else None,
                "settings": fingerprint,
            }
        )
    for path, doc_id in duplicates:
        entries.append(
            {
                "source_path": path,
                "doc_id": doc_id,
                "status": Status.SKIPPED.value,
                "error": f"duplicate of document {doc_id}",
                "settings": fingerprint,
            }
        )
    atomic_write_json(out_dir / "manifest.json", {"version": __version__, "inputs": entries})


def _build_graph(out_dir: Path) -> None:
    """Batch-level graph tables, when the graph module provides them."""
    import pipeline.graph as graph

    build = getattr(graph, "build_graph_tables", None)
    if build is not None:
        build(out_dir)


# --------------------------------------------------------------------------- executors


def _init_worker() -> None:
    """Each worker runs one Tesseract thread: the pool is the parallelism."""
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _execute(todo: list[_Item], settings: Settings) -> Iterator[tuple[_Item, dict[str, Any]]]:
    """Process items serially, on a local process pool, or on a Dask cluster."""
    if not todo:
        return
    if settings.scheduler:
        yield from _execute_dask(todo, settings)
        return
    if settings.workers <= 1 or len(todo) == 1:
        for item in todo:
            yield item, process_path(str(item.path), settings)
        return
    yield from _execute_pool(todo, settings.with_(workers=1), settings.workers)


def _execute_pool(
    todo: list[_Item], inner: Settings, workers: int
) -> Iterator[tuple[_Item, dict[str, Any]]]:
    """A process pool with a bounded number of documents in flight.

    If a worker dies (a crash in native code, the OOM killer), the pool breaks and
    every document in flight is retried alone in a fresh one-worker pool, so only the
    document that kills its worker fails.
    """
    queue = list(todo)
    while queue:
        suspects: list[_Item] = []
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
            pending: dict[Future[dict[str, Any]], _Item] = {}
            limit = workers * 2  # bounded, so memory stays flat on large batches
            while (queue or pending) and not suspects:
                while queue and len(pending) < limit:
                    item = queue.pop(0)
                    try:
                        pending[pool.submit(process_path, str(item.path), inner)] = item
                    except BrokenProcessPool:
                        suspects = [item, *pending.values()]
                        break
                if suspects:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    item = pending.pop(fut)
                    try:
                        yield item, fut.result()
                    except BrokenProcessPool:
                        suspects = [item, *pending.values()]
                        break
                    except Exception as exc:
                        yield item, _crash_result(item, exc)
        for item in suspects:
            yield item, _run_isolated(item, inner)


def _run_isolated(item: _Item, settings: Settings) -> dict[str, Any]:
    """Run one document in its own worker process; a dead worker fails only it."""
    with ProcessPoolExecutor(max_workers=1, initializer=_init_worker) as pool:
        try:
            return pool.submit(process_path, str(item.path), settings).result()
        except Exception as exc:
            return _crash_result(item, exc)


def _crash_result(item: _Item, exc: BaseException) -> dict[str, Any]:
    doc = Document(
        doc_id=item.doc_id or _failed_id(str(item.path)),
        source_path=str(item.path),
        sha256="",
        status=Status.FAILED,
        error=f"worker: [E997] the worker died: {type(exc).__name__}: {exc}",
    )
    summary = DocSummary(doc.doc_id, str(item.path), doc.status.value, doc.error)
    return {"rows": document_rows(doc), "text": "", "summary": asdict(summary)}


def _execute_dask(todo: list[_Item], settings: Settings) -> Iterator[tuple[_Item, dict[str, Any]]]:
    """Run on a Dask distributed cluster ('local' starts a local cluster of `workers`).

    Workers must see the input paths (shared storage) and have vanban installed.
    """
    from distributed import Client, LocalCluster, as_completed

    inner = settings.with_(workers=1)
    cluster = None
    if settings.scheduler == "local":
        cluster = LocalCluster(
            n_workers=settings.workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        client = Client(settings.scheduler)
    try:
        client.run(_init_worker)
        futures = {
            client.submit(process_path, str(item.path), inner, pure=False): item for item in todo
        }
        for fut in as_completed(list(futures)):
            item = futures.pop(fut)  # released as soon as its rows are saved
            try:
                res = fut.result()
            except Exception as exc:
                res = _crash_result(item, exc)
            yield item, res
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------- single stages


def run_stage_step(
    name: str, inputs: list[Path], out_dir: Path, settings: Settings
) -> list[Document]:
    """Run one stage as its own step (for DVC): documents in, documents out as JSON.

    For `ingest` the inputs are files and folders; for later stages, folders of the
    previous step's `<doc_id>.json`. Failed documents are carried along untouched.
    """
    from pipeline import serialize

    docs: list[Document] = []
    if name == settings.stages[0]:
        docs = [open_document(path, settings) for path in discover(inputs)]
    else:
        for folder in inputs:
            docs += [serialize.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.json"):
        stale.unlink()
    done = []
    for doc in docs:
        if doc.status != Status.FAILED:
            doc = run_stages(doc, settings, (name,))
        atomic_write_text(out_dir / f"{doc.doc_id}.json", serialize.dumps(doc))
        done.append(doc)
    return done


def write_outputs(docs: list[Document], out_dir: Path) -> dict[str, int]:
    """Tables, texts and graph tables of already-processed documents."""
    (out_dir / "text").mkdir(parents=True, exist_ok=True)
    for doc in docs:
        atomic_write_text(out_dir / "text" / f"{doc.doc_id}.txt", doc.text)
    counts = write_tables(out_dir, (document_rows(d) for d in docs))
    _build_graph(out_dir)
    return counts
