"""Restoration of codes, Roman numerals and capitals: the rules of codefix and restore.

Codes lose their Đ in stripped and OCR text ('QD', 'HDND', OCR 'QP', 'Nb'); a code part
becomes the one known code with the same letters once Đ is written D (or, in OCR text,
the same shape), and an ambiguous part stays as printed. Roman numerals are one class
for the model, capitals in OCR text outside headings are capitalised words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.codefix import CodeTable, code_table, plain, repair_token, shape
from pipeline.lm import ROM, Model, token_class
from pipeline.lm_build import default_model_path
from pipeline.restore import load_model, restore_text
from pipeline.settings import DEFAULT_DICTIONARIES


@pytest.fixture(scope="module")
def table() -> CodeTable:
    return code_table(DEFAULT_DICTIONARIES)


@pytest.mark.parametrize(
    ("code", "plain_form", "shape_form"),
    [
        ("QĐ", "QD", "QD"),
        ("BCĐTW", "BCDTW", "DCDTW"),
        ("Nb", "NB", "ND"),
        ("BCDDTWW", "BCDDTWW", "DCDTW"),  # doubled letters collapse in the shape
    ],
)
def test_plain_and_shape(code: str, plain_form: str, shape_form: str) -> None:
    assert plain(code) == plain_form
    assert shape(code) == shape_form


@pytest.mark.parametrize(
    ("token", "ocr", "expected"),
    [
        # stripped text: Đ written D comes back where exactly one known code fits
        ("QD-UBND", False, "QĐ-UBND"),
        ("15/2025/ND-CP", False, "15/2025/NĐ-CP"),
        ("HDND", False, "HĐND"),
        ("12-KH/DU", False, "12-KH/ĐU"),
        ("SGDDT", False, "SGDĐT"),
        # OCR: D, P, B, b printed for Đ, doubled letters
        ("2183/QP-BYT", True, "2183/QĐ-BYT"),
        ("42/2025/Nb-CP", True, "42/2025/NĐ-CP"),
        ("02-KH/BCPTW", True, "02-KH/BCĐTW"),
        ("02-KH/BCDDTWW", True, "02-KH/BCĐTW"),
        # kept: known codes, ambiguous parts (HD: Hướng dẫn / HĐ: Hợp đồng), numbers,
        # lower-case words, shapes only OCR may produce in stripped text
        ("57-NQ/TW", True, None),
        ("05/HD-BYT", False, None),
        ("01/2011/TT-BNV", True, None),
        ("UBND", False, None),
        ("2183/QP-BYT", False, None),
        ("dd", True, None),
    ],
)
def test_repair_token(table: CodeTable, token: str, ocr: bool, expected: str | None) -> None:
    assert repair_token(token, table, ocr) == expected


def test_table_keeps_only_unique_codes_with_d(table: CodeTable) -> None:
    assert all("Đ" in code for code in table.by_plain.values())
    assert "HD" not in table.by_plain  # HD and HĐ are both known


@pytest.mark.parametrize(
    ("token", "expected"), [("III", ROM), ("IV", ROM), ("XII", ROM), ("II", ROM), ("Ii", "<unk>")]
)
def test_roman_numerals_are_one_class(token: str, expected: str) -> None:
    assert token_class(token) == expected


needs_model = pytest.mark.skipif(
    not default_model_path().exists(), reason="default model not built"
)


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model(None)


@needs_model
@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        # codes inside symbols and abbreviations are repaired, with the change recorded
        (
            "Can cu Quyet dinh so 15/QD-UBND cua UBND tinh",
            "stripped",
            "Căn cứ Quyết định số 15/QĐ-UBND của UBND tỉnh",
        ),
        ("Nghi quyet cua HDND tinh", "stripped", "Nghị quyết của HĐND tỉnh"),
        # a one-letter capital syllable joins a capitals heading fragment
        ("SO Y TE     Doc lap - Tu do", "stripped", "SỞ Y TẾ     Độc lập - Tự do"),
        # OCR: a capital syllable outside a heading is a capitalised word, not an acronym
        ("cua BO Y te va HOI dong", "ocr", "của Bộ Y tế và Hội đồng"),
        # ... unless it stands beside another capital word (a title on the same line)
        ("Noi nhan:      GIAM POC\n- Nhu tren;", "ocr", "Nơi nhận:      GIÁM ĐỐC\n- Như trên;"),
        # a symbol broken after '-' or '/' keeps its code, repaired, never a word
        (
            "theo Thong tu so 07/2024/TT-\n\nBYT cua Bo Y te",
            "ocr",
            "theo Thông tư số 07/2024/TT-\n\nBYT của Bộ Y tế",
        ),
        (
            "Ke hoach so 02-KH/\nBCDTW cua Ban Chi dao",
            "stripped",
            "Kế hoạch số 02-KH/\nBCĐTW của Ban Chỉ đạo",
        ),
        ("kinh te - xa hoi", "stripped", "kinh tế - xã hội"),
        # a capital initial or prefix before '.' stays ('Q.' of a signature, not 'Ô.')
        ("Q. GIAM DOC\nPHO GIAM DOC", "ocr", "Q. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"),
        # Roman numerals keep their own context ('quý III', not 'quy')
        ("bao cao quy III nam 2025", "stripped", "báo cáo quý III năm 2025"),
    ],
)
def test_restore_codes_and_capitals(model: Model, text: str, mode: str, expected: str) -> None:
    restored, changes, _ = restore_text(text, model, mode=mode)
    assert restored == expected
    for change in changes:
        assert text[change.start : change.end] == change.original


def test_codes_file_is_the_rule_source(tmp_path: Path) -> None:
    """A code added to the rule files is repaired without code changes."""
    (tmp_path / "restore").mkdir()
    (tmp_path / "doc_types.yaml").write_text("types:\n  XĐ: Loại thử\n", encoding="utf-8")
    (tmp_path / "issuers.yaml").write_text("codes:\n  ABC: Cơ quan thử\n", encoding="utf-8")
    table = code_table(tmp_path)
    assert repair_token("7/XD-ABC", table, False) == "7/XĐ-ABC"
