"""Graph stage and graph tables: edges read in a document, learned edges, stub nodes, levels.

The helpers `make_doc` and `build_archive` build small hand-made archives (documents
with citations placed by hand) and are shared with test_query and test_report.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.graph import (
    build_graph_tables,
    citation_key,
    document_edges,
    graph,
    issuer_code_of,
    learned_relation,
    load_cues,
    load_levels,
    own_key,
    symbol_family,
)
from pipeline.models import Citation, Document, DocumentMeta
from pipeline.settings import Settings
from pipeline.store import document_rows, write_tables
from pipeline.textutil import strip_marks

SETTINGS = Settings()
_SYMBOL = re.compile(r"\d+(?:\.\d+)?(?:/\d{4})?[-/][A-Za-zĐđ]+[-/][A-Za-zĐđ\d]+")


def make_doc(
    text: str,
    symbol: str | None = None,
    issuer: str | None = None,
    date: str | None = None,
    doc_type: str | None = None,
    described: Mapping[str, tuple[str, str, str | None]] | None = None,
    name: str = "doc.txt",
) -> Document:
    """A document whose citations are every symbol printed in `text` (but its own).

    `described` gives (type name, issuer, ISO date) of cited symbols, as an extractor would.
    """
    doc_id = hashlib.sha256(repr((text, name)).encode()).hexdigest()[:16]
    meta = DocumentMeta(
        doc_type=doc_type,
        symbol=symbol,
        issuer=issuer,
        issued_date=date,
        issuer_code=issuer_code_of(symbol or "") or None,
    )
    doc = Document(
        doc_id=doc_id, source_path=f"/in/{name}", sha256=doc_id * 4, source_text=text, meta=meta
    )
    for m in _SYMBOL.finditer(text):
        cited = m.group().replace("D", "Đ") if m.group().endswith(("DU", "QD")) else m.group()
        if cited == symbol:
            continue
        type_name, cited_issuer, cited_date = (described or {}).get(cited, ("", "", None))
        family = symbol_family(cited)
        year = int(cited_date[:4]) if cited_date and family == "administrative" else None
        doc.citations.append(
            Citation(
                cited,
                m.group(),
                m.start(),
                m.end(),
                m.start(),
                m.end(),
                family=family,
                cited_type_name=type_name,
                cited_issuer=cited_issuer,
                cited_date=cited_date,
                cited_year=year,
            )
        )
    return doc


def build_archive(out: Path, docs: list[Document], **kwargs: object) -> Path:
    """Run the graph stage on `docs`, write their tables and the graph tables into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    rows = [document_rows(graph(d, SETTINGS)) for d in docs]
    write_tables(out, iter(rows))
    build_graph_tables(out, SETTINGS, **kwargs)  # type: ignore[arg-type]
    return out


# A small directive chain, in the shape official documents describe it (numbers made up).
CENTRAL = "Bộ Chính trị"
PLAN_MINISTRY = """BỘ Y TẾ
Số: 310/KH-BYT Hà Nội, ngày 10 tháng 3 năm 2025
KẾ HOẠCH
Căn cứ Nghị quyết số 9-NQ/TW ngày 01/01/2025 của Bộ Chính trị về phát triển;
Căn cứ Nghị quyết số 40/NQ-CP ngày 01/02/2025 của Chính phủ về việc sửa đổi,
bổ sung Chương trình hành động thực hiện Nghị quyết số 9-NQ/TW của Bộ Chính trị;
Căn cứ Quyết định số 700/QĐ-BYT ngày 01/03/2025 của Bộ Y tế ban hành Kế hoạch
hành động thực hiện Nghị quyết số 40/NQ-CP của Chính phủ;
Căn cứ Nghị định số 12/2025/NĐ-CP ngày 05/01/2025 của Chính phủ quy định chức năng;
III. TỔ CHỨC THỰC HIỆN
Sở Y tế các tỉnh báo cáo trước ngày 15/12/2025.
"""
PLAN_PROVINCE = """SỞ Y TẾ
Số: 88/KH-SYT ngày 20 tháng 3 năm 2025
Căn cứ Nghị quyết số 9-NQ/TW ngày 01/01/2025 của Bộ Chính trị;
Thực hiện Kế hoạch số 310/KH-BYT ngày 10/3/2025 của Bộ Y tế về việc truyền thông
về Nghị quyết số 9-NQ/TW; Kế hoạch số 15/KH-UBND ngày 2/3/2025 của UBND tỉnh.
"""
# Old OCR text: no marks at all.
PLAN_OCR = """SO Y TE
So: 91/KH-SYT ngay 21 thang 3 nam 2025
Can cu Nghi quyet so 9-NQ/TW cua Bo Chinh tri;
Can cu Ke hoach so 4-KH/DU ngay 13/6/2025 cua Dang uy trien khai thuc hien Nghi quyet so 9-NQ/TW;
Thuc hien Ke hoach so 310/KH-BYT ngay 10/3/2025 cua Bo Y te.
"""
UNRELATED = """Kế hoạch truyền thông năm 2025
Căn cứ Kế hoạch số 15/KH-UBND ngày 2/3/2025 của UBND tỉnh.
"""
DESCRIBED = {
    "9-NQ/TW": ("Nghị quyết", CENTRAL, "2025-01-01"),
    "40/NQ-CP": ("Nghị quyết", "Chính phủ", "2025-02-01"),
    "700/QĐ-BYT": ("Quyết định", "Bộ Y tế", "2025-03-01"),
    "12/2025/NĐ-CP": ("Nghị định", "Chính phủ", "2025-01-05"),
    "310/KH-BYT": ("Kế hoạch", "Bộ Y tế", "2025-03-10"),
    "15/KH-UBND": ("Kế hoạch", "UBND tỉnh", "2025-03-02"),
    "4-KH/ĐU": ("Kế hoạch", "Đảng ủy Bộ Y tế", "2025-06-13"),
}


def sample_docs() -> list[Document]:
    return [
        make_doc(
            PLAN_MINISTRY,
            "310/KH-BYT",
            "Bộ Y tế",
            "2025-03-10",
            "Kế hoạch",
            DESCRIBED,
            "ministry.txt",
        ),
        make_doc(
            PLAN_PROVINCE,
            "88/KH-SYT",
            "Sở Y tế",
            "2025-03-20",
            "Kế hoạch",
            DESCRIBED,
            "province.txt",
        ),
        make_doc(PLAN_OCR, "91/KH-SYT", "So Y te", "2025-03-21", "Kế hoạch", DESCRIBED, "ocr.txt"),
        make_doc(UNRELATED, None, "Sở Y tế", None, "Kế hoạch", DESCRIBED, "unrelated.txt"),
    ]


# --------------------------------------------------------------------------- learned edges


@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        # "<A> ... về việc sửa đổi, bổ sung Chương trình hành động thực hiện <B>": A implements B
        (
            " ngày 01/4/2025 của Chính phủ về việc sửa đổi, bổ sung Chương trình hành động "
            "thực hiện Nghị quyết số ",
            ("thuc_hien", False),
        ),
        (
            " ngày 26/6/2025 của Bộ Y tế ban hành Kế hoạch hành động thực hiện Nghị quyết ",
            ("thuc_hien", False),
        ),
        (" của Ban Chỉ đạo về việc triển khai ", ("trien_khai", False)),
        (" về việc truyền thông về Nghị quyết số ", ("tuyen_truyen", False)),
        (" sửa đổi, bổ sung một số điều của Nghị định ", ("sua_doi", False)),
        # the same cues without marks, as old OCR prints them
        (" cua Bo Y te ban hanh Ke hoach thuc hien Ke hoach so ", ("thuc_hien", False)),
        # "<A> và các văn bản triển khai: <B>": B implements A
        (" và các văn bản triển khai: Quyết định số ", ("trien_khai", True)),
        # no cue: a plain list
        (" của Bộ Chính trị và Kế hoạch số ", None),
        # a type name right before B is not a cue ("Hướng dẫn số 36-HD/...")
        (" ngày 2/3/2025 và Hướng dẫn số ", None),
        # clause ends between them
        (" của Chính phủ; thực hiện Nghị quyết ", None),
        (" của Chính phủ. Thực hiện Nghị quyết ", None),
        (" của Chính phủ;\nCăn cứ Nghị quyết ", None),
        # a comma or "và" before a type name starts a new item of a list: the cue is that item's
        (" của Đảng, Luật sửa đổi, bổ sung một số điều của Luật ", None),
        (" của Bộ Chính trị và Chương trình thực hiện Nghị quyết ", None),
        # a word that opens a clause at the start of a line: the title ends before it
        (" của Bộ Chính trị về chuyển đổi số\nThực hiện Kế hoạch số ", None),
        (" của Bộ Chính trị về chuyển đổi số\n- Triển khai Kế hoạch số ", None),
        # too far apart
        (" về " + "nội dung " * 60 + "thực hiện ", None),
    ],
)
def test_learned_relation_reads_the_cue_between_two_citations(
    gap: str, expected: tuple[str, bool] | None
) -> None:
    assert learned_relation(strip_marks(gap), load_cues(SETTINGS.dictionaries)) == expected


def edge_set(doc: Document) -> set[tuple[str, str, str]]:
    return {(e.src_key, e.dst_key, e.relation) for e in doc.edges}


def test_graph_stage_links_the_document_to_what_it_cites() -> None:
    doc = graph(sample_docs()[0], SETTINGS)
    direct = {(d, r) for s, d, r in edge_set(doc) if s == "310/KH-BYT@2025"}
    assert direct == {
        ("9-NQ/TW", "can_cu"),
        ("40/NQ-CP@2025", "can_cu"),
        ("9-NQ/TW", "dan_chieu"),  # described through 40/NQ-CP, only mentioned
        ("700/QĐ-BYT@2025", "can_cu"),
        ("40/NQ-CP@2025", "dan_chieu"),
        ("12/2025/NĐ-CP", "can_cu"),
    }


@pytest.mark.parametrize(
    ("index", "learned"),
    [
        (
            0,
            {
                ("40/NQ-CP@2025", "9-NQ/TW", "thuc_hien"),
                ("700/QĐ-BYT@2025", "40/NQ-CP@2025", "thuc_hien"),
            },
        ),
        (1, {("310/KH-BYT@2025", "9-NQ/TW", "tuyen_truyen")}),
        (2, {("4-KH/ĐU", "9-NQ/TW", "thuc_hien")}),
        (3, set()),
    ],
)
def test_graph_stage_learns_edges_between_cited_documents(
    index: int, learned: set[tuple[str, str, str]]
) -> None:
    doc = graph(sample_docs()[index], SETTINGS)
    own = own_key(doc)
    assert {e for e in edge_set(doc) if e[0] != own} == learned


def test_edges_keep_their_evidence_span_and_document() -> None:
    doc = graph(sample_docs()[0], SETTINGS)
    for e in doc.edges:
        assert e.doc_id == doc.doc_id
        assert 0 <= e.start < e.end <= len(doc.text)
        assert e.evidence and e.evidence.split()[0] in doc.text[e.start : e.end]
    learned = next(e for e in doc.edges if e.src_key == "40/NQ-CP@2025")
    assert learned.evidence.startswith("40/NQ-CP") and learned.evidence.endswith("9-NQ/TW")


def test_relation_from_the_extractor_wins_over_the_clause_cue() -> None:
    doc = sample_docs()[0]
    for c in doc.citations:
        c.relation = "dan_chieu"
    assert {r for s, _, r in edge_set(graph(doc, SETTINGS)) if s == own_key(doc)} == {"dan_chieu"}


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abc ;.\nĐđàáạ-/0123456789KHNQTWĐ", max_size=200))
def test_graph_stage_never_fails_and_keeps_offsets_in_text(text: str) -> None:
    doc = make_doc(text, "1/KH-A", "Bộ Y tế", "2025-01-01")
    for e in document_edges(doc, SETTINGS):
        assert 0 <= e.start <= e.end <= len(text)
        assert e.src_key != e.dst_key


# --------------------------------------------------------------------------- keys and levels


@pytest.mark.parametrize(
    ("symbol", "family", "code"),
    [
        ("57-NQ/TW", "party", "TW"),
        ("02-KH/BCĐTW", "party", "BCĐTW"),
        ("1138/KH-BYT", "administrative", "BYT"),
        ("627/BYT-BH", "administrative", "BYT"),
        ("42/2025/NĐ-CP", "normative", "CP"),
        ("66.4/2025/NQ-CP", "normative", "CP"),
        ("44/2024/QH15", "normative", "QH15"),
    ],
)
def test_symbol_family_and_issuer_code(symbol: str, family: str, code: str) -> None:
    assert symbol_family(symbol) == family
    assert issuer_code_of(symbol) == code


def test_citation_key_follows_the_numbering_family() -> None:
    c = Citation("1138/KH-BYT", "", 0, 1, family="administrative", cited_year=2025)
    assert citation_key(c) == "1138/KH-BYT@2025"
    assert citation_key(Citation("57-NQ/TW", "", 0, 1)) == "57-NQ/TW"
    assert citation_key(Citation("x", "", 0, 1, key="given")) == "given"


@pytest.mark.parametrize(
    ("issuer", "code", "level"),
    [
        ("Bộ Chính trị", None, 0),
        ("Ban Chỉ đạo Trung ương", None, 0),
        (None, "BCĐTW", 0),
        (None, "BCDTW", 0),  # OCR lost the Đ
        (None, "QH15", 1),
        ("Chính phủ", None, 2),
        ("Thủ tướng Chính phủ", None, 2),
        (None, "TTg", 2),
        ("Bộ Y tế", None, 3),
        ("Ban Thường vụ Đảng ủy Bộ Y tế", None, 3),
        ("BO Y TE", None, 3),
        ("UBND tỉnh Quảng Ninh", None, 4),
        ("Ban Thường vụ Tỉnh ủy", None, 4),
        (None, "TU", 4),
        ("Sở Y tế", None, 5),
        ("So Y te", None, 5),
        (None, "SKHCN", 5),
        ("Bệnh viện Đa khoa tỉnh", None, 6),
        ("Hội Nông dân", None, 7),
    ],
)
def test_issuer_levels_from_names_and_codes(
    issuer: str | None, code: str | None, level: int
) -> None:
    assert load_levels(SETTINGS.dictionaries).level(issuer, code) == level


# --------------------------------------------------------------------------- graph tables


def test_graph_tables_hold_archive_and_stub_nodes(tmp_path: Path) -> None:
    out = build_archive(tmp_path, sample_docs())
    nodes = pd.read_parquet(out / "nodes.parquet").set_index("key")
    assert nodes.loc["310/KH-BYT@2025", "in_archive"]
    assert nodes.loc["310/KH-BYT@2025", "file_name"] == "ministry.txt"
    stub = nodes.loc["9-NQ/TW"]
    assert not stub["in_archive"] and stub["issuer"] == CENTRAL and stub["level"] == 0
    assert stub["issued_date"] == "2025-01-01" and stub["doc_type"] == "Nghị quyết"
    assert stub["citing_docs"] == 3
    assert nodes.loc["40/NQ-CP@2025", "level"] == 2 and nodes.loc["88/KH-SYT@2025", "level"] == 5
    # a document without a symbol still gets a stable key
    assert any(k.startswith("doc:") for k in nodes.index)
    assert nodes.index.is_unique


def test_graph_edges_are_deduplicated_and_typed(tmp_path: Path) -> None:
    out = build_archive(tmp_path, sample_docs())
    edges = pd.read_parquet(out / "graph_edges.parquet")
    assert not edges.duplicated(["src_key", "dst_key", "relation", "doc_id"]).any()
    learned = edges[edges.kind == "learned"]
    assert {("40/NQ-CP@2025", "9-NQ/TW"), ("700/QĐ-BYT@2025", "40/NQ-CP@2025")} <= set(
        zip(learned.src_key, learned.dst_key, strict=True)
    )
    assert set(edges.kind) == {"direct", "learned"}
    assert (edges.src_key != edges.dst_key).all()


def test_yearless_citation_joins_the_dated_document(tmp_path: Path) -> None:
    described = {**DESCRIBED, "310/KH-BYT": ("Kế hoạch", "Bộ Y tế", None)}
    docs = [
        *sample_docs()[:1],
        make_doc(
            "Thực hiện Kế hoạch số 310/KH-BYT của Bộ Y tế.",
            "5/KH-SYT",
            "Sở Y tế",
            "2025-05-01",
            "Kế hoạch",
            described,
            "late.txt",
        ),
    ]
    out = build_archive(tmp_path, docs)
    edges = pd.read_parquet(out / "graph_edges.parquet")
    assert "310/KH-BYT@2025" in set(edges[edges.src_key == "5/KH-SYT@2025"].dst_key)
    assert "310/KH-BYT" not in set(pd.read_parquet(out / "nodes.parquet").key)


def test_large_archives_are_partitioned_and_still_queryable(tmp_path: Path) -> None:
    out = build_archive(tmp_path, sample_docs(), partition_threshold=3)
    assert (out / "nodes").is_dir() and not (out / "nodes.parquet").exists()
    assert list((out / "nodes").glob("level=*/*.parquet"))
    n = (
        duckdb.connect()
        .execute(
            f"SELECT count(*) FROM read_parquet('{out}/nodes/**/*.parquet', hive_partitioning=true)"
        )
        .fetchone()
    )
    assert n is not None and n[0] > 5
    # back under the threshold: a single file again, no stale directory
    build_graph_tables(out, SETTINGS)
    assert (out / "nodes.parquet").exists() and not (out / "nodes").exists()


def test_graph_tables_are_written_atomically(tmp_path: Path) -> None:
    out = build_archive(tmp_path, sample_docs())
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    for name in ("nodes", "graph_edges", "issuer_levels", "units"):
        assert (out / f"{name}.parquet").exists()


def test_graph_tables_from_an_empty_batch(tmp_path: Path) -> None:
    out = build_archive(tmp_path, [])
    assert len(pd.read_parquet(out / "nodes.parquet")) == 0
    assert list(pd.read_parquet(out / "graph_edges.parquet").columns)[:3] == [
        "src_key",
        "dst_key",
        "relation",
    ]
