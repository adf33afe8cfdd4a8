"""Stage extract: document metadata, citations and task assignments from `doc.text`.

Helpers do the reading (`header` for the document's own identity, `citations` and
`shortforms` for the documents it cites, `assignments` for units, roles and deadlines);
this stage maps every span back to the original input (`doc.to_source`) and its page, and
gives each citation its section path from the section tree (`segment` runs first).
"""

from __future__ import annotations

from pipeline.assignments import find_assignments
from pipeline.citations import load_rules, section_path
from pipeline.header import read_meta
from pipeline.models import Citation, Document
from pipeline.registry import stage
from pipeline.settings import Settings
from pipeline.shortforms import find_citations, home_of


def _locate(doc: Document, items: list[Citation]) -> None:
    for c in items:
        c.src_start, c.src_end = doc.to_source(c.start, c.end)
        c.raw_text = doc.source_text[c.src_start : c.src_end]
        c.page = doc.page_of(c.src_start)
        c.section_path = section_path(doc.sections, c.start)


@stage("extract", requires=("text", "sections"), assigns=("meta", "citations", "assignments"))
def extract(doc: Document, settings: Settings) -> Document:
    """Fill `doc.meta`, `doc.citations` and `doc.assignments` with source offsets and pages."""
    rules = load_rules(settings.dictionaries)
    text = doc.text
    meta, own, _ = read_meta(text, rules)
    for span in meta.evidence.values():
        span.src_start, span.src_end = doc.to_source(span.start, span.end)
    doc.meta = meta
    printed = (doc.source_text, doc.to_source, doc.from_source) if doc.layers else None
    cites = find_citations(text, rules, meta, own, printed)
    _locate(doc, cites)
    doc.citations = cites
    home = home_of(meta, rules)
    own_base = home[2] if home else (meta.issuer or "")
    doc.assignments = find_assignments(text, doc.sections, rules, own_base, meta.issued_date)
    for a in doc.assignments:
        a.src_start, a.src_end = doc.to_source(a.start, a.end)
        a.page = doc.page_of(a.src_start)
    return doc
