"""A self-contained HTML report of an archive: hierarchy graph, document list, document pages.

One file, inline CSS and JS, no network: the directive hierarchy is an SVG laid out in
layers by issuer level (Party Central at the top, units at the bottom), drawn here in
Python so it shows even without scripts; the searchable document list and the
per-document pages (metadata, sections, citations linked to their targets,
assignments) are rendered by a small script from data embedded as JSON.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import query as q
from pipeline.store import atomic_write_text

# The page: inline CSS and the script that renders the list and document pages.
TEMPLATE = Path(__file__).with_name("report_template.html")
# The graph shows at most this many nodes: archive documents first, then the most cited.
MAX_GRAPH_NODES = 160
NODE_W, NODE_H, GAP_X, LAYER_H, LEFT = 132, 30, 14, 96, 170


@dataclass
class Layout:
    """Positions of the drawn nodes and the SVG size."""

    pos: dict[str, tuple[float, float]]
    width: float
    height: float
    layers: list[int]


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(df.to_json(orient="records", force_ascii=False))
    return records


def _first(*values: Any) -> str:
    """The first value that is a non-empty string ('' when none)."""
    return next((v for v in values if isinstance(v, str) and v), "")


def pick_nodes(nodes: pd.DataFrame, edges: pd.DataFrame, limit: int = MAX_GRAPH_NODES) -> list[str]:
    """Keys drawn in the graph: linked nodes, archive documents and most cited first."""
    linked = set(edges.src_key) | set(edges.dst_key)
    cand = nodes[nodes.key.isin(linked)].sort_values(
        ["in_archive", "citing_docs", "times_cited", "key"], ascending=[False, False, False, True]
    )
    return list(cand.key[:limit])


def layout(keys: list[str], level: dict[str, int], edges: list[tuple[str, str]]) -> Layout:
    """Layered layout: one row per issuer level, order in a row by the mean x of neighbours."""
    layers = sorted({level[k] for k in keys})
    rows: dict[int, list[str]] = defaultdict(list)
    for k in sorted(keys):
        rows[level[k]].append(k)
    neighbours: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    x: dict[str, float] = {}
    for _sweep in range(2):  # top-down then again: barycentre ordering settles quickly
        for lv in layers:
            row = rows[lv]
            for i, k in enumerate(row):
                placed = [x[n] for n in neighbours[k] if n in x and level[n] != lv]
                x.setdefault(k, float(i))
                x[k] = sum(placed) / len(placed) if placed else x[k]
            row.sort(key=lambda k: (x[k], k))
            for i, k in enumerate(row):
                x[k] = float(i)
    widest = max((len(rows[lv]) for lv in layers), default=1)
    width = LEFT + widest * (NODE_W + GAP_X) + GAP_X
    pos: dict[str, tuple[float, float]] = {}
    for li, lv in enumerate(layers):
        row = rows[lv]
        offset = LEFT + (widest - len(row)) * (NODE_W + GAP_X) / 2
        for i, k in enumerate(row):
            pos[k] = (offset + i * (NODE_W + GAP_X), 40 + li * LAYER_H)
    return Layout(pos, width, 40 + len(layers) * LAYER_H, layers)


def graph_svg(nodes: pd.DataFrame, edges: pd.DataFrame, level_names: dict[int, str]) -> str:
    """The directive hierarchy as an SVG string (edges point from citing to cited)."""
    keys = pick_nodes(nodes, edges)
    info = nodes.set_index("key")
    level = {k: int(info.at[k, "level"]) for k in keys}
    drawn = set(keys)
    pairs = sorted(
        {
            (a, b)
            for a, b in zip(edges.src_key, edges.dst_key, strict=True)
            if a in drawn and b in drawn
        }
    )
    lay = layout(keys, level, pairs)
    out = [
        f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" '
        f'height="{lay.height:.0f}" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        'role="img" aria-label="Directive hierarchy">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
        'fill="#8a94a6"/></marker></defs>',
    ]
    for li, lv in enumerate(lay.layers):
        y = 40 + li * LAYER_H
        out.append(
            f'<rect class="band" x="0" y="{y - 12}" width="{lay.width:.0f}" '
            f'height="{NODE_H + 24}" fill="{"#f4f6fa" if li % 2 == 0 else "#ffffff"}"/>'
            f'<text class="band-label" x="8" y="{y + NODE_H / 2 + 4}">'
            f"{html.escape(level_names.get(lv, str(lv)).split(' (')[0][:26])}</text>"
        )
    for a, b in pairs:
        (x1, y1), (x2, y2) = lay.pos[a], lay.pos[b]
        sx, sy = x1 + NODE_W / 2, y1 + (0 if y2 < y1 else NODE_H if y2 > y1 else NODE_H / 2)
        tx, ty = x2 + NODE_W / 2, y2 + (NODE_H if y2 < y1 else 0 if y2 > y1 else NODE_H / 2)
        mid = (sy + ty) / 2 if y1 != y2 else sy - 40
        out.append(
            f'<path class="edge" data-src="{html.escape(a)}" data-dst="{html.escape(b)}" '
            f'd="M{sx:.1f},{sy:.1f} C{sx:.1f},{mid:.1f} {tx:.1f},{mid:.1f} {tx:.1f},{ty:.1f}" '
            'fill="none" stroke="#8a94a6" stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
    for k in keys:
        nx_, ny_ = lay.pos[k]
        row = info.loc[k]
        label = _first(row["symbol"], row["title"] if k.startswith("name:") else None)
        label = label or _first(row["file_name"], k)
        cls = "node archive" if row["in_archive"] else "node stub"
        tip = " · ".join(
            str(v)
            for v in (k, row["doc_type"], row["issuer"], row["issued_date"])
            if v is not None and str(v) != "nan"
        )
        out.append(
            f'<a href="#doc/{html.escape(k)}"><g class="{cls}" data-key="{html.escape(k)}">'
            f"<title>{html.escape(tip)}</title>"
            f'<rect x="{nx_:.1f}" y="{ny_:.1f}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
            f'<text x="{nx_ + NODE_W / 2:.1f}" y="{ny_ + NODE_H / 2 + 4:.1f}" '
            f'text-anchor="middle">{html.escape(label[:20])}</text></g></a>'
        )
    out.append("</svg>")
    return "".join(out)


def report_data(data: Path) -> dict[str, Any]:
    """Everything the page script needs, read from the Parquet tables."""
    con = q.connect(data)
    nodes = con.execute("SELECT * FROM nodes ORDER BY level, key").df()
    edges = con.execute(
        "SELECT src_key, dst_key, string_agg(DISTINCT relation, ',' ORDER BY relation) AS relation,"
        " min(evidence) AS evidence FROM graph_edges GROUP BY ALL ORDER BY ALL"
    ).df()
    docs = con.execute(
        "SELECT d.* EXCLUDE (key), n.key FROM documents d LEFT JOIN nodes n USING (doc_id) "
        "ORDER BY d.file_name"
    ).df()
    drop = [c for c in ("warnings", "stages_run") if c in docs.columns]
    sections = con.execute(
        "SELECT doc_id, section_id, parent_id, level, label, number, heading FROM sections "
        "WHERE heading <> '' ORDER BY doc_id, start"
    ).df()
    citations = con.execute(
        "SELECT doc_id, cited_symbol, key, relation, cited_type_name, cited_issuer, cited_date,"
        " raw_text, section_path, page FROM citations ORDER BY doc_id, start"
    ).df()
    assigns = con.execute(
        "SELECT doc_id, unit, role, task, deadline_date, deadline_text FROM assignments "
        "ORDER BY doc_id, start"
    ).df()
    levels = con.execute(
        "SELECT level, level_name FROM issuer_levels WHERE issuer IS NULL AND issuer_code IS NULL"
    ).fetchall()
    level_names = {int(lv): str(name) for lv, name in levels}
    return {
        "svg": graph_svg(nodes, edges, level_names),
        "nodes": _records(nodes),
        "edges": _records(edges),
        "documents": _records(docs.drop(columns=drop)),
        "sections": _records(sections),
        "citations": _records(citations),
        "assignments": _records(assigns),
        "levels": level_names,
        "title": f"vanban report: {data.name or data}",
    }


def render(payload: dict[str, Any]) -> str:
    """The report's HTML text."""
    svg = payload.pop("svg")
    # "<" escaped as \u003c: no text in the data can end or re-open the <script> element.
    blob = json.dumps(payload, ensure_ascii=False).replace("<", "\\u003c")
    n_docs = len(payload["documents"])
    n_nodes = len(payload["nodes"])
    n_edges = len(payload["edges"])
    fills = {
        "TITLE": html.escape(payload["title"]),
        "STATS": f"{n_docs} documents · {n_nodes} nodes · {n_edges} links",
        "SVG": svg,
        "DATA": blob,
    }
    template = TEMPLATE.read_text(encoding="utf-8")
    # one pass, so a placeholder that appears inside the data is never filled in again
    return re.sub(r"\{\{(TITLE|STATS|SVG|DATA)\}\}", lambda m: fills[m.group(1)], template)


def write_report(data: Path, out: Path) -> Path:
    """Write the report of the tables in `data` to `out` atomically."""
    atomic_write_text(out, render(report_data(data)))
    return out
