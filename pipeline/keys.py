"""Canonical keys of documents, shared by extraction (citations, own symbol) and the graph.

Administrative numbers restart every year, so their key carries the year where known;
Party and normative symbols are unique as printed (normative ones contain the year).
"""

from __future__ import annotations

FAMILIES = ("administrative", "party", "normative", "name")


def document_key(symbol: str, family: str, year: int | None = None, title: str = "") -> str:
    """The graph key of a document.

    >>> document_key("1138/KH-BYT", "administrative", 2025)
    '1138/KH-BYT@2025'
    >>> document_key("57-NQ/TW", "party")
    '57-NQ/TW'
    >>> document_key("", "name", title="Luật Đấu thầu")
    'name:Luật Đấu thầu'
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown numbering family {family!r}")
    if family == "name" or not symbol:
        return f"name:{title}"
    if family == "administrative" and year is not None:
        return f"{symbol}@{year}"
    return symbol


def symbol_of_key(key: str) -> str:
    """The printed symbol part of a key ('' for a by-name key)."""
    if key.startswith("name:"):
        return ""
    return key.split("@", 1)[0]
