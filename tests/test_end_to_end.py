"""The whole pipeline over the seed documents against the careful reader's gold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import SAMPLES


def _by_stem(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {Path(p).stem: g for p, g in frame.groupby(frame["source_path"].map(lambda s: s))}


def test_every_seed_is_processed(samples_run: Path) -> None:
    docs = pd.read_parquet(samples_run / "documents.parquet")
    assert len(docs) == len(list(SAMPLES.glob("0*.txt")))
    assert set(docs["status"]) <= {"ok", "warning"}, docs[["source_path", "error"]]
    for doc_id in docs["doc_id"]:
        assert (samples_run / "text" / f"{doc_id}.txt").stat().st_size > 1000


def test_document_numbers_match_gold(samples_run: Path, gold: dict[str, dict[str, Any]]) -> None:
    docs = pd.read_parquet(samples_run / "documents.parquet")
    docs["stem"] = docs["source_path"].map(lambda p: Path(p).stem)
    for stem, g in gold.items():
        row = docs.loc[docs.stem == stem].iloc[0]
        expected = g["document"]
        symbol = None if pd.isna(row["symbol"]) else row["symbol"]
        number = None if pd.isna(row["number"]) else int(row["number"])
        assert symbol == expected["symbol"], stem
        assert number == expected["number"], stem


def test_cited_symbols_precision_recall(samples_run: Path, gold: dict[str, dict[str, Any]]) -> None:
    docs = pd.read_parquet(samples_run / "documents.parquet")
    cites = pd.read_parquet(samples_run / "citations.parquet")
    stem_of = {r.doc_id: Path(r.source_path).stem for r in docs.itertuples()}
    tp = fp = fn = 0
    for doc_id, stem in stem_of.items():
        found = set(
            cites.loc[(cites.doc_id == doc_id) & (cites.cited_symbol != ""), "cited_symbol"]
        )
        expected = {c["symbol"] for c in gold[stem]["citations"] if c.get("symbol")}
        tp += len(found & expected)
        fp += len(found - expected)
        fn += len(expected - found)
        if found != expected:
            print(f"{stem}: missing {sorted(expected - found)}, extra {sorted(found - expected)}")
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"cited symbols on the seeds: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.90
    assert recall >= 0.90


def test_citations_map_back_to_the_original_characters(samples_run: Path) -> None:
    docs = pd.read_parquet(samples_run / "documents.parquet")
    cites = pd.read_parquet(samples_run / "citations.parquet")
    sources = {r.doc_id: Path(r.source_path).read_text("utf-8") for r in docs.itertuples()}
    texts = {d: (samples_run / "text" / f"{d}.txt").read_text("utf-8") for d in sources}
    assert len(cites) > 50
    for c in cites.itertuples():
        assert sources[c.doc_id][c.src_start : c.src_end] == c.raw_text
        assert 0 <= c.start <= c.end <= len(texts[c.doc_id])


@pytest.mark.parametrize(
    ("symbol", "expected_citers"),
    [
        # the four seed plans that cite Nghị quyết 57 (the Thái Bình plan does not)
        ("57-NQ/TW", {"000", "001", "002", "003"}),
        ("1138/KH-BYT", {"001"}),
    ],
)
def test_cites_command_lists_the_citing_plans(
    samples_run: Path, symbol: str, expected_citers: set[str]
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli.main import app

    result = CliRunner().invoke(app, ["cites", symbol, "--data", str(samples_run)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if ".txt" in line]
    citers = {name[:3] for line in lines for name in line.split() if name.endswith(".txt")}
    assert citers == expected_citers, result.output


@pytest.mark.parametrize("stem", ["000_6cd090a75e9f4b15", "002_e0a39ccbceabd1e6"])
def test_citation_offsets_round_trip_through_restoration(stem: str) -> None:
    """On OCR'd text, restoration rewrites most words; every citation still lands on the
    characters of the original input that print it."""
    from pipeline.runner import new_document, run_stages
    from pipeline.settings import Settings
    from pipeline.textutil import strip_marks

    settings = Settings(workers=1)
    doc = run_stages(new_document(SAMPLES / f"{stem}.txt", settings), settings)
    assert "restore" in doc.stages_run and doc.text != doc.source_text
    assert len(doc.citations) >= 5
    for c in doc.citations:
        assert doc.to_source(c.start, c.end) == (c.src_start, c.src_end)
        printed = doc.source_text[c.src_start : c.src_end]
        assert printed == c.raw_text
        if c.form == "full" and c.cited_number:
            assert c.cited_number in strip_marks(printed), (c.cited_symbol, printed)
            assert c.cited_number in doc.text[c.start : c.end], (c.cited_symbol, printed)


def test_restored_tokens_map_back_to_the_input(samples_run: Path) -> None:
    """Every change the restorer made names the characters of the original input it
    rewrote: the printed token (up to what normalize made certain: NFKC, tone placement)."""
    import unicodedata

    from pipeline.textutil import strip_marks

    def plain(s: str) -> str:
        return strip_marks(unicodedata.normalize("NFKC", s)).lower()

    docs = pd.read_parquet(samples_run / "documents.parquet")
    changes = pd.read_parquet(samples_run / "changes.parquet")
    sources = {r.doc_id: Path(r.source_path).read_text("utf-8") for r in docs.itertuples()}
    assert len(changes) > 500
    for c in changes.itertuples():
        assert 0 <= c.src_start < c.src_end <= len(sources[c.doc_id])
        assert plain(sources[c.doc_id][c.src_start : c.src_end]) == plain(c.original)
        assert c.page == 1
