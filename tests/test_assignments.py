"""Units, roles and deadlines, eyecite style: tables of (text, expected)."""

from __future__ import annotations

import pytest

from pipeline.assignments import canonical_unit, find_assignments, parse_deadline, role_of
from pipeline.citations import load_rules
from pipeline.models import Document, Page, SourceKind
from pipeline.segment import build_tree, flatten
from pipeline.settings import Settings

RULES = load_rules(Settings().dictionaries)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("gửi báo cáo trước ngày 15/12/2025.", ("2025-12-15", None)),
        ("trugc ngay 15/12/2025", ("2025-12-15", None)),
        ("báo cáo trước ngày 05/12 hằng năm", ("--12-05", "yearly")),
        ("truéc ngay 05/12 hang nam", ("--12-05", "yearly")),
        ("gửi trước ngày 29 tháng 12 năm 2025", ("2025-12-29", None)),
        ("báo cáo quí trước ngày 26 tháng cuối quí", (None, "quarterly")),
        ("báo cáo hằng quý, trước ngày 20 của tháng cuối quý", (None, "quarterly")),
        ("báo cáo định kỳ hằng tháng trước ngày 25.", (None, "monthly")),
        ("gửi về Sở định kỳ vào ngày 05 hằng tháng", (None, "monthly")),
        ("báo cáo UBND tỉnh hằng tuần vào chiều thứ Sáu", (None, "weekly")),
        ("Báo cáo nhanh hằng ngày, trước 14 giờ", (None, "daily")),
        ("hoàn thành trong tháng 11/2025", ("2025-11-30", None)),
        ("phấn đấu đến ngày 31/12/2025 giải ngân", ("2025-12-31", None)),
        ("tham mưu sơ kết 3 năm vào năm 2028", ("2028", None)),
        ("hoàn thành trong Quý IV năm 2025", ("2025-12-31", None)),
        ("Quyết định này có hiệu lực kể từ ngày 01/01/2026", ("2026-01-01", None)),
        # not deadlines
        ("Luật có hiệu lực thi hành từ ngày 01/7/2025", None),
        ("từ ngày 31/12/2025 đến ngày 02/01/2026", None),
        (
            "rà soát theo định kỳ (3 tháng, 6 tháng, cả năm) và gửi báo cáo thông qua Văn phòng",
            None,
        ),
        ("Đưa tiêu chí vào đánh giá, xếp loại đơn vị hằng năm", None),
    ],
)
def test_parse_deadline(sentence: str, expected: tuple[str | None, str | None] | None) -> None:
    got = parse_deadline(sentence)
    assert ((got[1], got[2]) if got else None) == expected


def test_deadline_relative_to_signing() -> None:
    got = parse_deadline("ban hành Quy chế trong thời hạn 15 ngày kể từ ngày ký", "2025-08-15")
    assert got is not None and got[1] == "2025-08-30"


@pytest.mark.parametrize(
    ("sentence", "role"),
    [
        ("- Chủ trì, phối hợp với các đơn vị cung cấp nội dung", "chu_tri"),
        ("- Chu tri, phéi hO'p Véi cac don vi", "chu_tri"),
        ("Chịu trách nhiệm chính trong việc xây dựng Kế hoạch", "chu_tri"),
        ("- Phối hợp triển khai kế hoạch truyền thông", "phoi_hop"),
        ("- Gửi thông tin về các mô hình hay", "thuc_hien"),
    ],
)
def test_role_of(sentence: str, role: str) -> None:
    assert role_of(sentence, RULES) == role


@pytest.mark.parametrize(
    ("printed", "own", "expected"),
    [
        ("Văn phòng Bộ Y tế", "", "Văn phòng Bộ Y tế"),
        ("Vin phong Bj Y té", "", "Văn phòng Bộ Y tế"),
        ("Phong Té chire - Hanh chinh", "", "Phòng Tổ chức - Hành chính"),
        ("B4o Stc' khée va Poi song", "", "Báo Sức khỏe và Đời sống"),
        ("Văn phòng", "Sở Y tế", "Văn phòng Sở Y tế"),
        ("Trung tâm Kiểm soát bệnh tật:", "", "Trung tâm Kiểm soát bệnh tật"),
        ("Sở Nông nghiệp và Môi trường", "", "Sở Nông nghiệp và Môi trường"),
        ("Đảng ủy UBND tỉnh lãnh đạo UBND tỉnh xây dựng kế hoạch", "", "Đảng ủy UBND tỉnh"),
        ("Mục đích", "", None),
        ("Báo cáo kết quả", "", None),
    ],
)
def test_canonical_unit(printed: str, own: str, expected: str | None) -> None:
    assert canonical_unit(printed, RULES, own) == expected


PLAN = """KẾ HOẠCH
Phòng chống dịch

I. MỤC ĐÍCH
Nội dung.

II. TỔ CHỨC THỰC HIỆN
1. Trung tâm Kiểm soát bệnh tật
- Chủ trì tổ chức tập huấn.
- Phối hợp với Văn phòng Sở kiểm tra.

2. Phòng Nghiệp vụ Y
- Báo cáo kết quả về Sở Y tế trước ngày 15/12/2025.

Các đơn vị gửi báo cáo trước ngày 05/12 hằng năm.

Nơi nhận:
- Như trên;
- Lưu: VT.
"""


def test_find_assignments_in_a_plan() -> None:
    doc = Document(
        "t", "t", "0", kind=SourceKind.TEXT, source_text=PLAN, pages=[Page(1, 0, len(PLAN))]
    )
    sections = flatten(doc, build_tree(PLAN, RULES))
    got = [
        (a.unit, a.role, a.deadline_date, a.section_path)
        for a in find_assignments(PLAN, sections, RULES)
    ]
    assert ("Trung tâm Kiểm soát bệnh tật", "chu_tri", None, "II/1") in got
    assert ("Trung tâm Kiểm soát bệnh tật", "phoi_hop", None, "II/1") in got
    assert ("Phòng Nghiệp vụ Y", "thuc_hien", "2025-12-15", "II/2") in got
    assert any(d == "--12-05" for _, _, d, _ in got)
