"""CSV and TSV: every cell read, identifiers and stamps located by row and column."""

from __future__ import annotations

import codecs

from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, Verdict, screen_file
from tests.screening.corpus_ooxml import csv_table

PEOPLE = [
    ["Họ và tên", "Số CCCD", "Điện thoại", "Ghi chú"],
    ["Nguyễn Văn An", "001090012345", "0905 123 456", "Khách mời"],
]


def _rows(result: object) -> dict[str, set[str]]:
    from clearance.screening.types import FileResult

    assert isinstance(result, FileResult)
    out: dict[str, set[str]] = {}
    for finding in result.findings:
        out.setdefault(finding.rule, set()).add(finding.location)
    return out


def test_csv_identifiers_are_found_in_their_cells(rules: ScreeningRules) -> None:
    result = screen_file(csv_table(PEOPLE), "khach-moi.csv", rules)
    assert result.detected_type == "text/csv"
    assert result.verdict is Verdict.REVIEW
    found = _rows(result)
    assert found["pii.cccd"] == {"row 2, column 2"}
    assert found["pii.phone"] == {"row 2, column 3"}


def test_semicolon_csv_with_quoted_line_breaks(rules: ScreeningRules) -> None:
    rows = [["Tiêu đề", "Nội dung"], ["Công văn", "Kính gửi các sở\nTỐI MẬT"], ["x", "y"]]
    data = csv_table(rows, delimiter=";")
    result = screen_file(data, "cong-van.csv", rules)
    assert result.verdict is not Verdict.CLEAR
    assert any(f.location == "row 2, column 2" for f in result.findings if "marking" in f.rule)


def test_tsv_in_utf16_as_excel_writes_it(rules: ScreeningRules) -> None:
    data = codecs.BOM_UTF16_LE + csv_table(PEOPLE, delimiter="\t", encoding="utf-16-le")
    result = screen_file(data, "khach-moi.tsv", rules)
    assert result.detected_type == "text/tab-separated-values"
    assert _rows(result)["pii.phone"] == {"row 2, column 3"}


def test_stamp_cell_at_the_top_blocks(rules: ScreeningRules) -> None:
    rows = [["TUYỆT MẬT"], ["Danh sách cán bộ"], ["Trần Thị B", "Phó phòng"]]
    result = screen_file(csv_table(rows), "ds.csv", rules)
    assert result.verdict is Verdict.BLOCKED
    assert any(f.location == "row 1, column 1" for f in result.findings)


def test_statistics_csv_near_misses_stay_clear(rules: ScreeningRules) -> None:
    rows = [
        ["Đơn vị", "Mật độ dân số (người/km2)", "Độ mật"],
        ["Huế", "2453", "Độ mật: Thường"],
        ["Hương Thủy", "251", "Thường"],
        ["Sản phẩm", "Mật ong rừng", "bảo vệ bí mật nhà nước"],
    ]
    result = screen_file(csv_table(rows), "thong-ke.csv", rules)
    assert result.verdict is Verdict.CLEAR, result.findings
    assert result.coverage[0].method == "cells"


def test_undecodable_csv_is_held(rules: ScreeningRules) -> None:
    result = screen_file(b"a,b\n\xff\xfe\xfa,\x81\n", "x.csv", rules)
    assert result.verdict is Verdict.REVIEW


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet='abc ,"\nđ', max_size=6), min_size=1, max_size=4),
        min_size=1,
        max_size=5,
    ),
    st.integers(min_value=0, max_value=4),
)
def test_phone_is_located_in_any_table(
    rules: ScreeningRules, rows: list[list[str]], at: int
) -> None:
    row = at % len(rows)
    rows = [list(r) for r in rows]
    rows[row].append("0905 123 456")
    column = len(rows[row])
    data = csv_table([["Cột A", "Cột B", "Cột C", "Cột D", "Cột E"], *rows])
    result = screen_file(data, "t.csv", rules)
    assert f"row {row + 2}, column {column}" in _rows(result).get("pii.phone", set())
