"""Stage graph: document-to-document edges, and the batch-level graph tables.

Per document, `graph` adds `doc.edges`:

* the document itself -> every document it cites (relation from the citation, or from
  the cue that opens the clause: "Căn cứ" -> can_cu);
* edges between *other* documents, learned from how the text describes them:
  "Nghị quyết số 71/NQ-CP ... về việc sửa đổi, bổ sung Chương trình hành động thực hiện
  Nghị quyết số 57-NQ/TW" says 71/NQ-CP --thuc_hien--> 57-NQ/TW. Two citations that
  follow each other in one clause, with a cue word between them (dictionaries/
  graph_cues.yaml), make such an edge. Matching runs on the mark-free, lower-cased
  text, so old OCR text without diacritics works too; offsets are those of `doc.text`.

Per batch, `build_graph_tables(out_dir)` reads the per-document Parquet tables and writes
nodes.parquet (archive documents and stub nodes for cited documents outside the archive),
graph_edges.parquet (deduplicated edges), issuer_levels.parquet and units.parquet.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import yaml

from pipeline.keys import document_key
from pipeline.models import Citation, Document, Edge
from pipeline.registry import stage
from pipeline.settings import DEFAULT_DICTIONARIES, Settings
from pipeline.store import atomic_write_parquet, current_umask
from pipeline.textutil import strip_marks

UNKNOWN_LEVEL = 7
_NO_KEY = ("", "name:")  # a citation without symbol or title names no document
# Above this many nodes the graph tables are written as hive-partitioned datasets.
PARTITION_THRESHOLD = 50_000
GRAPH_TABLES = ("nodes", "graph_edges", "issuer_levels", "units")

_SYMBOL_PARTY = re.compile(r"^[\w.]+-[^/]+/[^/]+$")
_SYMBOL_NORMATIVE = re.compile(r"^[\w.]+/(\d{4})/[^/]+$")
# Clause ends: ';', a sentence end, a new bullet or numbered heading on a new line
# (graph_cues.yaml adds the words that open a clause at the start of a line).
_CLAUSE_END_BASE = r";|\.\s+(?=[A-ZĐ\d(])|\n\s*[-+•*~]\s|\n\s*(?:[IVX]+|\d+(?:\.\d+)*)\.\s"


# --------------------------------------------------------------------------- dictionaries


@dataclass(frozen=True)
class Cues:
    """Cue words of graph_cues.yaml, ready to match folded text."""

    cues: tuple[tuple[re.Pattern[str], str], ...]
    clause_end: re.Pattern[str]  # where a clause ends (mark-free text, case kept)
    list_item: re.Pattern[str]  # ", Luật ..." / "và Kế hoạch ...": a new item of a list
    reverse: frozenset[str]  # patterns of cues that state the edge B -> A
    lead_cues: tuple[tuple[re.Pattern[str], str], ...]
    breaks: tuple[str, ...]
    type_tail: re.Pattern[str]
    max_gap: int
    implementing: frozenset[str]


def _word_pattern(text: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, text.split())) + r"(?!\w)")


@functools.lru_cache(maxsize=8)
def load_cues(dictionaries: Path = DEFAULT_DICTIONARIES) -> Cues:
    """Read dictionaries/graph_cues.yaml."""
    data = yaml.safe_load((dictionaries / "graph_cues.yaml").read_text(encoding="utf-8"))
    names = sorted(data.get("type_names", []), key=len, reverse=True)
    tail = r"(?:" + "|".join(r"\s+".join(map(re.escape, n.split())) for n in names) + r")"
    openers = "|".join(r"\s+".join(map(re.escape, o.split())) for o in data["clause_openers"])
    capitalised = "|".join(
        r"\s+".join(map(re.escape, (n[:1].upper() + n[1:]).split())) for n in names
    )
    return Cues(
        cues=tuple((_word_pattern(c["pattern"]), c["relation"]) for c in data["cues"]),
        clause_end=re.compile(_CLAUSE_END_BASE + r"|\n[\s\-~]*(?=(?:" + openers + r")\b)"),
        list_item=re.compile(r"(?:,|\bva)\s+(?:" + capitalised + r")\b"),
        reverse=frozenset(
            _word_pattern(c["pattern"]).pattern for c in data["cues"] if c.get("reverse")
        ),
        lead_cues=tuple((_word_pattern(c["pattern"]), c["relation"]) for c in data["lead_cues"]),
        breaks=tuple(data.get("breaks", [])),
        type_tail=re.compile(tail + r"(?:\s+so)?\s*[:.]?\s*$"),
        max_gap=int(data.get("max_gap", 400)),
        implementing=frozenset(data.get("implementing", [])),
    )


@dataclass(frozen=True)
class IssuerLevels:
    """Issuer names/codes -> level of the directive hierarchy (issuer_levels.yaml)."""

    levels: tuple[tuple[int, str, str], ...]  # (level, id, name)
    names: tuple[tuple[str, int, bool], ...]  # (folded pattern, level, anchored)
    codes: dict[str, int]
    code_patterns: tuple[tuple[re.Pattern[str], int], ...]

    def level(self, issuer: str | None = None, code: str | None = None) -> int:
        """Level of an issuer, by name first, then by symbol code; 7 when unknown."""
        if issuer:
            folded = " ".join(strip_marks(issuer).lower().split()) + " "
            for pattern, level, anchored in self.names:
                if folded.startswith(pattern) if anchored else pattern in folded:
                    return level
        if code:
            if code in self.codes:
                return self.codes[code]
            norm = fold_code(code)
            if norm in self.codes:
                return self.codes[norm]
            for rx, level in self.code_patterns:
                if rx.search(norm):
                    return level
        return UNKNOWN_LEVEL

    def level_id(self, level: int) -> str:
        return next((i for lv, i, _ in self.levels if lv == level), "unknown")

    def level_name(self, level: int) -> str:
        return next((n for lv, _, n in self.levels if lv == level), "")


def fold_code(code: str) -> str:
    """Issuer code compared loosely: no marks (Đ -> D), upper case, no spaces."""
    return strip_marks(code).upper().replace(" ", "")


@functools.lru_cache(maxsize=8)
def load_levels(dictionaries: Path = DEFAULT_DICTIONARIES) -> IssuerLevels:
    """Read dictionaries/issuer_levels.yaml."""
    data = yaml.safe_load((dictionaries / "issuer_levels.yaml").read_text(encoding="utf-8"))
    codes: dict[str, int] = {}
    for code, level in data["codes"].items():
        codes[str(code)] = int(level)
        codes.setdefault(fold_code(str(code)), int(level))
    return IssuerLevels(
        levels=tuple((int(x["level"]), x["id"], x["name"]) for x in data["levels"]),
        names=tuple(
            (x["pattern"], int(x["level"]), bool(x.get("anchored"))) for x in data["names"]
        ),
        codes=codes,
        code_patterns=tuple(
            (re.compile(x["pattern"]), int(x["level"])) for x in data["code_patterns"]
        ),
    )


# --------------------------------------------------------------------------- keys


def symbol_family(symbol: str) -> str:
    """Numbering family of a normalised symbol (party / normative / administrative)."""
    if _SYMBOL_PARTY.match(symbol):
        return "party"
    if _SYMBOL_NORMATIVE.match(symbol):
        return "normative"
    return "administrative"


def issuer_code_of(symbol: str) -> str:
    """Issuer part of a symbol: TW (57-NQ/TW), BYT (1138/KH-BYT), CP (42/2025/NĐ-CP)."""
    if not symbol:
        return ""
    if _SYMBOL_PARTY.match(symbol):
        return symbol.rsplit("/", 1)[1]
    tail = symbol.rsplit("/", 1)[-1]
    if "-" in tail:
        head, rest = tail.split("-", 1)
        # Công văn: 627/BYT-BH has no type code, the issuer comes first.
        return head if head.isupper() and len(head) > 2 and len(rest) <= 4 else rest
    return tail


def citation_key(c: Citation) -> str:
    """The graph key of a cited document (Citation.key, or computed from its fields)."""
    if c.key:
        return c.key
    family = c.family or (symbol_family(c.cited_symbol) if c.cited_symbol else "name")
    return document_key(c.cited_symbol, family, c.cited_year, c.cited_title)


def own_key(doc: Document) -> str:
    """The document's own key; 'doc:<doc_id>' when its symbol is unknown."""
    meta = doc.meta
    if meta.key:
        return meta.key
    if meta.symbol:
        year = int(meta.issued_date[:4]) if meta.issued_date else None
        return document_key(meta.symbol, symbol_family(meta.symbol), year)
    return f"doc:{doc.doc_id}"


# --------------------------------------------------------------------------- stage


def clause_bounds(plain: str, pos: int, clause_end: re.Pattern[str]) -> tuple[int, int]:
    """Start and end of the clause around offset `pos` (of mark-free, case-kept text)."""
    start = 0
    for m in clause_end.finditer(plain, max(0, pos - 600), pos):
        start = m.end()
    end = clause_end.search(plain, pos)
    return start, (end.start() if end else len(plain))


def _last_cue(
    gap: str, cues: tuple[tuple[re.Pattern[str], str], ...]
) -> tuple[int, str, str] | None:
    """The cue ending nearest the end of `gap` (the longest on a tie).

    Returns (its end offset, relation, pattern).
    """
    best: tuple[int, int, str, str] | None = None
    for rx, relation in cues:
        for m in rx.finditer(gap):
            cand = (m.end(), m.end() - m.start(), relation, rx.pattern)
            if best is None or cand[:2] > best[:2]:
                best = cand
    return (best[0], best[2], best[3]) if best else None


def learned_relation(gap: str, cues: Cues) -> tuple[str, bool] | None:
    """Relation stated by the text between two citations of one clause, if any.

    `gap` is that text without marks (`strip_marks`), case kept for sentence ends.

    Returns (relation, reversed): reversed when the cue says the later document
    relates to the earlier one ("A và các văn bản triển khai: B").
    """
    if len(gap) > cues.max_gap or cues.clause_end.search(gap) or cues.list_item.search(gap):
        return None
    gap = gap.lower()
    if any(b in gap for b in cues.breaks):
        return None
    gap = cues.type_tail.sub("", gap)
    found = _last_cue(gap, cues.cues)
    if found is None:
        return None
    return found[1], found[2] in cues.reverse


def _evidence(text: str, start: int, end: int, limit: int = 400) -> str:
    return " ".join(text[start : min(end, start + limit)].split())


def document_edges(doc: Document, settings: Settings) -> list[Edge]:
    """Edges read in one document: itself -> cited, and learned cited -> cited."""
    cues = load_cues(settings.dictionaries)
    text = doc.text
    plain = strip_marks(text)  # case kept: sentence ends need capitals
    folded = plain.lower()
    if len(folded) != len(plain):  # a rare character whose lower case is longer
        folded = "".join(ch.lower()[:1] or ch for ch in plain)
    src = own_key(doc)
    cits = sorted(
        (c for c in doc.citations if 0 <= c.start < c.end <= len(text)),
        key=lambda c: (c.start, c.end),
    )
    edges: list[Edge] = []
    seen: set[tuple[str, str, str]] = set()

    def add(a: str, b: str, relation: str, start: int, end: int) -> None:
        if a in _NO_KEY or b in _NO_KEY or a == b or (a, b, relation) in seen:
            return
        seen.add((a, b, relation))
        edges.append(Edge(a, b, relation, doc.doc_id, _evidence(text, start, end), start, end))

    prev: Citation | None = None
    prev_relation = ""
    for c in cits:
        key = citation_key(c)
        lo, hi = clause_bounds(plain, c.start, cues.clause_end)
        learned = None
        if prev is not None and prev.end <= c.start:
            learned = learned_relation(plain[prev.end : c.start], cues)
            if learned:
                a, b = (key, citation_key(prev)) if learned[1] else (citation_key(prev), key)
                add(a, b, learned[0], prev.start, c.end)
        relation = c.relation or _own_relation(
            folded, lo, c.start, cues, prev_relation if prev and prev.end > lo else None, learned
        )
        add(src, key, relation, lo, hi)
        prev, prev_relation = c, relation
    return edges


def _own_relation(
    folded: str,
    lo: int,
    start: int,
    cues: Cues,
    before: str | None,
    learned: tuple[str, bool] | None,
) -> str:
    """How the document relates to a citation the extractor left without a relation.

    The first citation of a clause takes the clause's opening cue ("Căn cứ" -> can_cu);
    one described through the citation before it ("A ... thực hiện B") is only
    mentioned (dan_chieu); one listed after another shares its relation.
    """
    if learned is not None:
        return "dan_chieu"
    if before is not None:
        return before
    found = _last_cue(folded[lo:start], cues.lead_cues)
    return found[1] if found else "dan_chieu"


@stage("graph", requires=("citations", "meta"), assigns=("edges",))
def graph(doc: Document, settings: Settings) -> Document:
    """Add doc.edges: the document -> what it cites, and edges learned between cited ones."""
    doc.edges = document_edges(doc, settings)
    return doc


# --------------------------------------------------------------------------- batch tables


def _read(out_dir: Path, name: str) -> list[dict[str, Any]]:
    path = out_dir / f"{name}.parquet"
    if not path.exists():
        return []
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


def _mode(values: list[Any]) -> Any:
    values = [v for v in values if v not in (None, "")]
    return Counter(values).most_common(1)[0][0] if values else None


def _year_of(key: str, date: str | None) -> int | None:
    if "@" in key:
        tail = key.rsplit("@", 1)[1]
        if tail.isdigit():
            return int(tail)
    m = _SYMBOL_NORMATIVE.match(key)
    if m:
        return int(m.group(1))
    return int(date[:4]) if date and date[:4].isdigit() else None


def _resolver(known: list[str]) -> dict[str, str]:
    """Map a yearless administrative key to the one dated key of the same symbol, if unique."""
    by_symbol: dict[str, set[str]] = defaultdict(set)
    for k in known:
        if "@" in k:
            by_symbol[k.split("@", 1)[0]].add(k)
    return {sym: next(iter(ks)) for sym, ks in by_symbol.items() if len(ks) == 1}


def _node(key: str, levels: IssuerLevels, **fields: Any) -> dict[str, Any]:
    """A nodes row: what is known of a document, the rest empty."""
    symbol = fields.get("symbol") or (
        "" if key.startswith(("doc:", "name:")) else key.split("@", 1)[0]
    )
    code = fields.get("issuer_code") or issuer_code_of(symbol)
    row = dict.fromkeys(SCHEMAS["nodes"].names)
    row.update(
        fields, key=key, symbol=symbol, issuer_code=code, in_archive=bool(fields.get("doc_id"))
    )
    row["year"] = _year_of(key, row["issued_date"])
    row["level"] = levels.level(row["issuer"], code)
    return row


def graph_rows(out_dir: Path, settings: Settings | None = None) -> dict[str, list[dict[str, Any]]]:
    """Rows of the graph tables, built from the per-document tables in `out_dir`."""
    settings = settings or Settings()
    levels = load_levels(settings.dictionaries)
    docs = _read(out_dir, "documents")
    cits = _read(out_dir, "citations")
    edges = _read(out_dir, "edges")

    doc_key: dict[str, str] = {}
    for d in docs:
        key = d.get("key")
        if not key and d.get("symbol"):
            year = _year_of("", d.get("issued_date"))
            key = document_key(d["symbol"], symbol_family(d["symbol"]), year)
        doc_key[d["doc_id"]] = key or f"doc:{d['doc_id']}"
    for c in cits:
        if not c.get("key"):
            c["key"] = citation_key(Citation(**{k: v for k, v in c.items() if k != "doc_id"}))
    if not edges:  # tables written without the graph stage: direct edges from citations
        edges = [
            {"doc_id": c["doc_id"], "src_key": doc_key.get(c["doc_id"], ""), "dst_key": c["key"],
             "relation": c.get("relation") or "dan_chieu", "evidence": c.get("raw_text", ""),
             "start": c.get("start", -1), "end": c.get("end", -1)}
            for c in cits
        ]  # fmt: skip
    resolve = _resolver(list(doc_key.values()) + [c["key"] for c in cits])

    def canon(key: str) -> str:
        return resolve.get(key, key) if key and "@" not in key else key

    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in cits:
        by_key[canon(c["key"])].append(c)

    nodes: dict[str, dict[str, Any]] = {}
    for d in docs:
        key = doc_key[d["doc_id"]]
        if key not in nodes:
            fields = {f: d.get(f) for f in _DOC_FIELDS}
            fields["file_name"] = Path(d.get("source_path") or "").name
            nodes[key] = _node(key, levels, **fields)
    for key, group in by_key.items():
        if key not in _NO_KEY and key not in nodes:
            fields = {f: _mode([c.get(col) for c in group]) for f, col in _CITED_FIELDS.items()}
            nodes[key] = _node(key, levels, **fields)

    merged: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for e in edges:
        src, dst = canon(e["src_key"]), canon(e["dst_key"])
        if src in _NO_KEY or dst in _NO_KEY or src == dst:
            continue
        for k in (src, dst):
            if k not in nodes:
                nodes[k] = _node(k, levels)
        ident = (src, dst, e["relation"], e["doc_id"])
        if ident in merged:
            merged[ident]["mentions"] += 1
            continue
        merged[ident] = {
            "src_key": src, "dst_key": dst, "relation": e["relation"],
            "kind": "direct" if src == doc_key.get(e["doc_id"]) else "learned",
            "doc_id": e["doc_id"], "evidence": e.get("evidence") or "",
            "start": e.get("start"), "end": e.get("end"), "mentions": 1,
            "src_level": nodes[src]["level"], "dst_level": nodes[dst]["level"],
        }  # fmt: skip
    edge_rows = sorted(merged.values(), key=lambda r: tuple(r[k] for k in _EDGE_ORDER))

    cited_times = Counter(canon(c["key"]) for c in cits)
    citing_docs: dict[str, set[str]] = defaultdict(set)
    for r in edge_rows:
        citing_docs[r["dst_key"]].add(r["doc_id"])
    for key, node in nodes.items():
        node["times_cited"] = cited_times.get(key, 0)
        node["citing_docs"] = len(citing_docs.get(key, ()))
        node["level_id"] = levels.level_id(node["level"])
    node_rows = sorted(nodes.values(), key=lambda n: (n["level"], n["key"]))
    return {
        "nodes": node_rows,
        "graph_edges": edge_rows,
        "issuer_levels": _issuer_rows(node_rows, levels),
        "units": _unit_rows(_read(out_dir, "assignments"), levels),
    }


def _issuer_rows(nodes: list[dict[str, Any]], levels: IssuerLevels) -> list[dict[str, Any]]:
    """One row per level (issuer empty), then one per (issuer, code, level) seen in nodes."""
    counts = Counter((n["level"], n["issuer"] or "", n["issuer_code"] or "") for n in nodes)
    rows = [
        {"level": lv, "level_id": lid, "level_name": name, "issuer": None, "issuer_code": None,
         "nodes": 0}
        for lv, lid, name in levels.levels
    ]  # fmt: skip
    for (lv, issuer, code), n in sorted(counts.items()):
        rows.append(
            {"level": lv, "level_id": levels.level_id(lv), "level_name": levels.level_name(lv),
             "issuer": issuer or None, "issuer_code": code or None, "nodes": n}
        )  # fmt: skip
    return rows


def _unit_rows(assigns: list[dict[str, Any]], levels: IssuerLevels) -> list[dict[str, Any]]:
    """One row per unit given tasks: its level, tasks and documents."""
    tasks: Counter[str] = Counter(a["unit"] for a in assigns)
    docs: dict[str, set[str]] = defaultdict(set)
    for a in assigns:
        docs[a["unit"]].add(a["doc_id"])
    return [
        {"unit": u, "level": levels.level(u), "tasks": tasks[u], "documents": len(docs[u])}
        for u in sorted(tasks)
    ]


def _schema(spec: str) -> pa.Schema:
    types = {"str": pa.string(), "int": pa.int64(), "bool": pa.bool_()}
    return pa.schema([(col, types[t]) for col, t in (f.split(":") for f in spec.split())])


SCHEMAS: dict[str, pa.Schema] = {
    "nodes": _schema(
        "key:str symbol:str in_archive:bool doc_id:str file_name:str doc_type:str type_code:str "
        "issuer:str issuer_code:str issued_date:str year:int title:str level:int "
        "times_cited:int citing_docs:int level_id:str"
    ),
    "graph_edges": _schema(
        "src_key:str dst_key:str relation:str kind:str doc_id:str evidence:str start:int end:int "
        "mentions:int src_level:int dst_level:int"
    ),
    "issuer_levels": _schema(
        "level:int level_id:str level_name:str issuer:str issuer_code:str nodes:int"
    ),
    "units": _schema("unit:str level:int tasks:int documents:int"),
}
_DOC_FIELDS = ("doc_id", "doc_type", "type_code", "issuer", "issuer_code", "issued_date", "title",
               "symbol")  # fmt: skip
# nodes column <- citations column, for documents known only from citations
_CITED_FIELDS = {
    "symbol": "cited_symbol", "doc_type": "cited_type_name", "type_code": "cited_type",
    "issuer": "cited_issuer", "issuer_code": "cited_issuer_code", "issued_date": "cited_date",
    "title": "cited_title",
}  # fmt: skip
_EDGE_ORDER = ("src_key", "dst_key", "relation", "doc_id")
# Partition column of each table written as a hive-partitioned dataset.
PARTITION_BY = {"nodes": "level", "graph_edges": "src_level"}


def _atomic_dataset(path: Path, table: pa.Table, column: str) -> None:
    """Write a hive-partitioned dataset directory, swapped in with renames."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    tmp.chmod(0o777 & ~current_umask())  # mkdtemp makes 0700 folders: keep the dataset readable
    try:
        pads.write_dataset(
            table,
            tmp,
            format="parquet",
            partitioning=[column],
            partitioning_flavor="hive",
            existing_data_behavior="overwrite_or_ignore",
        )
        old = path.with_name(f".{path.name}.old")
        if path.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def build_graph_tables(
    out_dir: Path, settings: Settings | None = None, *, partition_threshold: int | None = None
) -> dict[str, int]:
    """Write the graph tables into `out_dir` from its per-document tables; returns row counts.

    Tables with more than `partition_threshold` nodes are written as hive-partitioned
    directories (`nodes/level=3/...`, `graph_edges/src_level=3/...`) instead of one file.
    """
    settings = settings or Settings()
    threshold = partition_threshold
    if threshold is None:
        threshold = int(getattr(settings, "graph_partition_threshold", PARTITION_THRESHOLD))
    rows = graph_rows(out_dir, settings)
    partitioned = len(rows["nodes"]) > threshold
    for name, table_rows in rows.items():
        schema = SCHEMAS[name]
        table = pa.Table.from_pylist(table_rows, schema=schema)
        file_path, dir_path = out_dir / f"{name}.parquet", out_dir / name
        if partitioned and name in PARTITION_BY:
            _atomic_dataset(dir_path, table, PARTITION_BY[name])
            file_path.unlink(missing_ok=True)
        else:
            atomic_write_parquet(file_path, table)
            if dir_path.is_dir():
                shutil.rmtree(dir_path)
    return {name: len(r) for name, r in rows.items()}
