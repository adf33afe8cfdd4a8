"""Queries over the graph tables (pipeline.query) and their CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_graph import DESCRIBED, build_archive, make_doc, sample_docs
from typer.testing import CliRunner

from pipeline import query as q
from pipeline.cli.main import app
from pipeline.errors import DataError
from pipeline.models import Assignment, Document


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = sample_docs()
    docs[0].assignments = [
        Assignment(
            "Sở Y tế các tỉnh",
            "thuc_hien",
            "báo cáo kết quả",
            10,
            20,
            "trước ngày 15/12/2025",
            "2025-12-15",
        ),
        Assignment("Văn phòng Bộ", "chu_tri", "tổng hợp", 30, 40),
    ]
    # the province plan, implemented in turn by a district unit's plan
    docs.append(
        make_doc(
            "Thực hiện Kế hoạch số 88/KH-SYT ngày 20/3/2025 của Sở Y tế.",
            "7/KH-TTYT",
            "Trung tâm Y tế huyện",
            "2025-04-01",
            "Kế hoạch",
            {**DESCRIBED, "88/KH-SYT": ("Kế hoạch", "Sở Y tế", "2025-03-20")},
            "unit.txt",
        )
    )
    return build_archive(tmp_path_factory.mktemp("data"), docs)


@pytest.mark.parametrize(
    ("symbol", "depth", "files"),
    [
        ("9-NQ/TW", 1, {"ministry.txt", "province.txt", "ocr.txt"}),
        ("9-nq/tw", 1, {"ministry.txt", "province.txt", "ocr.txt"}),
        ("310/KH-BYT", 1, {"province.txt", "ocr.txt"}),
        ("310/KH-BYT@2025", 1, {"province.txt", "ocr.txt"}),
        ("700/QD-BYT", 1, {"ministry.txt"}),  # Đ typed as D
        ("700 / QĐ-BYT", 1, {"ministry.txt"}),  # spaces
        ("88/KH-SYT", 1, {"unit.txt"}),
        ("310/KH-BYT", 2, {"province.txt", "ocr.txt", "unit.txt"}),
        ("15/KH-UBND", 1, {"province.txt", "unrelated.txt"}),
    ],
)
def test_cites_lists_direct_and_transitive_citers(
    data: Path, symbol: str, depth: int, files: set[str]
) -> None:
    df = q.cites(data, symbol, depth)
    assert set(df.file_name) == files
    assert df.in_archive.all() and df.file_name.is_unique


def test_cites_reports_depth_and_the_way_through(data: Path) -> None:
    df = q.cites(data, "310/KH-BYT", 2).set_index("file_name")
    assert df.loc["unit.txt", "depth"] == 2 and df.loc["unit.txt", "via"] == "88/KH-SYT@2025"
    assert df.loc["province.txt", "symbol"] == "88/KH-SYT"


def test_cites_can_include_documents_outside_the_archive(data: Path) -> None:
    df = q.cites(data, "9-NQ/TW", 1, archive_only=False)
    outside = set(df[~df.in_archive].key)
    assert {"40/NQ-CP@2025", "4-KH/ĐU"} <= outside


def test_hierarchy_follows_the_longest_chain(data: Path) -> None:
    lines = q.hierarchy(data, "9-NQ/TW")
    first: dict[str, q.TreeLine] = {}
    for line in lines:
        first.setdefault(line.key, line)
    assert lines[0].key == "9-NQ/TW" and lines[0].depth == 0
    # 9-NQ/TW -> 40/NQ-CP -> 700/QĐ-BYT -> 310/KH-BYT -> 88/KH-SYT -> 7/KH-TTYT
    chain = [
        "40/NQ-CP@2025",
        "700/QĐ-BYT@2025",
        "310/KH-BYT@2025",
        "88/KH-SYT@2025",
        "7/KH-TTYT@2025",
    ]
    assert [first[k].depth for k in chain] == [1, 2, 3, 4, 5]
    text = q.render_tree(lines)
    assert "[ministry.txt]" in text and "(not in archive)" in text
    assert text.splitlines()[0].startswith("9-NQ/TW")


def test_hierarchy_repeats_small_subtrees_and_refers_to_large_ones(data: Path) -> None:
    small = q.hierarchy(data, "9-NQ/TW")
    assert not any(x.repeat for x in small)
    large = q.hierarchy(data, "9-NQ/TW", repeat_limit=0)
    full = [x.key for x in large if not x.repeat]
    assert len(full) == len(set(full)) and set(full) == {x.key for x in small}


# Made-up plans for the cycle, relation and year cases (the way an extractor reads them).
SMALL = {
    "1-NQ/TW": ("Nghị quyết", "Bộ Chính trị", "2025-01-01"),
    "20/KH-BYT": ("Kế hoạch", "Bộ Y tế", "2025-02-01"),
    "21/KH-BYT": ("Kế hoạch", "Bộ Y tế", "2025-02-02"),
    "30/KH-SYT": ("Kế hoạch", "Sở Y tế", "2025-03-01"),
    "40/KH-SYT": ("Kế hoạch", "Sở Y tế", "2025-03-02"),
}
IMPLEMENTS = "Thực hiện {} ngày {} của {}.\n"
MENTIONS = "Theo {} ngày {} của {}.\n"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def plan(lines: list[tuple[str, str]], symbol: str, date: str, name: str) -> Document:
        text = "".join(
            cue.format(f"Kế hoạch số {cited}", SMALL[cited][2], SMALL[cited][1])
            if "KH" in cited
            else cue.format(f"Nghị quyết số {cited}", "01/01/2025", "Bộ Chính trị")
            for cue, cited in lines
        )
        return make_doc(text, symbol, "Sở Y tế", date, "Kế hoạch", SMALL, name)

    docs = [
        # 1-NQ/TW <- 20/KH-BYT <- 30/KH-SYT, and 30/KH-SYT, 40/KH-SYT cite each other
        plan([(IMPLEMENTS, "1-NQ/TW")], "20/KH-BYT", "2025-02-01", "b.txt"),
        plan(
            [(IMPLEMENTS, "20/KH-BYT"), (MENTIONS, "40/KH-SYT")], "30/KH-SYT", "2025-03-01", "c.txt"
        ),
        plan([(MENTIONS, "30/KH-SYT")], "40/KH-SYT", "2025-03-02", "d.txt"),
        # 50/KH-SYT implements 20/KH-BYT and merely mentions 21/KH-BYT (one level up both);
        # 60/KH-SYT only mentions 21/KH-BYT
        plan([(IMPLEMENTS, "1-NQ/TW")], "21/KH-BYT", "2025-02-02", "b2.txt"),
        plan(
            [(IMPLEMENTS, "20/KH-BYT"), (MENTIONS, "21/KH-BYT")], "50/KH-SYT", "2025-03-05", "x.txt"
        ),
        plan([(MENTIONS, "21/KH-BYT")], "60/KH-SYT", "2025-03-06", "y.txt"),
        # one administrative symbol issued in two years
        make_doc(
            "Kế hoạch năm 2024.", "5/KH-BYT", "Bộ Y tế", "2024-05-01", "Kế hoạch", None, "k24.txt"
        ),
        make_doc(
            "Kế hoạch năm 2025.", "5/KH-BYT", "Bộ Y tế", "2025-05-01", "Kế hoạch", None, "k25.txt"
        ),
    ]
    return build_archive(tmp_path_factory.mktemp("small"), docs)


def test_hierarchy_shows_every_member_of_a_cycle_once(small: Path) -> None:
    lines = q.hierarchy(small, "1-NQ/TW", repeat_limit=0)
    depth = {x.key: x.depth for x in lines if not x.repeat}
    keys = [x.key for x in lines if not x.repeat]
    assert len(keys) == len(set(keys))
    # each at its longest distance once the link closing the cycle is left out
    assert {k: depth[k] for k in ("20/KH-BYT@2025", "30/KH-SYT@2025", "40/KH-SYT@2025")} == {
        "20/KH-BYT@2025": 1,
        "30/KH-SYT@2025": 2,
        "40/KH-SYT@2025": 3,
    }


def test_hierarchy_prefers_implementing_parents(small: Path) -> None:
    lines = q.hierarchy(small, "1-NQ/TW")
    parents: dict[str, set[str]] = {}
    path: list[str] = []
    for line in lines:
        path[line.depth :] = [line.key]
        if line.depth:
            parents.setdefault(line.key, set()).add(path[line.depth - 1])
    # implemented one level up and mentioned one level up: shown under the implemented only
    assert parents["50/KH-SYT@2025"] == {"20/KH-BYT@2025"}
    # only mentioned: still in the tree, under what it mentions
    assert parents["60/KH-SYT@2025"] == {"21/KH-BYT@2025"}
    assert parents["40/KH-SYT@2025"] == {"30/KH-SYT@2025"}


@pytest.mark.parametrize(
    ("symbol", "keys"),
    [
        ("5/KH-BYT", ["5/KH-BYT@2024", "5/KH-BYT@2025"]),
        ("5/kh-byt", ["5/KH-BYT@2024", "5/KH-BYT@2025"]),
        ("5/KH-BYT@2025", ["5/KH-BYT@2025"]),
        ("5 / KH-BYT@2024", ["5/KH-BYT@2024"]),
        ("5/KH-BYT@2023", []),
    ],
)
def test_an_explicit_year_matches_that_year_only(small: Path, symbol: str, keys: list[str]) -> None:
    assert q.find_keys(small, symbol) == keys


def test_cited_by_lists_what_a_document_cites(data: Path) -> None:
    df = q.cited_by(data, "ministry.txt")
    assert set(df.symbol) == {"9-NQ/TW", "40/NQ-CP", "700/QĐ-BYT", "12/2025/NĐ-CP"}
    assert q.cited_by(data, "310/KH-BYT").equals(df)


def test_missing_ranks_documents_outside_the_archive(data: Path) -> None:
    df = q.missing(data)
    assert df.iloc[0].key == "9-NQ/TW" and df.iloc[0].citing_docs == 3
    assert "310/KH-BYT@2025" not in set(df.key)


@pytest.mark.parametrize(
    ("unit", "n"), [("so y te", 1), ("Sở Y tế", 1), ("VĂN PHÒNG", 1), (None, 2)]
)
def test_tasks_match_units_without_marks(data: Path, unit: str | None, n: int) -> None:
    df = q.tasks(data, unit)
    assert len(df) == n
    if unit and "y te" in unit:
        assert df.iloc[0].deadline_date == "2025-12-15" and df.iloc[0].document == "310/KH-BYT"


@pytest.mark.parametrize("unit", ["%", "_", "s_ y te", "so%te"])
def test_tasks_take_like_wildcards_literally(data: Path, unit: str) -> None:
    assert q.tasks(data, unit).empty


def test_sql_over_the_views(data: Path) -> None:
    df = q.sql(data, "SELECT count(*) AS n FROM nodes WHERE in_archive")
    assert df.n[0] == 5
    with pytest.raises(DataError):
        q.sql(data, "SELECT * FROM no_such_table")


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no documents\.parquet"):
        q.connect(tmp_path)
    with pytest.raises(DataError, match="no such data directory"):
        q.connect(tmp_path / "nope")


def test_unknown_symbol_is_a_clear_error(data: Path) -> None:
    with pytest.raises(DataError, match="no document or citation"):
        q.cites(data, "1/XX-YY")


def test_graph_tables_are_built_when_missing(tmp_path: Path) -> None:
    out = build_archive(tmp_path, sample_docs())
    (out / "nodes.parquet").unlink()
    assert len(q.cites(out, "9-NQ/TW")) == 3
    assert (out / "nodes.parquet").exists()


def test_partitioned_tables_answer_the_same(tmp_path: Path, data: Path) -> None:
    docs = sample_docs()
    part = build_archive(tmp_path / "p", docs, partition_threshold=1)
    flat = build_archive(tmp_path / "f", docs)
    assert set(q.cites(part, "9-NQ/TW", 3).key) == set(q.cites(flat, "9-NQ/TW", 3).key)


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_cites_prints_symbol_and_file(data: Path) -> None:
    out = invoke("cites", "9-NQ/TW", "--data", str(data), "--format", "csv")
    rows = pd.read_csv(__import__("io").StringIO(out))
    assert set(rows.file_name) == {"ministry.txt", "province.txt", "ocr.txt"}
    assert set(rows.symbol) == {"310/KH-BYT", "88/KH-SYT", "91/KH-SYT"}
    table = invoke("cites", "9-NQ/TW", "--data", str(data))
    assert "ministry.txt" in table and "310/KH-BYT" in table


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (("cites", "310/KH-BYT", "--depth", "2"), "unit.txt"),
        (("cited-by", "310/KH-BYT"), "12/2025/NĐ-CP"),
        (("hierarchy", "9-NQ/TW"), "└─ 40/NQ-CP"),
        (("missing",), "9-NQ/TW"),
        (("tasks", "--unit", "so y te"), "2025-12-15"),
        (("query", "SELECT count(*) AS n FROM documents"), "5"),
    ],
)
def test_cli_commands_print_tables(data: Path, args: tuple[str, ...], expect: str) -> None:
    assert expect in invoke(*args, "--data", str(data))


@pytest.mark.parametrize(
    "command",
    [
        ("cites", "9-NQ/TW"),
        ("missing",),
        ("hierarchy", "9-NQ/TW"),
        ("tasks",),
        ("cited-by", "ocr.txt"),
    ],
)
def test_cli_json_output_parses(data: Path, command: tuple[str, ...]) -> None:
    records = json.loads(invoke(*command, "--data", str(data), "--format", "json"))
    assert isinstance(records, list) and records


def test_cli_without_tables_fails_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cites", "9-NQ/TW", "--data", str(tmp_path)])
    assert result.exit_code == DataError.exit_code
    # one message (rich may wrap it on a narrow terminal), no traceback
    assert "E401" in result.output and result.output.count("error:") == 1
    assert "Traceback" not in result.output
