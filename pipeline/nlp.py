"""A reusable spaCy pipeline for Vietnamese official documents, built from the project's rules.

`build_nlp()` returns a blank "vi" pipeline (spaCy's rule tokenizer, no pyvi, nothing
downloaded) with:

* an `entity_ruler` whose patterns come from `dictionaries/`: issuing bodies (ORG),
  units given tasks (UNIT), document type names (DOC_TYPE) and provinces (GPE), matched on
  lower-cased tokens;
* `vanban_citations`, a component that runs the project's citation finder on the text and
  stores every citation as a span in `doc.spans["citations"]` with `span._.citation`
  holding the `pipeline.models.Citation`.

Analysts can add their own components after these; the extract stage does not depend on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import compile_prefix_regex, compile_suffix_regex

from pipeline.citations import Rules, load_rules
from pipeline.header import read_meta
from pipeline.settings import DEFAULT_DICTIONARIES
from pipeline.shortforms import find_citations

if not Span.has_extension("citation"):
    Span.set_extension("citation", default=None)


def ruler_patterns(rules: Rules) -> list[dict[str, Any]]:
    """Entity-ruler patterns (token-level, lower-cased) from the dictionaries."""
    groups = {
        "ORG": [*rules.issuer_names, *rules.header_names.values()],
        "UNIT": rules.units,
        "DOC_TYPE": list(rules.name_codes),
        "GPE": list(rules.places),
    }
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for label, names in groups.items():
        for name in names:
            key = (label, name.lower())
            if key in seen:
                continue
            seen.add(key)
            tokens = [{"LOWER": w.lower()} for w in name.replace(",", " ,").split()]
            out.append({"label": label, "pattern": tokens, "id": name})
    return out


@Language.factory("vanban_citations", default_config={"dictionaries": str(DEFAULT_DICTIONARIES)})
def make_citation_component(nlp: Language, name: str, dictionaries: str) -> CitationComponent:
    return CitationComponent(load_rules(Path(dictionaries)))


class CitationComponent:
    """Adds the project's citations (full, short, by name) as spans of `doc.spans["citations"]`."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    def __call__(self, doc: Doc) -> Doc:
        meta, own, _ = read_meta(doc.text, self.rules)
        spans = []
        for c in find_citations(doc.text, self.rules, meta, own):
            span = doc.char_span(c.start, c.end, label=c.form.upper(), alignment_mode="expand")
            if span is not None:
                span._.citation = c
                spans.append(span)
        doc.spans["citations"] = spans
        return doc


def build_nlp(dictionaries: Path = DEFAULT_DICTIONARIES) -> Language:
    """The blank Vietnamese pipeline with the entity ruler and the citation component."""
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})
    # spaCy's Vietnamese tokenizer without pyvi splits on spaces only; use the rule-based
    # tokenizer with spaCy's default prefixes/suffixes (no infixes: symbols stay whole).
    nlp.tokenizer = Tokenizer(
        nlp.vocab,
        prefix_search=compile_prefix_regex(Language.Defaults.prefixes or ()).search,
        suffix_search=compile_suffix_regex(Language.Defaults.suffixes or ()).search,
    )
    ruler = nlp.add_pipe(
        "entity_ruler", config={"phrase_matcher_attr": None, "overwrite_ents": True}
    )
    ruler.add_patterns(ruler_patterns(load_rules(dictionaries)))  # type: ignore[attr-defined]
    nlp.add_pipe("vanban_citations", config={"dictionaries": str(dictionaries)})
    return nlp
