"""Queries over the Parquet outputs, with DuckDB (the tables are registered as views).

Every function takes the data directory (or an open connection from `connect`) and
returns a pandas DataFrame (or tree lines), so the CLI, the report and the notebooks
share them. A symbol argument matches keys whatever their spaces, case and Đ/D spelling
("57-nq/tw", "2121/QD-BYT" and "2121/QĐ-BYT" all match); without "@year" it matches every
year of the symbol, with one ("2121/QĐ-BYT@2025") only that year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.errors import DataError
from pipeline.textutil import strip_marks

# Tables written per document by the store; graph tables built per batch by pipeline.graph.
DOCUMENT_TABLES = (
    "documents",
    "citations",
    "sections",
    "assignments",
    "edges",
    "changes",
    "pages",
    "words",
    "fields",
)
GRAPH_TABLES = ("nodes", "graph_edges", "issuer_levels", "units")
# Relations preferred as the parent link when a node hangs under several parents.
IMPLEMENTING = ("thuc_hien", "trien_khai", "huong_dan")

Db = Path | str | duckdb.DuckDBPyConnection


def norm_symbol(text: str) -> str:
    """Loose form of a symbol or key for matching: no '@year', spaces, marks; upper case."""
    return strip_marks(text.split("@", 1)[0]).upper().replace(" ", "")


def year_of(text: str) -> str:
    """The '@year' part of a symbol or key ('' when it has none)."""
    return text.split("@", 1)[1].strip() if "@" in text else ""


def like_pattern(text: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') matching values that contain `text` literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _source(data: Path, name: str) -> str | None:
    """The read_parquet() expression of table `name`, or None when absent."""
    folder = data / name
    if folder.is_dir() and any(folder.rglob("*.parquet")):
        glob = str(folder / "**" / "*.parquet").replace("'", "''")
        return f"read_parquet('{glob}', hive_partitioning = true)"
    path = data / f"{name}.parquet"
    if path.exists():
        return f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"
    return None


def connect(data: Path | str = "data", *, build: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with every table of `data` as a view.

    Raises DataError when `data` holds no documents table. Missing graph tables are
    built from the per-document tables first (when `build`).
    """
    data = Path(data)
    if not data.is_dir():
        raise DataError(f"{data}: no such data directory (run `vanban run PATH --out {data}`)")
    if _source(data, "documents") is None:
        raise DataError(f"{data}: no documents.parquet (run `vanban run PATH --out {data}`)")
    if build and any(_source(data, t) is None for t in ("nodes", "graph_edges")):
        from pipeline.graph import build_graph_tables

        try:
            build_graph_tables(data)
        except OSError as exc:
            raise DataError(
                f"{data}: graph tables are missing and cannot be written: {exc}"
            ) from exc
    con = duckdb.connect(":memory:")
    for name in DOCUMENT_TABLES + GRAPH_TABLES:
        src = _source(data, name)
        if src is not None:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {src}")
    # One row per (citing, cited) pair: the graph that traversals walk.
    con.execute(
        "CREATE TABLE links AS SELECT src_key, dst_key, "
        "bool_or(list_contains(?, relation)) AS implementing "
        "FROM graph_edges GROUP BY ALL",
        [list(IMPLEMENTING)],
    )
    keys = con.execute("SELECT key, coalesce(nullif(symbol, ''), key) FROM nodes").fetchall()
    index = pd.DataFrame(
        {
            "key": [k for k, _ in keys],
            "norm": [norm_symbol(s) for _, s in keys],
            "year": ["" if k.startswith(("name:", "doc:")) else year_of(k) for k, _ in keys],
        },
        columns=["key", "norm", "year"],
    )
    con.register("_node_index", index)
    con.execute("CREATE TABLE node_index AS SELECT * FROM _node_index")
    con.unregister("_node_index")
    return con


def _con(db: Db) -> duckdb.DuckDBPyConnection:
    return db if isinstance(db, duckdb.DuckDBPyConnection) else connect(Path(db))


def find_keys(db: Db, symbol: str) -> list[str]:
    """Node keys matching a symbol, a key, a doc_id or a source file name.

    "5/KH-BYT" matches every year of that symbol; "5/KH-BYT@2025" only the 2025 one.
    """
    con = _con(db)
    year = year_of(symbol) if "@" in symbol else None
    rows = con.execute(
        "SELECT key FROM node_index WHERE (norm = ? AND (? IS NULL OR year = ?)) OR key = ? "
        "UNION SELECT key FROM nodes WHERE doc_id = ? OR file_name = ? ORDER BY 1",
        [norm_symbol(symbol), year, year, symbol, symbol, symbol],
    ).fetchall()
    return [r[0] for r in rows]


def _need_keys(con: duckdb.DuckDBPyConnection, symbol: str) -> list[str]:
    keys = find_keys(con, symbol)
    if not keys:
        raise DataError(f"{symbol}: no document or citation with this symbol in the data")
    return keys


def cites(db: Db, symbol: str, depth: int = 1, *, archive_only: bool = True) -> pd.DataFrame:
    """Documents citing `symbol`, directly (depth 1) or through citing documents.

    One row per citing document at its smallest depth: key, symbol, file_name, doc_id,
    depth, via (the document it cites on the way), in_archive.
    """
    con = _con(db)
    keys = _need_keys(con, symbol)
    con.execute("CREATE OR REPLACE TEMP TABLE _targets AS SELECT unnest(?) AS key", [keys])
    df = con.execute(
        """
        WITH RECURSIVE walk(key, via, depth) AS (
            SELECT l.src_key, l.dst_key, 1 FROM links l JOIN _targets t ON l.dst_key = t.key
            UNION
            SELECT l.src_key, l.dst_key, w.depth + 1
            FROM walk w JOIN links l ON l.dst_key = w.key
            WHERE w.depth < ?
        ),
        best AS (
            SELECT key, min(depth) AS depth, arg_min(via, depth) AS via FROM walk
            WHERE key NOT IN (SELECT key FROM _targets) GROUP BY key
        )
        SELECT b.key, coalesce(n.symbol, '') AS symbol, n.file_name, n.doc_id, b.depth, b.via,
               coalesce(n.in_archive, false) AS in_archive, n.doc_type, n.issuer, n.issued_date
        FROM best b LEFT JOIN nodes n ON n.key = b.key
        ORDER BY b.depth, n.in_archive DESC, n.level, b.key
        """,
        [max(1, depth)],
    ).df()
    if archive_only:
        df = df[df["in_archive"]].reset_index(drop=True)
    return df


def cited_by(db: Db, doc: str) -> pd.DataFrame:
    """What a document cites: one row per cited document with the relation and evidence."""
    con = _con(db)
    keys = _need_keys(con, doc)
    return con.execute(
        """
        SELECT e.src_key, e.dst_key AS key, coalesce(n.symbol, '') AS symbol,
               string_agg(DISTINCT e.relation, ',' ORDER BY e.relation) AS relation,
               n.doc_type, n.issuer, n.issued_date, n.in_archive, n.file_name, n.level,
               min(e.evidence) AS evidence
        FROM graph_edges e LEFT JOIN nodes n ON n.key = e.dst_key
        WHERE e.src_key IN (SELECT unnest(?)) AND e.kind = 'direct'
        GROUP BY ALL ORDER BY n.level, key
        """,
        [keys],
    ).df()


@dataclass
class TreeLine:
    """One line of the hierarchy tree."""

    key: str
    depth: int
    label: str
    relation: str = ""
    repeat: bool = False  # already shown above: its subtree is not repeated


Link = tuple[str, bool]  # (citing document key, whether the link is an implementing one)


def _acyclic(
    roots: list[str],
    children: dict[str, list[Link]],
    order: Callable[[str], tuple[int, str, str]],
) -> dict[str, list[Link]]:
    """`children` without the links that close a cycle and without links into a root.

    A depth-first walk from the roots (children taken in `order`, so the result is
    stable) drops each link back to a node still on its path; every node reachable
    from a root stays reachable.
    """
    dag: dict[str, list[Link]] = defaultdict(list)
    on_path: set[str] = set()
    seen: set[str] = set()

    def kids(key: str) -> Iterator[Link]:
        return iter(sorted(children.get(key, []), key=lambda link: order(link[0])))

    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        on_path.add(root)
        stack = [(root, kids(root))]
        while stack:
            node, todo = stack[-1]
            for kid, implementing in todo:
                if kid in roots or kid in on_path:
                    continue  # would close a cycle
                dag[node].append((kid, implementing))
                if kid not in seen:
                    seen.add(kid)
                    on_path.add(kid)
                    stack.append((kid, kids(kid)))
                    break
            else:
                on_path.discard(node)
                stack.pop()
    return dag


def _longest_depths(roots: list[str], dag: dict[str, list[Link]]) -> dict[str, int]:
    """Longest distance of every node of the acyclic `dag` from the roots."""
    waiting: dict[str, int] = defaultdict(int)
    for links in dag.values():
        for kid, _ in links:
            waiting[kid] += 1
    depth = dict.fromkeys(roots, 0)
    ready = list(roots)
    while ready:
        node = ready.pop()
        for kid, _ in dag.get(node, []):
            depth[kid] = max(depth.get(kid, 0), depth[node] + 1)
            waiting[kid] -= 1
            if not waiting[kid]:
                ready.append(kid)
    return depth


def hierarchy(db: Db, symbol: str, max_depth: int = 8, repeat_limit: int = 12) -> list[TreeLine]:
    """The chain down from a document: who implements it, who implements those...

    A node sits at its longest distance from the root (57-NQ/TW -> 71/NQ-CP ->
    2121/QĐ-BYT -> 1138/KH-BYT rather than 1138/KH-BYT right under 57-NQ/TW), measured
    with the links that close a cycle left out, so every document reachable from the
    root is shown. It hangs under the parents one step above it, only the implementing
    ones (IMPLEMENTING) when it has such a parent there; under several parents it is
    shown under each, its subtree repeated when it has at most `repeat_limit` nodes and
    marked `repeat` otherwise.
    """
    con = _con(db)
    keys = _need_keys(con, symbol)
    con.execute("CREATE OR REPLACE TEMP TABLE _targets AS SELECT unnest(?) AS key", [keys])
    rows = con.execute(
        """
        WITH RECURSIVE down(key) AS (
            SELECT key FROM _targets
            UNION
            SELECT l.src_key FROM down d JOIN links l ON l.dst_key = d.key
        )
        SELECT l.src_key, l.dst_key, l.implementing FROM links l
        WHERE l.dst_key IN (SELECT key FROM down) AND l.src_key IN (SELECT key FROM down)
        """
    ).fetchall()
    children: dict[str, list[Link]] = defaultdict(list)
    for src, dst, implementing in rows:
        children[dst].append((src, bool(implementing)))
    reachable = set(keys) | {r[0] for r in rows}
    info = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT key, symbol, doc_type, issuer, issued_date, in_archive, file_name, level "
            "FROM nodes WHERE key IN (SELECT unnest(?))",
            [sorted(reachable)],
        ).fetchall()
    }

    def order(key: str) -> tuple[int, str, str]:
        i = info.get(key)
        return (i[6] if i else 7, (i[3] or "9999") if i else "9999", key)

    roots = sorted(keys, key=order)
    dag = _acyclic(roots, children, order)
    depth = _longest_depths(roots, dag)
    # The parents one step above each node, implementing ones first when there are any.
    above: dict[str, list[Link]] = defaultdict(list)
    for parent, links in dag.items():
        for kid, implementing in links:
            if depth[kid] == depth[parent] + 1 <= max_depth:
                above[kid].append((parent, implementing))
    tree: dict[str, list[str]] = defaultdict(list)
    for kid, parents in above.items():
        for parent in [p for p, impl in parents if impl] or [p for p, _ in parents]:
            tree[parent].append(kid)
    rel = {
        (r[0], r[1]): r[2]
        for r in con.execute(
            "SELECT src_key, dst_key, string_agg(DISTINCT relation, ',' ORDER BY relation) "
            "FROM graph_edges GROUP BY ALL"
        ).fetchall()
        if r[0] in depth and r[1] in depth
    }

    def label(key: str) -> str:
        symbol, doc_type, issuer, date, in_archive, file_name, _level = info.get(
            key, (key, None, None, None, False, None, 7)
        )
        parts = [symbol or ("(no symbol)" if key.startswith("doc:") else key)]
        desc = " · ".join(str(x) for x in (doc_type, issuer, date) if x)
        if desc:
            parts.append(desc)
        parts.append(f"[{file_name}]" if in_archive else "(not in archive)")
        return "  ".join(parts)

    def kids_of(key: str) -> list[str]:
        return sorted(tree.get(key, []), key=order)

    size: dict[str, int] = {}

    def subtree_size(key: str) -> int:
        if key not in size:
            size[key] = 1 + sum(subtree_size(k) for k in kids_of(key))
        return size[key]

    lines: list[TreeLine] = []
    shown: set[str] = set()

    def walk(key: str, level: int, relation: str) -> None:
        # A node under several parents is expanded under each while its subtree is small
        # (each chain reads whole); a large one is expanded once and referred to after.
        repeat = key in shown and subtree_size(key) > repeat_limit
        lines.append(TreeLine(key, level, label(key), relation, repeat))
        if repeat:
            return
        shown.add(key)
        for kid in kids_of(key):
            walk(kid, level + 1, rel.get((kid, key), ""))

    for root in roots:
        walk(root, 0, "")
    return lines


def render_tree(lines: list[TreeLine]) -> str:
    """The hierarchy as an indented text tree."""
    out = []
    for line in lines:
        pad = "    " * line.depth
        arrow = "└─ " if line.depth else ""
        rel = f"  ({line.relation})" if line.relation else ""
        more = "  … shown above" if line.repeat else ""
        out.append(f"{pad}{arrow}{line.label}{rel}{more}")
    return "\n".join(out)


def missing(db: Db, limit: int = 20) -> pd.DataFrame:
    """Most-cited documents that are not in the archive."""
    return (
        _con(db)
        .execute(
            "SELECT key, symbol, doc_type, issuer, issued_date, level_id AS level, times_cited, "
            "citing_docs FROM nodes WHERE NOT in_archive AND NOT starts_with(key, 'doc:') "
            "ORDER BY citing_docs DESC, times_cited DESC, key LIMIT ?",
            [limit],
        )
        .df()
    )


def tasks(db: Db, unit: str | None = None) -> pd.DataFrame:
    """Assignments (and deadlines), optionally for units whose name contains `unit`.

    The unit is matched without marks and case, so "so y te" finds "Sở Y tế".
    """
    con = _con(db)
    pattern = like_pattern(strip_marks(unit).lower()) if unit else "%"
    return con.execute(
        """
        SELECT coalesce(d.symbol, d.file_name) AS document, a.unit, a.role, a.task,
               a.deadline_date, a.deadline_text, a.recurrence, a.section_path
        FROM assignments a LEFT JOIN documents d USING (doc_id)
        WHERE lower(strip_accents(replace(replace(a.unit, 'đ', 'd'), 'Đ', 'D'))) LIKE ? ESCAPE '\\'
        ORDER BY a.deadline_date NULLS LAST, document, a.start
        """,
        [pattern],
    ).df()


def sql(db: Db, query: str) -> pd.DataFrame:
    """Any SQL over the views (documents, citations, nodes, graph_edges, ...)."""
    con = _con(db)
    try:
        return con.execute(query).df()
    except duckdb.Error as exc:
        raise DataError(f"SQL error: {str(exc).splitlines()[0]}") from exc
