"""Section tree: parts, headings at every level (incl. OCR'd Roman numerals), closing rows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.citations import load_rules, section_path
from pipeline.models import Document, Page, SourceKind
from pipeline.segment import build_tree, classify, flatten, roman_of, segment
from pipeline.settings import Settings

RULES = load_rules(Settings().dictionaries)


def doc_of(text: str) -> Document:
    return Document(
        "t", "t", "0", kind=SourceKind.TEXT, source_text=text, pages=[Page(1, 0, len(text))]
    )


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("I", "I"),
        ("IV", "IV"),
        ("|", "I"),
        ("I11", "III"),
        ("IIL", "III"),
        ("Il", "II"),
        ("1", None),
        ("VX", None),
    ],
)
def test_roman_of(token: str, expected: str | None) -> None:
    assert roman_of(token) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("I. MỤC ĐÍCH, YÊU CẦU", ("heading", "I", "MỤC ĐÍCH, YÊU CẦU")),
        ("|. MUC PiCH, YEU CAU", ("heading", "I", "MỤC ĐÍCH, YÊU CẦU")),
        ("I11. HINH THUC TRUYEN THONG", ("heading", "III", "HÌNH THỨC TRUYỀN THÔNG")),
        ("IIL NOI DUNG", ("heading", "III", "NỘI DUNG")),
        ("V. TO CHUC THUC HIEN", ("heading", "V", "TỔ CHỨC THỰC HIỆN")),
        ("Chương II. QUY ĐỊNH CHUNG", ("part", "II", "QUY ĐỊNH CHUNG")),
        (
            "Điều 3. Chánh Văn phòng chịu trách nhiệm thi hành",
            ("article", "3", "Chánh Văn phòng chịu trách nhiệm thi hành"),
        ),
        ("1. Mục đích", ("item", "1", "Mục đích")),
        ("1- Thời gian: từ nay đến hết năm", ("item", "1", "Thời gian")),
        ("5.1. Trung tâm Kiểm soát bệnh tật", ("item", "5.1", "Trung tâm Kiểm soát bệnh tật")),
        ("a) Chủ trì, phối hợp", ("subitem", "a", "Chủ trì, phối hợp")),
        ("- Tuyên truyền sâu rộng", ("bullet", "-", "")),
        ("+ Quyết định số 787/QĐ-BYT", ("bullet", "+", "")),
        ("= Gop phan truyen thong", ("bullet", "-", "")),
        # OCR: specks before an item number, "," read for "."
        ("__2. Phòng Tài vụ", ("item", "2", "Phòng Tài vụ")),
        ("‘3. Kinh phí", ("item", "3", "Kinh phí")),
        ("4, Trạm Y tế xã tổ chức", ("item", "4", "Trạm Y tế xã tổ chức")),
        # not headings
        ("2025 và phương hướng năm 2026", None),
        ("3, 4 và 5 tháng đầu năm", None),
        ("12, các đơn vị", None),
        ("19/6/2025 của Ban Chỉ đạo", None),
        ("Tuyên truyền sâu rộng", None),
    ],
)
def test_classify(line: str, expected: tuple[str, str, str] | None) -> None:
    got = classify(line, RULES)
    assert ((got[0], got[2], got[3]) if got else None) == expected


PLAN = """UBND TỈNH NAM ĐỊNH          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
SỞ Y TẾ                     Độc lập - Tự do - Hạnh phúc
Số: 512/KH-SYT              Nam Định, ngày 03 tháng 3 năm 2025

KẾ HOẠCH
Phòng, chống dịch bệnh năm 2025

Căn cứ Quyết định số 10/QĐ-UBND ngày 02/01/2025 của UBND tỉnh;
Thực hiện Kế hoạch số 05/KH-BYT của Bộ Y tế;

I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
- Chủ động phòng bệnh.
+ Tiêm chủng đầy đủ.
2. Yêu cầu
a) Kịp thời.
II. TỔ CHỨC THỰC HIỆN
1. Trung tâm Kiểm soát bệnh tật
- Chủ trì.

Nơi nhận:
- UBND tỉnh (b/c);
- Các đơn vị;
- Lưu: VT, NVY.
                                KT. GIÁM ĐỐC
                                PHÓ GIÁM ĐỐC

                                Lê Thị Hoa
"""


def test_tree_parts_and_nesting() -> None:
    doc = segment(doc_of(PLAN), Settings())
    top = [s.label for s in doc.sections if s.level == 0]
    assert top == ["header", "title", "preamble", "body", "closing"]
    rows = {(s.label, s.number, s.heading) for s in doc.sections}
    assert ("heading", "I", "MỤC ĐÍCH, YÊU CẦU") in rows
    assert ("heading", "II", "TỔ CHỨC THỰC HIỆN") in rows
    assert sum(s.label == "recipient" for s in doc.sections) == 2
    assert sum(s.label == "archive" for s in doc.sections) == 1
    assert sum(s.label == "basis" for s in doc.sections) == 2
    by_id = {s.section_id: s for s in doc.sections}
    plus = next(s for s in doc.sections if s.number == "+")
    assert plus.parent_id is not None
    assert by_id[plus.parent_id].number == "-"  # "+" nests under "-"
    sub = next(s for s in doc.sections if s.label == "subitem")
    assert sub.parent_id is not None
    item = by_id[sub.parent_id]
    assert item.number == "2" and item.parent_id is not None
    assert by_id[item.parent_id].number == "I"
    sig = next(s for s in doc.sections if s.label == "signature")
    assert sig.heading == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"
    for s in doc.sections:  # children lie inside their parent
        if s.parent_id is not None:
            p = by_id[s.parent_id]
            assert p.start <= s.start <= s.end <= max(p.end, s.end) and s.start >= p.start


def test_section_path() -> None:
    doc = segment(doc_of(PLAN), Settings())
    assert section_path(doc.sections, PLAN.index("Kịp thời")) == "I/2/a"
    assert section_path(doc.sections, PLAN.index("Chủ trì.")) == "II/1"
    assert section_path(doc.sections, PLAN.index("Căn cứ")) == "preamble"


def test_header_children() -> None:
    labels = [s.label for s in flatten(doc_of(PLAN), build_tree(PLAN, RULES)) if s.parent_id == 0]
    assert (
        labels[:3] == ["issuer", "motto", "issuer"]
        and "number" in labels
        and "place_date" in labels
    )


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("I.1-+ aAđĐ\nKẾHOẠCH")), max_size=200))
def test_any_text_segments_within_bounds(text: str) -> None:
    doc = segment(doc_of(text), Settings())
    for s in doc.sections:
        assert 0 <= s.start <= s.end <= len(text)
        assert 0 <= s.src_start <= s.src_end <= len(text)
