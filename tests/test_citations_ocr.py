"""Citation symbols damaged by OCR (or typing), and the rules that read them anyway.

Tables of (text, expected symbols), written for these rules: separators misread or lost,
codes split by a space or cut off at a line end, mentions of one document that OCR made
differ, the document's own symbol in a damaged mention, and look-alikes that are not
symbols at all.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.citations import load_rules
from pipeline.header import read_meta
from pipeline.models import DocumentMeta
from pipeline.settings import Settings
from pipeline.shortforms import find_citations, find_full

RULES = load_rules(Settings().dictionaries)


def symbols(text: str) -> list[str]:
    return [c.cited_symbol for c in find_full(text, RULES)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the hyphen printed as an en or em dash (OCR, word processors)
        ("Quyết định số 318/QĐ–SYT ngày 2/3/2024", ["318/QĐ-SYT"]),
        ("Nghị quyết số 19—NQ/TU ngày 2/3/2024", ["19-NQ/TU"]),
        ("Thông tư số 7/2021/TT–BTC ngày 2/3/2021", ["7/2021/TT-BTC"]),
        # a joint symbol's next issuer after "- " or a line break
        ("Thông tư liên tịch số 4/2018/TTLT-BNV- BTC ngày 1/1/2018", ["4/2018/TTLT-BNV-BTC"]),
        ("Thông tư liên tịch số 4/2018/TTLT-BNV-\nBTC ngày 1/1/2018", ["4/2018/TTLT-BNV-BTC"]),
        # ... but a list item after a symbol is not an issuer
        ("Thông tư số 9/2019/TT-BTC\n- Sở Tài chính", ["9/2019/TT-BTC"]),
        # the last code split by a space: joined when the whole is a known code
        ("Quyết định số 77/QĐ-UBN D ngày 5/5/2023", ["77/QĐ-UBND"]),
        ("Kế hoạch số 16/KH-S YT ngày 5/5/2023", ["16/KH-SYT"]),
        ("Nghị quyết số 08-NQ/T U ngày 5/5/2023", ["08-NQ/TU"]),
        ("Chỉ thị số 21/CT-TT g ngày 5/5/2023", ["21/CT-TTg"]),
        ("Luật số 44/2019/QH 14 ngày", ["44/2019/QH14"]),
        # ... and left off when it is not
        ("Quyết định số 77/QĐ-UBND A ngày", ["77/QĐ-UBND"]),
        ("Quyết định số 77/QĐ-UBND V/v tăng cường", ["77/QĐ-UBND"]),
        # the hyphen between two known codes read as "." or as a space
        ("Quyết định số 318/QĐ.SYT ngày 2/3/2024", ["318/QĐ-SYT"]),
        ("Quyết định số 318/QĐ SYT ngày 2/3/2024", ["318/QĐ-SYT"]),
        ("Nghị định số 15/2022/NĐ.CP ngày 2/3/2022", ["15/2022/NĐ-CP"]),
        ("tại phòng 4/AB CD tầng 2", []),
        ("xem mục 4/KH.XYZ", []),
        # the "/" lost between number and two known codes
        ("Kế hoạch số 604KH-UBND ngày 8/8/2024", ["604/KH-UBND"]),
        ("mã 4G-LTE, 3D-UBND, 604KH-XYZ", []),
        # digits of the year read as letters; the slash doubled
        ("Nghị định số 15/2O22/NĐ-CP ngày", ["15/2022/NĐ-CP"]),
        ("Nghị quyết số 19-NQ//TU ngày", ["19-NQ/TU"]),
        # a speck read as "_" between the hyphen and the next line
        ("Quyết định số\n4410/QĐ- _\n\nBYT ngày 3/3/2024", ["4410/QĐ-BYT"]),
        # two known codes one letter away: the letter OCR confuses decides
        ("Tờ trình số 455/TTr-WBND ngày 1/4/2025", ["455/TTr-UBND"]),
        # the type code garbled at one end: the type name before it names it
        ("Quyết định số 2207/ )Đ-TTg ngày 1/4/2025", ["2207/QĐ-TTg"]),
        ("Quyết định số 2207/Đ-TTg ngày 1/4/2025", ["2207/QĐ-TTg"]),
        ("Hướng dẫn số 14-D/VPTW ngày 1/4/2025", ["14-HD/VPTW"]),
        ("trong mục 2207/Đ-TTg", ["2207/Đ-TTg"]),
        # a normative symbol's year misread: the date it was signed, one digit away, decides
        ("Nghị định số 61/2O23/NĐ-CP ngày 5/9/2023", ["61/2023/NĐ-CP"]),
        ("Nghị định số 61/2923/NĐ-CP ngày 5/9/2023", ["61/2023/NĐ-CP"]),
        ("Nghị định số 61/2923/NĐ-CP về việc", []),
        # ... but when both are possible years, either may be misread: kept as printed
        ("Nghị định số 61/2025/NĐ-CP ngày 5/9/2023", ["61/2025/NĐ-CP"]),
        # the "/" before the year read as I: not the digit 1 glued to the number
        ("Nghị định số 37I2022[NĐ-CP ngày 1/2/2022", ["37/2022/NĐ-CP"]),
        # a space inside the year (OCR splits "2016" as "201 6"): not a symbol "6/TT-BTC"
        ("và Thông tư số 05/201 6/TT-BTC ngày 1/2/2016", ["05/2016/TT-BTC"]),
        # the last letter of a code cut off
        ("theo Quyết định số 705/QĐ-UBN ngày 5/7/2025", ["705/QĐ-UBND"]),
        # a speck after the hyphen at a line end
        ("Công văn số 3150/UBND- :\n\nKGVX ngày 1/9/2025", ["3150/UBND-KGVX"]),
        ("Quyết định số 6120/QĐ-\n- SYT ngày 1/9/2025", ["6120/QĐ-SYT"]),
        # a law number one look-alike digit off an amending law of the title table
        (
            "Luật Bảo hiểm y tế được sửa đổi, bổ sung bởi Luật số 91/2024/QH15 ngày 1/1/2024",
            ["51/2024/QH15"],
        ),
        ("Luật Đất đai được sửa đổi bởi Luật số 91/2024/QH15", ["91/2024/QH15"]),
        # a letter OCR confuses inside a short code; a comma before the slash
        ("Kết luận số 45-KI,/TW ngày 2/2/2024", ["45-KL/TW"]),
        ("Kết luận số 45-KL/TW ngày 2/2/2024", ["45-KL/TW"]),
        # a Party regulation's type code
        ("Quy định số 11-QĐi/TW ngày 1/1/2024", ["11-QĐi/TW"]),
    ],
)
def test_damaged_symbols(text: str, expected: list[str]) -> None:
    assert symbols(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an issuer code of one letter is the rest of it cut off: not a symbol ...
        ("Thực hiện Công điện số 09/CĐ-B\ntrưởng Bộ", []),
        ("Nghị quyết số 19-NQ/T\nvề việc", []),
        ("Thông tư số 11/2024/TT-B :\n\ntrưởng Bộ", []),
        # ... unless the body named after it, or a full mention, completes it
        (
            "Nghị quyết số 19-NQ/TU ngày 1/1/2025; Nghị quyết số 19-NQ/T\nvề việc",
            ["19-NQ/TU", "19-NQ/TU"],
        ),
        ("Chỉ thị số 21/CT-T ngày 5/5/2023 của Thủ tướng Chính phủ", ["21/CT-TTg"]),
        # neither code known and no type name before: not a document's symbol
        ("đường tỉnh lộ 48/TL-NA và phòng 12/KTX-A", []),
        ("Công văn số 71/STNMT-QLĐĐ ngày 1/2/2024", ["71/STNMT-QLĐĐ"]),
        # a normative symbol of a type that always has an issuer, printed without one
        ("Nghị định số 15/2022/NĐ ngày 2/3/2022 của Chính phủ", ["15/2022/NĐ-CP"]),
        (
            "Nghị định số 15/2022/NĐ-CP ngày 2/3/2022; theo Nghị định 15/2022/NĐ- ng\n\nvề",
            ["15/2022/NĐ-CP", "15/2022/NĐ-CP"],
        ),
        ("các đơn vị 15/2022/NĐ- ng\n\nvề việc", []),
        # laws carry no issuer
        ("Luật số 44/2019/QH14", ["44/2019/QH14"]),
    ],
)
def test_cut_off_codes(text: str, expected: list[str]) -> None:
    assert symbols(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # mentions of one Công văn differing in a unit letter: the misread one has a letter
        # no Vietnamese unit name starts a word with
        (
            "Công văn số 712/UBND-KTN ngày 3/4/2025; theo Công văn số 712/UBND-KIN.",
            ["712/UBND-KTN", "712/UBND-KTN"],
        ),
        # ... or a doubled letter (a typing error)
        (
            "Công văn số 88/SYT-NVV ngày 3/4/2025; Công văn số 88/SYT-NV.",
            ["88/SYT-NV", "88/SYT-NV"],
        ),
        # a full tie changes nothing; two years are two documents
        (
            "Công văn số 712/UBND-KTN; Công văn số 712/UBND-KTX.",
            ["712/UBND-KTN", "712/UBND-KTX"],
        ),
        (
            "Công văn số 712/UBND-KTN ngày 1/2/2024; Công văn số 712/UBND-KIN ngày 1/2/2025.",
            ["712/UBND-KTN", "712/UBND-KIN"],
        ),
        # a code cut short beside the full mention of the same number and type
        (
            "Kế hoạch số 05-KH/BCĐTW ngày 1/1/2025. Theo Kế hoạch 05-KH/BCD\nđã nêu",
            ["05-KH/BCĐTW", "05-KH/BCĐTW"],
        ),
        # a number printed once, a digit OCR confuses away from a frequent one
        (
            "Kế hoạch số 356-KH/TU; " * 3 + "Kế hoạch số 358-KH/TU",
            ["356-KH/TU"] * 4,
        ),
        # ... but not digits OCR keeps apart
        (
            "Kế hoạch số 356-KH/TU; " * 3 + "Kế hoạch số 357-KH/TU",
            ["356-KH/TU"] * 3 + ["357-KH/TU"],
        ),
    ],
)
def test_mentions_made_consistent(text: str, expected: list[str]) -> None:
    assert symbols(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the symbol garbled past the number: a central Party body numbers <n>-<TYPE>/TW
        ("Thực hiện Nghị quyết số 41NWQƒTY ngày 3/5/2024 của Bộ Chính trị", ["41-NQ/TW"]),
        ("Chỉ thị số 17-Ñ#PW ngày 3/5/2024 của Ban Bí thư về", ["17-CT/TW"]),
        ("Kết luận số 88 của Bộ Chính trị; Kết luận số 88 nêu rõ", ["88-KL/TW", "88-KL/TW"]),
        # ... not for other bodies, nor when the full symbol is printed, nor a date
        ("Nghị quyết số 41 ngày 3/5/2024 của Chính phủ", []),
        ("Nghị quyết số 41-NQ/TW ngày 3/5/2024 của Bộ Chính trị", ["41-NQ/TW"]),
        ("Căn cứ Nghị quyết 25/10/2019 của Ban Chấp hành Trung ương", []),
    ],
)
def test_party_symbols_from_the_issuing_body(text: str, expected: list[str]) -> None:
    got = [c.cited_symbol for c in find_citations(text, RULES, DocumentMeta())]
    assert [s for s in got if s] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the own symbol in a damaged mention is not a citation
        ("kèm theo Quyết định số 640/QP-SYT ngày 2/6/2025", []),
        ("kèm theo Quyết định số 640/QĐ-SYT ngày 2/6/2025", []),
        # the same symbol of another year is another document
        ("bãi bỏ Quyết định số 640/QĐ-SYT ngày 9/9/2023", ["640/QĐ-SYT"]),
        # another number or another issuer is another document
        ("theo Quyết định số 641/QĐ-SYT", ["641/QĐ-SYT"]),
        ("theo Quyết định số 640/QĐ-UBND", ["640/QĐ-UBND"]),
    ],
)
def test_own_symbol(text: str, expected: list[str]) -> None:
    meta = DocumentMeta(
        symbol="640/QĐ-SYT",
        number="640",
        type_code="QĐ",
        issuer_code="SYT",
        issued_date="2025-06-02",
    )
    got = [c.cited_symbol for c in find_citations(text, RULES, meta) if c.form == "full"]
    assert got == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SỞ Y TẾ\nSố: 640/QĐ-SYT\nQUYẾT ĐỊNH\nVề việc", "640/QĐ-SYT"),
        ("SO Y TE\nS6: 640/QD-SYT\nQUYET DINH\nVe viec", "640/QĐ-SYT"),
        ("SỞ Y TẾ Độc lập - Tự do\n\n_ Số: 640/QĐ-SYT Hà Nội, ngày 1/6/2025\n", "640/QĐ-SYT"),
        ("SO Y TE Doc lap - Tu do\n\n$6: 640/QD-SYT Ha Noi, ngay 1/6/2025\n", "640/QĐ-SYT"),
        # a wrapped body line that starts with "số" is not the header's number line
        ("KẾ HOẠCH\nTriển khai\n\nI. NỘI DUNG\n- Phổ biến Nghị quyết\nsố 57-NQ/TW của Bộ", None),
    ],
)
def test_number_line_is_printed_with_a_capital(text: str, expected: str | None) -> None:
    meta, _, _ = read_meta(text, RULES)
    assert meta.symbol == expected


_PIECES = st.sampled_from(
    ["12", "2024", "/", "-", "–", " ", "\n", "QĐ", "NĐ", "CP", "UBN", "D", "TW", "T", "_",
     "BYT", "KH", "số ", "Quyết định ", "ngày 1/2/2024", ".", "O", "l", "của Bộ Y tế", ")"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_damaged_text_gives_well_formed_citations(text: str) -> None:
    """Whatever the damage, a citation lies inside the text and has a clean symbol."""
    for c in find_full(text, RULES):
        assert 0 <= c.start < c.end <= len(text)
        assert c.cited_symbol and " " not in c.cited_symbol and "\n" not in c.cited_symbol
        assert c.cited_symbol[0].isdigit()
