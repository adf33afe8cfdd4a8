"""Documents survive the JSON round trip used between DVC stages."""

from __future__ import annotations

from pipeline.models import (
    Alignment,
    Citation,
    Document,
    DocumentMeta,
    Edit,
    OcrWord,
    Page,
    Section,
    SourceKind,
    Span,
    Status,
)
from pipeline.serialize import dumps, loads


def test_round_trip_keeps_every_field() -> None:
    doc = Document(
        "abc",
        "x.pdf",
        "f" * 64,
        kind=SourceKind.PDF_SCAN,
        source_text="Can cu 57-NQ/TW",
        pages=[Page(1, 0, 15, words=[OcrWord("Can", 1, (1, 2, 3, 4), 88.5, start=0, end=3)])],
        meta=DocumentMeta(symbol="1/KH-A", evidence={"symbol": Span(0, 3, "Can", value="x")}),
        sections=[Section(0, None, 0, "header", "", 0, 5)],
        citations=[Citation("57-NQ/TW", "57-NQ/TW", 7, 15, cited_year=None)],
        status=Status.WARNING,
    )
    doc.add_layer("restore", "Căn cứ 57-NQ/TW", Alignment([Edit(0, 6, 0, 6)], 15, 15))
    back = loads(dumps(doc))
    assert back == doc
    assert back.to_source(7, 15) == (7, 15)
