"""Extraction benchmark: precision/recall per field against hand-made gold, baseline beside.

Runs normalize -> restore -> segment -> extract on each document that has a gold JSON
(schema of ../shared/gold) and prints, per set, cited-symbol P/R (project and a one-regex
baseline), document-field accuracy (project and a header-regex baseline), unit recall and
deadline P/R. "printed intact" is the share of gold symbols the input prints whole (spaces
aside, Đ as D): about what symbol recall can reach on an OCR copy without guessing lost text.

Sets: the seeds (samples/ + ../shared/gold), benchmarks/corpus/adapt (a development set:
its documents may have shaped rules) and benchmarks/corpus/eval (held out: never used to
write rules; see benchmarks/corpus/SPLIT.md). Only the eval figures are held-out figures.

    python benchmarks/extract.py            # all sets
    python benchmarks/extract.py --set eval # one set; -v for per-document errors
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from pipeline.models import Document, Page, SourceKind
from pipeline.registry import get_stage
from pipeline.settings import Settings
from pipeline.textutil import strip_marks

ROOT = Path(__file__).resolve().parents[1]
SHARED_GOLD = ROOT.parent / "shared" / "gold"
CORPUS = ROOT / "benchmarks" / "corpus"
STAGES = ("normalize", "restore", "segment", "extract")
DOC_FIELDS = (
    "type", "symbol", "number", "issuer", "parent_issuer", "place", "date",
    "signer", "signer_title", "title", "signed_at",
)  # fmt: skip
BASELINE_SYMBOL = re.compile(
    r"\d+/\d{4}/[A-ZĐ]+(?:-[A-ZĐ]+)?|\d+-[A-ZĐ]+/[A-ZĐ]+|\d+/[A-ZĐ]+-[A-ZĐ]+"
)


def fold(s: str) -> str:
    return " ".join(strip_marks(unicodedata.normalize("NFC", s)).lower().split())


def run_doc(path: Path, settings: Settings) -> Document:
    text = path.read_text(encoding="utf-8")
    doc = Document(
        doc_id=path.stem,
        source_path=str(path),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        kind=SourceKind.TEXT,
        source_text=text,
        pages=[Page(1, 0, len(text))],
    )
    for name in STAGES:
        doc = get_stage(name).fn(doc, settings)
    return doc


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, got: set[str], want: set[str], where: str) -> None:
        self.tp += len(got & want)
        self.fp += len(got - want)
        self.fn += len(want - got)
        if got != want:
            self.errors.append(f"{where}: extra {sorted(got - want)} missing {sorted(want - got)}")

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def field_ok(name: str, got: object, want: object) -> bool:
    """Field equality as the gold states it (signer names may be one mark off)."""
    if want is None:
        return True
    if got is None:
        return False
    if name == "number":
        return str(got).lstrip("0") == str(want).lstrip("0")
    g, w = " ".join(str(got).split()), " ".join(str(want).split())
    if name == "signer":
        return fold(g) == fold(w) and Levenshtein.distance(g, w) <= 1
    return unicodedata.normalize("NFC", g) == unicodedata.normalize("NFC", w)


def doc_fields(doc: Document) -> dict[str, object]:
    m = doc.meta
    return {
        "type": m.doc_type, "symbol": m.symbol, "number": m.number, "issuer": m.issuer,
        "parent_issuer": m.parent_issuer, "place": m.place, "date": m.issued_date,
        "signer": m.signer, "signer_title": m.signer_title, "title": m.title,
        "signed_at": m.signed_at,
    }  # fmt: skip


def baseline_fields(text: str) -> dict[str, object]:
    """Naive header reading: the first 'Số:' symbol and the first dd/mm/yyyy-like date."""
    out: dict[str, object] = {}
    m = re.search(r"Số:\s*(\S+)", text)
    if m:
        out["symbol"] = m.group(1)
        out["number"] = m.group(1).split("/")[0]
    d = re.search(r"ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})", text)
    if d:
        out["date"] = f"{d.group(3)}-{int(d.group(2)):02d}-{int(d.group(1)):02d}"
    return out


def top_headings(doc: Document) -> set[str]:
    """Folded headings of the body's top level (and of an annex): "I. MỤC TIÊU" -> "muc tieu",
    "1. Về báo cáo" when a letter has no Roman parts, "Điều 1" and its title for articles."""
    parts = {s.section_id for s in doc.sections if s.label in ("body", "annex")}
    out = set()
    for s in doc.sections:
        if s.parent_id in parts or s.label in ("heading", "part", "article"):
            out.add(fold(s.heading))
            if s.label == "article":
                out.add(fold(f"Điều {s.number}"))
    return out


def gold_units_found(doc: Document, units: list[str]) -> tuple[int, list[str]]:
    got = {fold(a.unit) for a in doc.assignments if a.unit}
    missing = [u for u in units if not any(fuzz.ratio(fold(u), g) >= 90 for g in got)]
    return len(units) - len(missing), missing


def deadline_keys(items: list[tuple[str | None, str | None]]) -> set[str]:
    return {d if d else f"{r}" for d, r in items if d or r}


def pairs(gold_dir_docs: list[tuple[Path, Path]], settings: Settings, verbose: bool) -> None:
    sym, base = Tally(), Tally()
    intact = 0  # gold symbols printed whole in the input (OCR may cut or garble the rest)
    dl = Tally()
    fields_ok = fields_all = base_ok = 0
    units_found = units_all = 0
    heads_found = heads_all = 0
    per_field: dict[str, list[int]] = {}
    notes: list[str] = []
    for txt, gold_path in gold_dir_docs:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        doc = run_doc(txt, settings)
        want = {c["symbol"] for c in gold.get("citations", []) if c.get("symbol")}
        got = {c.cited_symbol for c in doc.citations if c.cited_symbol}
        sym.add(got, want, txt.name)
        flat = re.sub(r"\s+", "", doc.source_text).replace("Đ", "D")
        intact += sum(w.replace("Đ", "D") in flat for w in want)
        own = gold.get("document", {}).get("symbol")
        naive = {re.sub(r"\s", "", m.group()) for m in BASELINE_SYMBOL.finditer(doc.source_text)}
        base.add(naive - {own}, want, txt.name)
        g_doc = gold.get("document", {})
        mine, naive_f = doc_fields(doc), baseline_fields(doc.source_text)
        for name in DOC_FIELDS:
            if g_doc.get(name) is None:
                continue
            ok = field_ok(name, mine.get(name), g_doc[name])
            fields_all += 1
            fields_ok += ok
            base_ok += field_ok(name, naive_f.get(name), g_doc[name])
            per_field.setdefault(name, [0, 0])
            per_field[name][0] += ok
            per_field[name][1] += 1
            if not ok:
                notes.append(f"{txt.name}: {name} = {mine.get(name)!r}, gold {g_doc[name]!r}")
        want_heads = [fold(h) for h in gold.get("sections", [])]
        got_heads = top_headings(doc)
        heads_all += len(want_heads)
        heads_found += sum(h in got_heads for h in want_heads)
        units = gold.get("units", [])
        found, missing = gold_units_found(doc, units)
        units_found += found
        units_all += len(units)
        notes += [f"{txt.name}: unit not found {u!r}" for u in missing]
        want_dl = deadline_keys(
            [(d.get("date"), d.get("recurring")) for d in gold.get("deadlines", [])]
        )
        got_dl = deadline_keys(
            [(a.deadline_date, a.recurrence) for a in doc.assignments if a.deadline_text]
        )
        dl.add(got_dl, want_dl, txt.name)
    print(f"  documents: {len(gold_dir_docs)}")
    print(f"  {'field':<22}{'project':>18}{'baseline':>18}")
    print(f"  {'cited symbols P/R':<22}{sym.p:>10.3f} / {sym.r:.3f}{base.p:>10.3f} / {base.r:.3f}")
    n_want = sym.tp + sym.fn
    ceiling = intact / n_want if n_want else 1.0
    print(f"  {'  printed intact':<22}{ceiling:>18.3f}{'-':>18}   ({intact}/{n_want})")
    fa = fields_ok / fields_all if fields_all else 1.0
    ba = base_ok / fields_all if fields_all else 1.0
    print(f"  {'document fields acc':<22}{fa:>18.3f}{ba:>18.3f}   ({fields_ok}/{fields_all})")
    for name, (right, n) in per_field.items():
        print(f"    {name:<20}{right:>5}/{n}")
    hr = heads_found / heads_all if heads_all else 1.0
    print(f"  {'top headings recall':<22}{hr:>18.3f}{'-':>18}   ({heads_found}/{heads_all})")
    ur = units_found / units_all if units_all else 1.0
    print(f"  {'units recall':<22}{ur:>18.3f}{'-':>18}   ({units_found}/{units_all})")
    print(f"  {'deadlines P/R':<22}{dl.p:>10.3f} / {dl.r:.3f}{'-':>18}")
    if verbose:
        for line in sym.errors + dl.errors + notes:
            print("   ", line)


def collect(kind: str, base: Path | None = None) -> list[tuple[Path, Path]]:
    if kind == "seeds":
        return [
            (txt, SHARED_GOLD / f"{txt.stem}.json")
            for txt in sorted((ROOT / "samples").glob("*.txt"))
            if (SHARED_GOLD / f"{txt.stem}.json").exists()
        ]
    base = base or CORPUS / kind
    out = []
    for gold in sorted(base.glob("*.json")):
        for txt in sorted(base.glob(f"{gold.stem}*.txt")):
            out.append((txt, gold))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=("seeds", "adapt", "eval", "all"), default="all")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--dir", type=Path, help="any folder of <stem>.json gold + <stem>*.txt")
    args = ap.parse_args(argv)
    settings = Settings()
    if args.dir:
        for variant in ("clean", "ocr-eng", "ocr-vie", "ocr-scan"):
            sub = [
                (t, g)
                for t, g in collect("dir", args.dir)
                if (variant == "clean" and t.name == f"{g.stem}.txt")
                or t.name.endswith(f".{variant}.txt")
            ]
            if sub:
                print(f"== {args.dir} -- {variant}")
                pairs(sub, settings, args.verbose)
        return 0
    kinds = ("seeds", "adapt", "eval") if args.set == "all" else (args.set,)
    for kind in kinds:
        docs = collect(kind)
        label = {
            "seeds": "seeds (samples/)",
            "adapt": "adapt/ (development)",
            "eval": "eval/ (held out)",
        }
        print(f"== {label[kind]}")
        if not docs:
            print("  no documents with gold found")
            continue
        if kind == "eval":
            for variant in ("clean", "ocr-eng", "ocr-vie", "ocr-scan"):
                sub = [
                    (t, g)
                    for t, g in docs
                    if (variant == "clean" and t.name == f"{g.stem}.txt")
                    or t.name.endswith(f".{variant}.txt")
                ]
                if sub:
                    print(f" -- {variant}")
                    pairs(sub, settings, args.verbose)
        else:
            pairs(docs, settings, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
