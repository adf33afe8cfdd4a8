"""Citation finding, eyecite style: tables of (text, expected extraction).

Covers the three numbering families, symbols broken across lines and spaces, OCR and
typing damage repaired by general rules, mark-less OCR context words, short forms,
laws by name, relations, dates and issuers.
"""

from __future__ import annotations

import pytest

from pipeline.citations import fold_ocr, load_rules, parse_date, repair_code
from pipeline.settings import Settings
from pipeline.shortforms import find_full, find_laws_by_name, find_short

RULES = load_rules(Settings().dictionaries)


def symbols(text: str) -> list[str]:
    return [c.cited_symbol for c in find_full(text, RULES)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the three families
        ("Căn cứ Kế hoạch số 1138/KH-BYT ngày 19/8/2025", ["1138/KH-BYT"]),
        ("Nghị quyết số 57-NQ/TW ngày 22/12/2024", ["57-NQ/TW"]),
        ("Nghị định số 42/2025/NĐ-CP ngày 27/02/2025", ["42/2025/NĐ-CP"]),
        ("Luật số 15/2023/QH15", ["15/2023/QH15"]),
        ("Nghị quyết số 66.4/2025/NQ-CP", ["66.4/2025/NQ-CP"]),
        # Công văn: <n>/<ISSUER>-<UNIT>
        ("Công văn số 2597/SKHCN-TTTT ngày 18/8/2025", ["2597/SKHCN-TTTT"]),
        ("Công văn số 627/BYT-BH", ["627/BYT-BH"]),
        # mixed-case codes stay as printed
        ("Quyết định số 1588/QĐ-TTg", ["1588/QĐ-TTg"]),
        ("Chương trình số 41-CTr/TU", ["41-CTr/TU"]),
        # broken across spaces and lines
        ("Quyết định 02/QĐ- BYT ngày 02/01/2020", ["02/QĐ-BYT"]),
        ("Quyết định số 1588/QĐ-\nTTg ngày 17/12/2024", ["1588/QĐ-TTg"]),
        ("Nghị định 09/2017/NĐ- \n\nCP ngày 09/02/2017", ["09/2017/NĐ-CP"]),
        ("Nghị quyết số 57- -NQ/TW", ["57-NQ/TW"]),
        ("Nghị quyết 57-\nNQ/TW", ["57-NQ/TW"]),
        ("Kế hoạch sb 02- KH/BCDTW", ["02-KH/BCĐTW"]),
        # OCR: slash read as I or [
        ("Kế hoạch số 1138 /[KH-BYT", ["1138/KH-BYT"]),
        ("S6:167 IKH-SYT", ["167/KH-SYT"]),
        # Đ look-alikes repaired inside known codes
        ("Nghi dinh s6 42/2025/Nb-CP", ["42/2025/NĐ-CP"]),
        ("Quyet dinh s6 2183/QP-BYT", ["2183/QĐ-BYT"]),
        ("Quyết định số 787/QD-BYT", ["787/QĐ-BYT"]),
        ("Ké hoach s6 02-KH/BCPTW", ["02-KH/BCĐTW"]),
        ("Ké hoach so6 02-KH/BCDBTW", ["02-KH/BCĐTW"]),
        ("Ké hoach s6 23-KH/DU", ["23-KH/ĐU"]),
        # doubled letters and swapped letters (typing errors)
        ("Kế hoạch số 02-KH/BCDDTWW", ["02-KH/BCĐTW"]),
        ("Kế hoạch số 02-KH/BCĐTWW", ["02-KH/BCĐTW"]),
        ("Nghị quyết 71/QN-CP", ["71/NQ-CP"]),
        # OCR: slash read as I glued to the number, digits read as letters, no space after "số"
        ("Quyết định số 787IQĐ-BYT ngày 06/3/2023", ["787/QĐ-BYT"]),
        ("Kế hoạch số 2A6-KH/TU ngày 12/3/2024", ["246-KH/TU"]),
        ("Nghị quyết số57-NQ/TW", ["57-NQ/TW"]),
        # joint circulars name every issuer; "TƯ" is written TW in symbols
        ("Thông tư liên tịch số 08/2016/TTLT-BYT-BNV", ["08/2016/TTLT-BYT-BNV"]),
        ("Nghị quyết số 57-NQ/TƯ", ["57-NQ/TW"]),
        ("Kế hoạch số 12-KH/BCĐ389", ["12-KH/BCĐ389"]),
        # codes that must not be "repaired"
        ("Phương án số 12/PA-UBND", ["12/PA-UBND"]),
        ("Dự án số 5/DA-SYT", ["5/DA-SYT"]),
        ("Công văn số 20-CV/BCĐ", ["20-CV/BCĐ"]),
        # OCR: the "-" between type and issuer lost: split into two known codes
        ("Quyet dinh so 4410/QDSYT ngay 3/3/2024", ["4410/QĐ-SYT"]),
        ("Thong tu so 07/2019/TTBYT ngay", ["07/2019/TT-BYT"]),
        # OCR: "/" after the year, or between party codes, read as I or l
        ("Thông tư số 07/2019lTT-BYT", ["07/2019/TT-BYT"]),
        ("Chi thi s6 08-CTITU cua Tinh uy", ["08-CT/TU"]),
        # OCR: "-" lost between number and a known party type code
        ("Chỉ thị số 08CT/TU ngày 1/2/2024", ["08-CT/TU"]),
        # OCR: "/" between number and year lost, for types that always carry a year
        ("Thông tư liên tịch số 52019/TTLT-BYT-BTC-BNV ngày", ["5/2019/TTLT-BYT-BTC-BNV"]),
        ("Nghị định số 1212023/NĐ-CP", ["121/2023/NĐ-CP"]),
        ("Công văn số 12024/BYT-KCB", ["12024/BYT-KCB"]),  # a Công văn number stays
        ("mã hồ sơ 123456/TT-BYT", []),  # six digits: no document number
        # OCR: "/" read as J
        ("Tờ trình số 45JTTr-SYT ngày", ["45/TTr-SYT"]),
        # OCR: a space inside a known type code
        ("Nghị quyết số 03/N Q-CP ngày 9/1/2025", ["03/NQ-CP"]),
        ("mục 3/A B-CD", []),  # not a known code once joined
        ("Nghị quyết số 45-N Q/TW ngày 1/1/2025", ["45-NQ/TW"]),
        ("mục 45-X Y/TW", []),
        # an unknown issuer code explained by the body named after it
        ("Quyết định số 06/QĐ-TTEg ngày 6/1/2022 của Thủ tướng Chính phủ", ["06/QĐ-TTg"]),
        ("Quyết định số 06/QĐ-XYZW ngày 6/1/2022 của Thủ tướng Chính phủ", ["06/QĐ-XYZW"]),
        ("Quyết định số 06/QĐ-TTEg ngày 06/0172022.của Thủ tướng Chính phủ", ["06/QĐ-TTg"]),
        # a law number one digit off a law of the title table named beside it
        (
            "Luật số 14/2023/QH15 ngày 9/1/2023 về Khám bệnh, chữa bệnh có hiệu lực",
            ["15/2023/QH15"],
        ),
        ("Luật số 14/2023/QH15 ngày 9/1/2023 về Đất đai", ["14/2023/QH15"]),  # title differs
        # OCR: the law term's digits read as letters
        ("Luat s6 30/2018/QHI4 ngay", ["30/2018/QH14"]),
        ("Luat s6 30/2018/QH1A ngay", []),  # not a term: not "repaired" into one
        # "TƯ" without its mark reads "TU"; a central Party body after it means TW
        ("Chi thi s6 15-CT/TU ngay 1/1/2023 cua Ban Bi thu", ["15-CT/TW"]),
        ("Chỉ thị số 15-CT/TU ngày 1/1/2023 của Ban Thường vụ Tỉnh ủy", ["15-CT/TU"]),
        # not symbols
        ("ngày 22/12/2024, giai đoạn 2020 - 2025, điện thoại 024.62827979", []),
        # runs of capitals after a slash that do not split into two known codes
        ("mạng 4G/LTE, mã 12/ABCDE, tỷ lệ 3/COVID", []),
        ("văn bản 5CX/TW, 7BB/QRS", []),
        ("1- Xây dựng các tuyến bài; 3- Sản xuất", []),
        ("e-mail vpbyt@moh.gov.vn; COVID-19; y-dược", []),
        ("Covid-19-NQ/TW; COVID-19/2020", []),
    ],
)
def test_symbols(text: str, expected: list[str]) -> None:
    assert symbols(text) == expected


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị", "cited_date", "2024-12-22"),
        (
            "Quyết định số 5924/QĐ-BYT ngày 29 tháng 12 năm 2021 của Bộ Y tế",
            "cited_date",
            "2021-12-29",
        ),
        ("Nghi quyét s6 57-NQ/TW ngay 22/12/2024 cia B9 Chinh tri", "cited_date", "2024-12-22"),
        ("Nghi quyét s6 57-NQ/TW ngay 22/12/2024 cia B9 Chinh tri", "cited_issuer", "Bộ Chính trị"),
        (
            "Ke hoach s6 02-KH/BCDTW ngay 19/6/2025 cua Ban Chi dao\nTrung wong",
            "cited_issuer",
            "Ban Chỉ đạo Trung ương",
        ),
        ("Nghị quyết số 71/NQ-CP ngày 01/4/2025 của Chính phủ", "cited_issuer", "Chính phủ"),
        # the code names the body more exactly than "của Chính phủ"
        (
            "Quyết định số 1588/QĐ-TTg ngày 17/12/2024 của Chính phủ",
            "cited_issuer",
            "Thủ tướng Chính phủ",
        ),
        # no "của": the issuer code's body
        (
            "Chỉ thị số 25-CT/TW ngày 25/10/2023 về y tế cơ sở",
            "cited_issuer",
            "Ban Chấp hành Trung ương",
        ),
        ("Nghị quyết số 57-NQ/TW", "cited_type_name", "Nghị quyết"),
        ("Thông báo kết luận số 05-TB/BCĐTW", "cited_type_name", "Thông báo"),
        ("Chương trình hành động số 41-CTr/TU", "cited_type_name", "Chương trình"),
        ("Cong van s6 2597/SKHCN-TTTT", "cited_type_name", "Công văn"),
        ("Luật Tiếp cận thông tin số 104/2016/QH13", "cited_type_name", "Luật"),
        ("Căn cứ Nghị quyết số 57-NQ/TW", "relation", "can_cu"),
        ("Can ctr Nghi quyét so 57-NQ/TW", "relation", "can_cu"),
        ("Thực hiện Kế hoạch số 192/KH-UBND", "relation", "thuc_hien"),
        ("Tuyên truyền Nghị quyết số 57-NQ/TW", "relation", "tuyen_truyen"),
        ("như Nghị quyết số 57-NQ/TW đã nêu", "relation", "dan_chieu"),
        # a cue broken over a line; a word-final "c" OCR'd as "e" ("thuc" -> "thue")
        ("Chương trình thực\nhiện Kế hoạch số 11/KH-SYT", "relation", "thuc_hien"),
        ("Ke hoach thue hien Chi thi so 11/CT-UBND", "relation", "thuc_hien"),
        ("Nghị quyết số 57-NQ/TW", "family", "party"),
        ("Kế hoạch số 1138/KH-BYT ngày 19/8/2025", "key", "1138/KH-BYT@2025"),
        ("Nghị quyết số 57-NQ/TW ngày 22/12/2024", "key", "57-NQ/TW"),
        ("Nghị quyết 71/QN-CP", "printed_symbol", "71/QN-CP"),
    ],
)
def test_citation_fields(text: str, field: str, expected: object) -> None:
    (cite,) = find_full(text, RULES)
    assert getattr(cite, field) == expected


def test_local_issuer_is_completed_with_the_documents_place() -> None:
    text = "Kế hoạch số 92/KH-UBND ngày 28/6/2023 của UBND tỉnh thực hiện Chiến lược"
    (cite,) = find_full(text, RULES, home=("Thái Bình", "tỉnh", "Sở Y tế"))
    assert cite.cited_issuer == "UBND tỉnh Thái Bình"


def test_later_mentions_inherit_date_and_year() -> None:
    text = "Kế hoạch số 138/KH-UBND ngày 21/5/2025 của UBND tỉnh; sau đó Kế hoạch số 138/KH-UBND."
    first, second = find_full(text, RULES)
    assert second.cited_date == "2025-05-21"
    assert second.key == first.key == "138/KH-UBND@2025"


def test_own_symbol_span_is_skipped() -> None:
    text = "Số: 167/KH-SYT\nThực hiện Kế hoạch số 192/KH-UBND"
    assert [c.cited_symbol for c in find_full(text, RULES, skip=[(0, 14)])] == ["192/KH-UBND"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Nghị quyết số 57-NQ/TW ngày 22/12/2024. Triển khai Nghị quyết 57 trên toàn quốc.",
            [("57", "57-NQ/TW", "resolved")],
        ),
        (
            "Kế hoạch số 02-KH/BCĐTW. Tổ chức thực hiện Kế hoạch 02; cơ chế",
            [("02", "02-KH/BCĐTW", "resolved")],
        ),
        ("Kế hoạch số 02-KH/BCĐTW. Ké hoach s6 02 cua Ban", [("02", "02-KH/BCĐTW", "resolved")]),
        ("Nghị quyết số 57-NQ/TW. tuyên truyền NQ số 57 của Bộ", [("57", "57-NQ/TW", "resolved")]),
        ("Nghị quyết số 57-NQ/TW. Nghi quyét 57 trén toan quéc", [("57", "57-NQ/TW", "resolved")]),
        (
            "Nghị quyết số 12/NQ-CP và Nghị quyết số 12-NQ/TW. Nghị quyết 12 nêu",
            [("12", "", "ambiguous")],
        ),
        ("Theo Quyết định 99 của Bộ", [("99", "", "unresolved")]),
        # a full citation next to the number is not a short form
        ("Nghị quyết 50 71/NQ-CP", []),
    ],
)
def test_short_forms(text: str, expected: list[tuple[str, str, str]]) -> None:
    full = find_full(text, RULES)
    got = [(c.cited_number, c.cited_symbol, c.status) for c in find_short(text, RULES, full)]
    assert got == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "thực hiện Luật Khám bệnh, chữa bệnh trong toàn ngành.",
            [("Luật Khám bệnh, chữa bệnh", "15/2023/QH15", "resolved")],
        ),
        (
            "Luật Đấu thầu (sửa đổi) quy định thuộc lĩnh vực y tế.",
            [("Luật Đấu thầu (sửa đổi)", "", "unresolved")],
        ),
        (
            "theo Luật Hòa giải ở cơ sở năm 2013.",
            [("Luật Hòa giải ở cơ sở năm 2013", "", "unresolved")],
        ),
        # followed by its number: the full citation carries it, no by-name citation
        ("Luật Khám bệnh, chữa bệnh số 15/2023/QH15; ", []),
        ("Luật sửa đổi, bổ sung một số điều của Luật \n\nDược số 44/2024/QH15; ", []),
        # a list of document kinds, not a law
        ("thực hiện Luật, Nghị quyết, Chỉ thị", []),
    ],
)
def test_laws_by_name(text: str, expected: list[tuple[str, str, str]]) -> None:
    full = find_full(text, RULES)
    got = [
        (c.cited_title, c.key if c.status == "resolved" else "", c.status)
        for c in find_laws_by_name(text, RULES, full)
    ]
    assert got == expected
    assert all(
        c.form == "name" and c.cited_symbol == "" for c in find_laws_by_name(text, RULES, full)
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("QĐ", "QĐ"),
        ("QD", "QĐ"),
        ("QP", "QĐ"),
        ("Nb", "NĐ"),
        ("QN", "NQ"),
        ("PA", "PA"),
        ("KH", "KH"),
    ],
)
def test_repair_type_codes(code: str, expected: str) -> None:
    assert repair_code(code, set(RULES.type_names))[0] == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("BCDTW", "BCĐTW"),
        ("BCPTW", "BCĐTW"),
        ("BCDDTWW", "BCĐTW"),
        ("DU", "ĐU"),
        ("BCĐ", "BCĐ"),
        ("TTTT", "TTTT"),
    ],
)
def test_repair_issuer_codes(code: str, expected: str) -> None:
    assert repair_code(code, set(RULES.issuer_codes))[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19/8/2025", "2025-08-19"),
        ("19 thang 8 nam 2025", "2025-08-19"),
        ("01/04/2025", "2025-04-01"),
        ("32/13/2025", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    got = parse_date(text)
    assert (got[0] if got else None) == expected


def test_fold_ocr_keeps_length() -> None:
    for text in ("Nghi quyét s6 57", "K& hoạch số 02", "Đỗ Xuân Tuyên", "y t¢ cơ sở"):
        assert len(fold_ocr(text)) == len(text)
    assert fold_ocr("s6 K& hoach") == "so ke hoach"


def test_a_lone_near_twin_of_a_frequent_symbol_is_flagged() -> None:
    text = "Nghị quyết số 71/NQ-CP; " * 3 + "Nghị quyết số 72/NQ-CP"
    cites = find_full(text, RULES)
    assert [c.status for c in cites] == ["resolved"] * 3 + ["ambiguous"]
    assert cites[-1].cited_symbol == "72/NQ-CP"


def test_list_items_share_the_relation_of_the_list() -> None:
    text = "Truyền thông về Nghị quyết số 57-NQ/TW; Kế hoạch số 02-KH/BCĐTW; Nghị quyết số 71/NQ-CP"
    assert [c.relation for c in find_full(text, RULES)] == ["tuyen_truyen"] * 3
