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
        # a body the symbol codes name is known in a header too
        ("SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", ("Sở Nông nghiệp và Môi trường", "")),
        ("BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", ("Bộ Nông nghiệp và Môi trường", "")),
        ("Độc lập", None),
    ],
)
def test_canonical_body(segment: str, expected: tuple[str, str] | None) -> None:
    assert canonical_body(segment, RULES) == expected


# Signature blocks: the whole title line, the line under a prefixed title, and every
# authority prefix (TM./T/M, KT., TL., TUQ., Q.).
@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            "TL. BỘ TRƯỞNG\nCỤC TRƯỞNG CỤC KINH TẾ HỢP TÁC\n\nTrần Văn Bình",
            "TL. BỘ TRƯỞNG / CỤC TRƯỞNG CỤC KINH TẾ HỢP TÁC",
        ),
        (
            "T/M BAN CHẤP HÀNH\nPHÓ BÍ THƯ THƯỜNG TRỰC\n\nLê Thị Mai",
            "T/M BAN CHẤP HÀNH / PHÓ BÍ THƯ THƯỜNG TRỰC",
        ),
        (
            "KT. BỘ TRƯỞNG, CHỦ NHIỆM\nPHÓ CHỦ NHIỆM\n\nPhan Văn Hải",
            "KT. BỘ TRƯỞNG, CHỦ NHIỆM / PHÓ CHỦ NHIỆM",
        ),
        ("Q. GIÁM ĐỐC\n\n\nHồ Văn Tâm", "Q. GIÁM ĐỐC"),
        ("Ô. GIÁM ĐỐC\n\nHồ Văn Tâm", "Q. GIÁM ĐỐC"),  # OCR reads the Q as O/Ô
        ("Lưu: VT. o . GIÁM ĐỐC\n\nHồ Văn Tâm", "GIÁM ĐỐC"),  # a speck, no prefix
        ("TUQ. CHỦ TỊCH\nCHÁNH VĂN PHÒNG\n\nNgô Minh Châu", "TUQ. CHỦ TỊCH / CHÁNH VĂN PHÒNG"),
        ("KT. HIỆU TRƯỞNG\nPHÓ HIỆU TRƯỞNG\n\nĐỗ Thu Hà", "KT. HIỆU TRƯỞNG / PHÓ HIỆU TRƯỞNG"),
        ("KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC\n\nVõ Văn Lợi", "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"),
        ("KT. CHỦ TỊCH\n\nBùi Văn Sơn", "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"),
        ("CHỦ TỊCH\n\nĐinh Văn Khoa", "CHỦ TỊCH"),
    ],
)
def test_signer_title(block: str, expected: str) -> None:
    text = f"KẾ HOẠCH\nThử nghiệm\n\nNội dung.\n\nNơi nhận:\n- Như trên;\n- Lưu: VT.\n\n{block}\n"
    meta, _, _ = read_meta(text, RULES)
    assert meta.signer_title == expected


# The VGCA e-signature trailer: "Người ký: ..." then "Thời gian ký: dd.mm.yyyy hh:mm:ss +07:00".
@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("Thời gian ký: 14.10.2025 16:22:35 +07:00", "2025-10-14T16:22:35+07:00"),
        ("Thời gian ký: 3/2/2025 08:05 +0700", "2025-02-03T08:05:00+07:00"),
        ("Thoi gian ky: 21-11-2025 9:30:00 +07:00", "2025-11-21T09:30:00+07:00"),
    ],
)
def test_signing_time_of_the_named_trailer(stamp: str, expected: str) -> None:
    text = (
        "KẾ HOẠCH\nThử nghiệm\n\nNội dung.\n\nGIÁM ĐỐC\n\nLê Văn Nam\n"
        f"Người ký: Sở Tài chính\nEmail: stc@example.gov.vn\nCơ quan: Tỉnh Hà Tĩnh\n{stamp}\n"
    )
    meta, _, _ = read_meta(text, RULES)
    assert (meta.signed_at, meta.signer, meta.signer_title) == (expected, "Lê Văn Nam", "GIÁM ĐỐC")


# A surname printed with its marks stays as printed; only unmarked or garbled ones are
# mapped to a known surname ("Doãn" and "Đoàn" fold alike).
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Đoàn Văn Hùng", "Đoàn Văn Hùng"),
        ("Doãn Thị Lan", "Doãn Thị Lan"),
        ("Nguyen Van Binh", "Nguyễn Van Binh"),
    ],
)
def test_signer_surname(name: str, expected: str) -> None:
    text = f"KẾ HOẠCH\nThử nghiệm\n\nNội dung.\n\nNơi nhận:\n- Lưu: VT.\n\nGIÁM ĐỐC\n\n{name}\n"
    meta, _, _ = read_meta(text, RULES)
    assert meta.signer == expected
