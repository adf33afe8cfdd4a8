"""Document metadata from the header, the signature block, the e-signature trailer and,
when the header is missing, the best evidence elsewhere. Inputs are built by hand,
clean and OCR-damaged (no marks, Đ read as P/B, columns run together)."""

from __future__ import annotations

import pytest

from pipeline.citations import load_rules
from pipeline.header import canonical_body, read_meta
from pipeline.settings import Settings

RULES = load_rules(Settings().dictionaries)

CLEAN = """UBND TỈNH NAM ĐỊNH          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
SỞ Y TẾ                     Độc lập - Tự do - Hạnh phúc
Số: 512/KH-SYT              Nam Định, ngày 03 tháng 3 năm 2025

KẾ HOẠCH
Phòng, chống dịch bệnh
mùa đông xuân năm 2025

Căn cứ Quyết định số 10/QĐ-UBND ngày 02/01/2025 của UBND tỉnh;

I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
- Chủ động phòng bệnh.

Nơi nhận:
- UBND tỉnh (b/c);
- Lưu: VT, NVY.
                                KT. GIÁM ĐỐC
                                PHÓ GIÁM ĐỐC

                                Lê Thị Hoa
"""

OCR = """BO Y TE CONG HOA XA HOI CHU NGHIA VIET NAM
L — Poc lap - Tu do - Hanh phuc
So: 77 /[QD-BYT Ha Noi, ngay 5 thang 2 nam 2025

QUYET DINH
Ve viec ban hanh Huong dan
BO TRUONG BO Y TE

Can ctr Nghi dinh s6 42/2025/Nb-CP ngay 27/02/2025 cua Chinh phu;

KT.BQ TRUONG
Noi nhgn: =] HU TRUONG
- Nhu Dieu 3;
- Luu: VT.

Nguyen Van An
"""

PARTY = """ĐẢNG BỘ TỈNH BẮC NINH          ĐẢNG CỘNG SẢN VIỆT NAM
TỈNH ỦY
*                                Bắc Ninh, ngày 12 tháng 9 năm 2025
Số 45-KH/TU

KẾ HOẠCH
thực hiện Chỉ thị số 25-CT/TW ngày 25/10/2023 của Ban Bí thư

I. MỤC ĐÍCH
Nội dung.

T/M BAN THƯỜNG VỤ
PHÓ BÍ THƯ

Trần Văn Bình
"""

CONG_VAN = """UBND TỈNH HÀ NAM              CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
SỞ Y TẾ                       Độc lập - Tự do - Hạnh phúc
Số: 901/SYT-NVD               Hà Nam, ngày 14 tháng 4 năm 2025
V/v tăng cường quản lý thuốc
tại các cơ sở bán lẻ

Kính gửi: Các cơ sở bán lẻ thuốc.

TM. ỦY BAN NHÂN DÂN
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH

Đặng Văn Hải
"""

NO_HEADER = """- Triển khai nội dung.
Trên đây là Kế hoạch Tiêm chủng mở rộng năm 2025, Sở Y tế yêu cầu các đơn vị thực hiện./.

KT.GIÁM ĐỐC
PHÓ GIÁM ĐỐC

Vũ Minh Đức

\t\tCỤC CHỨNG THỰC SỐ VÀ BẢO MẬT THÔNG TIN - Email: ca@bcy.gov.vn
\t2025-05-06T09:15:00+0700
\tỦY BAN NHÂN DÂN TỈNH HÀ NAM
\tVũ Minh Đức<vmduc@hanam.gov.vn> đã ký lên văn bản này!
\t2025-05-06T10:00:00+0700
\tỦY BAN NHÂN DÂN TỈNH HÀ NAM
\tSỞ Y TẾ<syt@hanam.gov.vn> đã ký lên văn bản này!
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            CLEAN,
            {
                "doc_type": "Kế hoạch",
                "symbol": "512/KH-SYT",
                "number": "512",
                "issuer": "Sở Y tế tỉnh Nam Định",
                "parent_issuer": "UBND tỉnh Nam Định",
                "place": "Nam Định",
                "issued_date": "2025-03-03",
                "title": "Phòng, chống dịch bệnh mùa đông xuân năm 2025",
                "signer": "Lê Thị Hoa",
                "signer_title": "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC",
                "key": "512/KH-SYT@2025",
            },
        ),
        (
            OCR,
            {
                "doc_type": "Quyết định",
                "symbol": "77/QĐ-BYT",
                "issuer": "Bộ Y tế",
                "place": "Hà Nội",
                "issued_date": "2025-02-05",
                "signer_title": "KT. BỘ TRƯỞNG / THỨ TRƯỞNG",
                "signer": "Nguyễn Van An",
                "title": "Ve viec ban hanh Huong dan",
            },
        ),
        (
            PARTY,
            {
                "symbol": "45-KH/TU",
                "issuer": "Tỉnh ủy Bắc Ninh",
                "parent_issuer": "Đảng bộ tỉnh Bắc Ninh",
                "place": "Bắc Ninh",
                "issued_date": "2025-09-12",
                "signer_title": "T/M BAN THƯỜNG VỤ / PHÓ BÍ THƯ",
                "title": "thực hiện Chỉ thị số 25-CT/TW ngày 25/10/2023 của Ban Bí thư",
                "key": "45-KH/TU",
            },
        ),
        (
            CONG_VAN,
            {
                "doc_type": "Công văn",
                "symbol": "901/SYT-NVD",
                "type_code": "CV",
                "title": "tăng cường quản lý thuốc tại các cơ sở bán lẻ",
                "signer_title": "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH",
            },
        ),
        (
            NO_HEADER,
            {
                "symbol": None,
                "issued_date": None,
                "issuer": "Sở Y tế tỉnh Hà Nam",
                "parent_issuer": "UBND tỉnh Hà Nam",
                "doc_type": "Kế hoạch",
                "title": "Kế hoạch Tiêm chủng mở rộng năm 2025",
                "signed_at": "2025-05-06T09:15:00+07:00",
                "signer": "Vũ Minh Đức",
            },
        ),
    ],
    ids=["clean", "ocr", "party", "cong-van", "no-header"],
)
def test_read_meta(text: str, expected: dict[str, object]) -> None:
    meta, _, _ = read_meta(text, RULES)
    got = {k: getattr(meta, k) for k in expected}
    assert got == expected


def test_evidence_spans_point_at_the_text() -> None:
    meta, own, _ = read_meta(CLEAN, RULES)
    ev = meta.evidence["symbol"]
    assert CLEAN[ev.start : ev.end] == "512/KH-SYT"
    assert own is not None and CLEAN[own[0] : own[1]].startswith("Số")
    assert 0 < meta.confidence["issuer"] <= 1


def test_fallback_evidence_has_lower_confidence() -> None:
    meta, _, _ = read_meta(NO_HEADER, RULES)
    assert meta.confidence["issuer"] < 0.9


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Sở Y tế Thành phố ban hành", "Sở Y tế Thành phố Cần Thơ"),
        ("Sở Tài chính Thành phố xây dựng", "Sở Tài chính Thành phố Cần Thơ"),
        ("Sở Giáo dục và Đào tạo Thành phố ban hành", "Sở Giáo dục và Đào tạo Thành phố Cần Thơ"),
        ("So Tai chinh Thanh pho ban hanh", "Sở Tài chính Thành phố Cần Thơ"),  # no marks
    ],
)
def test_issuer_named_only_in_the_body(body: str, expected: str) -> None:
    """Any issuing body the dictionaries know, not only health departments."""
    text = f"KẾ HOẠCH\nTruyền thông\n\n\n{body} Kế hoạch như sau:\n...Thành phố Cần Thơ..."
    meta, _, _ = read_meta(text, RULES)
    assert meta.issuer == expected


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("BOY TE", ("Bộ Y tế", "")),
        ("SOYTE", ("Sở Y tế", "")),
        ("UBND THANH PHO HAIPHONG ~", ("UBND", "thành phố Hải Phòng")),
        ("ỦY BAN NHÂN DÂN TỈNH THÁI BÌNH", ("UBND", "tỉnh Thái Bình")),
        ("Độc lập", None),
    ],
)
def test_canonical_body(segment: str, expected: tuple[str, str] | None) -> None:
    assert canonical_body(segment, RULES) == expected
