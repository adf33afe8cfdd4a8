"""Runner: batches survive bad documents, re-runs resume, engines agree."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.runner import discover, doc_id_for, file_sha256, run_batch
from pipeline.settings import Settings

FAKE = Settings(stages=("fake_read", "fake_crash"), workers=2)


def write_docs(folder: Path, texts: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text, "utf-8")


def tables(out: Path, drop: tuple[str, ...] = ("seconds",)) -> dict[str, pd.DataFrame]:
    frames = {}
    for path in sorted(out.glob("*.parquet")):
        df = pd.read_parquet(path)
        frames[path.stem] = df.drop(columns=[c for c in drop if c in df.columns])
    return frames


def test_a_crashing_document_does_not_stop_the_batch(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", {"a.txt": "1/KH-A ok", "b.txt": "CRASH here", "c.txt": "2/KH-C ok"})
    result = run_batch([tmp_path / "in"], tmp_path / "out", FAKE)
    by_name = {Path(d.source_path).name: d for d in result.documents}
    assert by_name["a.txt"].status == "ok" and by_name["c.txt"].status == "ok"
    assert by_name["b.txt"].status == "failed"
    assert "E999" in (by_name["b.txt"].error or "")
    assert "injected failure" in (by_name["b.txt"].error or "") and "\n" not in (
        by_name["b.txt"].error or ""
    )
    docs = pd.read_parquet(tmp_path / "out" / "documents.parquet")
    assert sorted(docs["status"]) == ["failed", "ok", "ok"]
    assert set(docs.loc[docs.status == "ok", "symbol"]) == {"1/KH-A", "2/KH-C"}


def test_a_dying_worker_fails_only_its_document(tmp_path: Path) -> None:
    texts = {f"{i}.txt": f"{i}/KH-A ok" for i in range(8)} | {"3b.txt": "DIE now"}
    write_docs(tmp_path / "in", texts)
    result = run_batch([tmp_path / "in"], tmp_path / "out", FAKE)
    statuses = {Path(d.source_path).name: d.status for d in result.documents}
    assert statuses.pop("3b.txt") == "failed"
    assert set(statuses.values()) == {"ok"} and len(statuses) == 8
    assert len(pd.read_parquet(tmp_path / "out" / "documents.parquet")) == 9


def test_missing_and_unreadable_inputs_get_status_rows(tmp_path: Path) -> None:
    write_docs(tmp_path, {"a.txt": "1/KH-A ok"})
    result = run_batch([tmp_path / "a.txt", tmp_path / "nope.txt"], tmp_path / "out", FAKE)
    statuses = {Path(d.source_path).name: d.status for d in result.documents}
    assert statuses == {"a.txt": "ok", "nope.txt": "failed"}


def test_rerun_skips_finished_documents_and_keeps_tables(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", {f"{i}.txt": f"{i}/KH-X text" for i in range(6)})
    first = run_batch([tmp_path / "in"], tmp_path / "out", FAKE)
    before = tables(tmp_path / "out")
    second = run_batch([tmp_path / "in"], tmp_path / "out", FAKE)
    assert not any(d.cached for d in first.documents)
    assert all(d.cached for d in second.documents)
    after = tables(tmp_path / "out")
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[name])


def test_identical_inputs_are_one_document(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", {"a.txt": "1/KH-A same", "b.txt": "1/KH-A same"})
    result = run_batch([tmp_path / "in"], tmp_path / "out", FAKE)
    assert len(result.documents) == 1 and len(result.duplicates) == 1
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [e["status"] for e in manifest["inputs"]] == ["ok", "skipped"]


def test_doc_id_is_stable_for_the_same_bytes(tmp_path: Path) -> None:
    write_docs(tmp_path, {"a.txt": "xyz", "b.txt": "xyz"})
    ids = {doc_id_for(file_sha256(tmp_path / n)) for n in ("a.txt", "b.txt")}
    assert len(ids) == 1 and len(ids.pop()) == 16


def test_outputs_stay_inside_out(tmp_path: Path) -> None:
    names = {"..evil.txt": "1/KH-A a", "x y;rm -rf.txt": "2/KH-B b", "đơn vị.txt": "3/KH-C c"}
    write_docs(tmp_path / "in", names)
    out = tmp_path / "out"
    run_batch([tmp_path / "in"], out, FAKE)
    written = [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and "in" not in p.relative_to(tmp_path).parts[:1]
    ]
    assert written and all(out in p.parents for p in written)


def test_discover_skips_hidden_and_unknown(tmp_path: Path) -> None:
    write_docs(tmp_path, {"a.txt": "x", ".hidden.txt": "x", "notes.md": "x"})
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.pdf").write_bytes(b"%PDF")
    assert [p.name for p in discover([tmp_path])] == ["a.txt", "b.pdf"]


def test_dask_local_cluster_gives_the_same_tables(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", {f"{i}.txt": f"{i}/KH-X text" for i in range(5)})
    run_batch([tmp_path / "in"], tmp_path / "pool", FAKE)
    run_batch([tmp_path / "in"], tmp_path / "dask", FAKE.with_(scheduler="local"))
    pool, dask = tables(tmp_path / "pool"), tables(tmp_path / "dask")
    assert pool.keys() == dask.keys()
    for name in pool:
        pd.testing.assert_frame_equal(pool[name], dask[name])


TEMPLATE = """UỶ BAN NHÂN DÂN TỈNH NGHỆ AN
SỞ Y TẾ
Số: {n}/KH-SYT
Nghệ An, ngày {d} tháng 3 năm 2025

KẾ HOẠCH
Triển khai nhiệm vụ số {n} năm 2025

Căn cứ Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị;
Căn cứ Quyết định số {q}/QĐ-UBND ngày {d}/02/2025 của Ủy ban nhân dân tỉnh;

I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
- Tổ chức thực hiện hiệu quả Kế hoạch số {n}.

II. TỔ CHỨC THỰC HIỆN
Văn phòng Sở chủ trì, báo cáo trước ngày {d}/12/2025.
"""


def _run_cli(inputs: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli.main",
            "run",
            str(inputs),
            "--out",
            str(out),
            "-w",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_tables(tmp_path: Path) -> None:
    """200 documents: kill the run halfway, start it again, compare with a clean run."""
    docs = {
        f"kh_{i:03d}.txt": TEMPLATE.format(n=100 + i, d=1 + i % 28, q=500 + i) for i in range(200)
    }
    write_docs(tmp_path / "in", docs)
    proc = _run_cli(tmp_path / "in", tmp_path / "killed")
    results = tmp_path / "killed" / ".work" / "results"
    deadline = time.time() + 240
    while time.time() < deadline:
        done = len(list(results.glob("*.json"))) if results.exists() else 0
        if done >= 100 or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(list(results.glob("*.json")))
    assert 0 < partial < 200
    assert _run_cli(tmp_path / "in", tmp_path / "killed").wait() == 0
    assert _run_cli(tmp_path / "in", tmp_path / "clean").wait() == 0
    killed, clean = tables(tmp_path / "killed"), tables(tmp_path / "clean")
    assert killed.keys() == clean.keys()
    assert len(killed["documents"]) == 200
    for name in clean:
        pd.testing.assert_frame_equal(killed[name], clean[name], check_dtype=False)


def test_outputs_are_readable_like_plain_files(tmp_path: Path) -> None:
    """Atomic writes go through temporary files; the results still get the usual mode."""
    write_docs(tmp_path / "in", {"a.txt": "1/KH-A ok"})
    run_batch([tmp_path / "in"], tmp_path / "out", FAKE)
    mask = os.umask(0)
    os.umask(mask)
    for name in ("documents.parquet", "citations.parquet", "manifest.json"):
        assert (tmp_path / "out" / name).stat().st_mode & 0o777 == 0o666 & ~mask, name
