"""Units, roles and deadlines, eyecite style: tables of (text, expected)."""

from __future__ import annotations

import pytest

from pipeline.assignments import (
    addressee_items,
    canonical_unit,
    display_unit,
    executors,
    find_assignments,
    mentioned_units,
    parse_deadline,
    role_of,
)
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
        # a half-year period: "định kỳ / mỗi / hằng 6 tháng", not "6 tháng đầu năm"
        ("tổng hợp, báo cáo Sở Xây dựng định kỳ 6 tháng.", (None, "half-yearly")),
        ("gửi báo cáo về Văn phòng mỗi sáu tháng", (None, "half-yearly")),
        ("báo cáo kết quả định kỳ 06 tháng", (None, "half-yearly")),
        ("báo cáo kết quả 6 tháng đầu năm 2025", None),
        # the earliest day to start is no deadline; the latest is
        ("khai giảng sớm nhất vào ngày 05/9/2025", None),
        ("mở lớp không sớm hơn ngày 10/8/2025", None),
        ("nộp hồ sơ chậm nhất vào ngày 30/9/2025", ("2025-09-30", None)),
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


# Units named inside running sentences: (sentence, expected (unit, role) pairs in order).
@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # a unit before a task verb; its lower-case tail ("tỉnh") stays in the name
        (
            "Trung tâm Y tế dự phòng tỉnh tăng cường kiểm tra các điểm nóng.",
            [("Trung tâm Y tế dự phòng tỉnh", "thuc_hien")],
        ),
        # a "giao" cue, a lead role, then a list after "phối hợp với": each item supports
        (
            "Giao Phòng Quản lý hành nghề chủ trì, phối hợp với Sở Công Thương, Sở Xây dựng "
            "và Công an tỉnh rà soát các cơ sở.",
            [
                ("Phòng Quản lý hành nghề", "chu_tri"),
                ("Sở Công Thương", "phoi_hop"),
                ("Sở Xây dựng", "phoi_hop"),
                ("Công an tỉnh", "phoi_hop"),
            ],
        ),
        # a known name with a comma inside is one unit
        (
            "Đề nghị Cục Quản lý Khám, chữa bệnh hướng dẫn các bệnh viện.",
            [("Cục Quản lý Khám, chữa bệnh", "chu_tri")],
        ),
        # "Ủy ban nhân dân" is written UBND, as the archive does
        (
            "Giao Ủy ban nhân dân tỉnh chỉ đạo các địa phương.",
            [("UBND tỉnh", "thuc_hien")],
        ),
        # marks lost by OCR on the head word ("Phong" for "Phòng")
        (
            "Phong Tài vụ khẩn trương thanh toán.",
            [("Phong Tài vụ", "thuc_hien")],
        ),
        # a capitalised name is not cut at a verb-like word ("Thông tin" is part of it)
        (
            "Sở Thông tin và Truyền thông chủ trì việc này.",
            [("Sở Thông tin và Truyền thông", "chu_tri")],
        ),
        # a provincial press body whose name holds "và" and a comma
        (
            "Phối hợp với Báo và Phát thanh, Truyền hình Quảng Trị đưa tin.",
            [("Báo và Phát thanh, Truyền hình Quảng Trị", "phoi_hop")],
        ),
        # a general hospital named by its kind ("đa khoa") and its place
        (
            "Phối hợp với Bệnh viện đa khoa tỉnh xử lý ca bệnh.",
            [("Bệnh viện đa khoa tỉnh", "phoi_hop")],
        ),
        # no task verb and no cue: not an assignment
        ("Ông A là Giám đốc Sở Xây dựng.", []),
    ],
)
def test_mentioned_units(sentence: str, expected: list[tuple[str, str]]) -> None:
    got = mentioned_units(sentence, 0, len(sentence), RULES)
    assert [(display_unit(u), r) for u, r, _, _ in got] == expected


# Execution clauses name leaders; their units carry the document out.
@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        (
            "Điều 3. Chánh Văn phòng Sở, Trưởng phòng Kế hoạch, Giám đốc các sở: Công Thương, "
            "Xây dựng; Thủ trưởng các đơn vị có liên quan và các cá nhân có tên tại Điều 1 chịu "
            "trách nhiệm thi hành Quyết định này.",
            [
                "Văn phòng Sở",
                "Phòng Kế hoạch",
                "Sở Công Thương",
                "Sở Xây dựng",
                "Các đơn vị có liên quan",
            ],
        ),
        (  # line-broken, mark-less OCR text
            "Chanh Van phong UBND huyen,\nGiam doc Trung tam Y te huyen chiu trach nhiem thi\n"
            "hanh Quyet dinh nay.",
            ["Van phong UBND huyen", "Trung tam Y te huyen"],
        ),
        (  # the cue's last words garbled by OCR: "chịu trách nhiệm ... Quyết định này"
            "Giám đốc Sở Xây dựng chịu trách nhiệxxthhành Quyết định này.",
            ["Sở Xây dựng"],
        ),
        ("Các đơn vị chịu trách nhiệm thực hiện tốt kế hoạch.", []),  # no leader named
        ("Giám đốc Sở A chịu trách nhiệm trước Chủ tịch UBND tỉnh.", []),  # answerable to
    ],
)
def test_executors(clause: str, expected: list[str]) -> None:
    assert [u for u, _, _ in executors(clause, 0, len(clause), RULES)] == expected


# Addressee lists after "Kính gửi:": one item per bullet or ';', items may run over lines.
@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("\n- Sở A;\n- Sở B.\n\nThực hiện Công văn ...", ["- Sở A;", "- Sở B."]),
        (
            "\n\n- Các trường học có bếp ăn tập thể\ntrên địa bàn;\n\n- Các chợ đầu mối.\n\n"
            "Căn cứ ...",
            ["- Các trường học có bếp ăn tập thể\ntrên địa bàn;", "- Các chợ đầu mối."],
        ),
        (" Các sở, ban, ngành tỉnh.\n\nThực hiện ...", ["Các sở, ban, ngành tỉnh."]),
        ("\n- Sở A\n- Sở B\n\nĐể triển khai ...", ["- Sở A", "- Sở B"]),
    ],
)
def test_addressee_items(block: str, expected: list[str]) -> None:
    assert [block[a:b].strip() for a, b in addressee_items(block, 0)] == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Tham mưu Sở Nông nghiệp ban hành hướng dẫn.",  # the Sở is advised
        "Định kỳ báo cáo UBND huyện tổng hợp kết quả.",  # reported to
        "Giới thiệu các kế hoạch của Sở Y tế nhằm cụ thể hóa chương trình.",  # no task verb
        "- Bảo đảm cung cấp đầy đủ thông tin.",  # "Bảo đảm" is a verb, not a body
    ],
)
def test_no_unit_in(sentence: str) -> None:
    assert mentioned_units(sentence, 0, len(sentence), RULES) == []


def test_marked_verb_is_not_its_bare_twin() -> None:
    """ "cử" (send) ends a unit's name; "cụ thể" (bare form also "cu") does not."""
    sent = "Các trung tâm y tế huyện cử cán bộ tham dự."
    got = [
        u for u, _, _, _ in mentioned_units("Giao Trung tâm Y tế huyện cử cán bộ.", 0, 36, RULES)
    ]
    assert got == ["Trung tâm Y tế huyện"]
    assert canonical_unit(sent, RULES) == "Các trung tâm y tế huyện"


# A sentence holding two deadlines keeps each one: two dates, or a date and a recurring
# report in another clause; a recurrence that qualifies the date stays with it.
@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Sở Xây dựng ban hành quy chế trước ngày 30/6/2026; hằng năm báo cáo kết quả "
            "tại kỳ họp cuối năm.",
            [("2026-06-30", None), (None, "yearly")],
        ),
        (
            "Phòng Tổng hợp báo cáo Giám đốc định kỳ 6 tháng và hằng năm trước ngày 05/12.",
            [(None, "half-yearly"), ("--12-05", "yearly")],
        ),
        (
            "Sở Tư pháp hằng năm tổng hợp, báo cáo UBND tỉnh trước ngày 20/11.",
            [("--11-20", "yearly")],
        ),
        (
            "Các sở gửi dự thảo trước ngày 10/3/2026 và trình UBND tỉnh trước ngày 31/3/2026.",
            [("2026-03-10", None), ("2026-03-31", None)],
        ),
    ],
)
def test_one_deadline_per_clause(
    sentence: str, expected: list[tuple[str | None, str | None]]
) -> None:
    text = f"KẾ HOẠCH\nThử nghiệm\n\nII. TỔ CHỨC THỰC HIỆN\n{sentence}\n"
    doc = Document(
        "t", "t", "0", kind=SourceKind.TEXT, source_text=text, pages=[Page(1, 0, len(text))]
    )
    sections = flatten(doc, build_tree(text, RULES))
    got = [
        (a.deadline_date, a.recurrence)
        for a in find_assignments(text, sections, RULES)
        if a.deadline_text
    ]
    assert sorted(set(got), key=str) == sorted(expected, key=str)


LETTERED = """KẾ HOẠCH
Thử nghiệm

II. TỔ CHỨC THỰC HIỆN
1. Phòng Kinh tế
a) Lập phương án trước ngày 15/01/2026; phân công cán bộ theo dõi.
b) Kiểm tra các hộ sản xuất.
c) Báo cáo tình hình về Sở Công Thương hằng tuần, vào sáng thứ Hai.
"""


def test_lettered_sub_items_are_separate_tasks() -> None:
    """Each "a)", "b)" line is its own task, so each keeps its own deadline."""
    doc = Document(
        "t", "t", "0", kind=SourceKind.TEXT, source_text=LETTERED, pages=[Page(1, 0, len(LETTERED))]
    )
    sections = flatten(doc, build_tree(LETTERED, RULES))
    got = {
        (a.task[:2], a.deadline_date, a.recurrence)
        for a in find_assignments(LETTERED, sections, RULES)
        if a.unit == "Phòng Kinh tế"
    }
    assert ("a)", "2026-01-15", None) in got
    assert ("c)", None, "weekly") in got


# OCR layouts: a blank line inside a sentence that goes on in lower case does not end it,
# and lettered sub-items of a double-spaced page are still separate tasks.
@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ["1. Phòng Kinh tế", "- Tổng hợp, báo cáo Sở Công Thương định kỳ hằng", "",
             "tháng trước ngày 20."],
            {(None, "monthly")},
        ),
        (
            ["1. Phòng Kinh tế", "", "a) Lập phương án trước ngày 15/01/2026.", "",
             "b) Báo cáo về Sở Công Thương hằng tuần, trước 10 giờ thứ Sáu.", ""],
            {("2026-01-15", None), (None, "weekly")},
        ),
    ],
)  # fmt: skip
def test_deadline_across_ocr_blank_lines(
    lines: list[str], expected: set[tuple[str | None, str | None]]
) -> None:
    double = not lines[1]
    head = ["KẾ HOẠCH", "", "Thử nghiệm", "", "II. TỔ CHỨC THỰC HIỆN", ""]
    text = "\n".join((head if double else [h for h in head if h]) + lines) + "\n"
    doc = Document(
        "t", "t", "0", kind=SourceKind.TEXT, source_text=text, pages=[Page(1, 0, len(text))]
    )
    sections = flatten(doc, build_tree(text, RULES))
    got = {
        (a.deadline_date, a.recurrence)
        for a in find_assignments(text, sections, RULES)
        if a.deadline_text
    }
    assert got == expected
