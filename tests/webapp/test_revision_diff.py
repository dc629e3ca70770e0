"""A readable diff between revisions: lines and words inserted and deleted, marked by more than
colour (signs, <ins>/<del>, words for screen readers); a changed document's pages side by side;
a changed spreadsheet's cells, not a changed hash."""

from __future__ import annotations

import io
import re

from flask import Flask

from clearance.screening import screen_file
from clearance.services.sheetdiff import CellChange, diff_sheets
from tests.screening.corpus import pdf_pages
from tests.webapp.helpers import browser, workbook
from tests.webapp.test_story import BODY, decide, submit, submit_budget
from webapp.itemview import DiffLine, diff_lines


def test_a_changed_line_marks_its_changed_words() -> None:
    lines = diff_lines(
        "Lễ hội mùa xuân.\nThời gian: 01/03/2026.\nĐịa điểm: sân vận động.",
        "Lễ hội mùa xuân.\nThời gian: 08/03/2026.\nĐịa điểm: sân vận động.\nVé: miễn phí.",
    )
    assert lines[0] == DiffLine("gap", "1")
    changed = next(line for line in lines if line.kind == "change")
    assert changed.text == "Thời gian: 08/03/2026."
    assert ("del", "01") in changed.pieces and ("add", "08") in changed.pieces
    assert "".join(t for k, t in changed.pieces if k != "del") == changed.text
    assert "".join(t for k, t in changed.pieces if k != "add") == "Thời gian: 01/03/2026."
    assert DiffLine("add", "Vé: miễn phí.") in lines
    assert [line.kind for line in diff_lines("a\nb", "a")] == ["gap", "same", "del"]
    assert diff_lines("same", "same") == []


def derivative(data: bytes, rules) -> bytes:  # type: ignore[no-untyped-def]
    result = screen_file(data, "bang.xlsx", rules)
    assert result.sanitized is not None
    return result.sanitized


def test_a_spreadsheet_diff_lists_the_changed_cells(app: Flask) -> None:
    rules = app.extensions["clearance.runtime"].policy.screening
    old = workbook(
        {"Kinh phí": [["Hạng mục", "Số tiền"], ["Sân khấu", 120], ["Âm thanh", 80]], "Ghi chú": []}
    )
    new = workbook(
        {
            "Kinh phí": [
                ["Hạng mục", "Số tiền"],
                ["Sân khấu", 150],
                ["Âm thanh", 80],
                ["Pháo hoa", 40],
            ],
            "Lịch": [["Ngày", "01/03"]],
        }
    )
    diff = diff_sheets(derivative(old, rules), derivative(new, rules))  # the published bytes
    assert diff.changes == (
        CellChange("Kinh phí", "B2", "120", "150"),
        CellChange("Kinh phí", "A4", None, "Pháo hoa"),
        CellChange("Kinh phí", "B4", None, "40"),
    )
    assert diff.sheets_added == ("Lịch",) and diff.sheets_removed == ("Ghi chú",)
    assert not diff.truncated
    limited = diff_sheets(old, new, limit=1)
    assert len(limited.changes) == 1 and limited.truncated


def test_the_approver_reads_the_changes_between_revisions(app: Flask) -> None:
    first = pdf_pages([["Chuong trinh le hoi"], ["Trang hai"]])
    item_id = submit(app, files={"chuong-trinh.pdf": first})
    decide(app, "lanh.dao", item_id, "request_changes", "Sửa ngày tổ chức.")
    author = browser(app, "tac.gia")
    author.get(f"/author/items/{item_id}/revise")
    second = pdf_pages([["Chuong trinh le hoi (sua)"], ["Trang hai"], ["Trang ba"]])
    response = author.post(
        f"/author/items/{item_id}/revise",
        {
            "title": "Lễ hội mùa xuân",
            "body": BODY.replace("của tỉnh", "của thành phố"),
            "channels": ["website"],
            "declared_level": "cong_khai",
            "note": "Đã sửa.",
            "attachments": [(io.BytesIO(second), "chuong-trinh.pdf")],
            "submit": "1",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    html = browser(app, "lanh.dao").get(f"/approvals/items/{item_id}").get_data(as_text=True)
    diff = html.split('<div class="diff">', 1)[1].split("</div>", 1)[0]
    changed = re.search(r'<p class="d-line d-change">(.*?)</p>', diff)
    assert changed is not None, diff
    line = changed.group(1)
    assert '<span class="visually-hidden">Dòng đã sửa: </span>' in line
    assert re.search(r"<del><span class=\"visually-hidden\">\[đã xóa: </span>tỉnh", line), line
    assert re.search(r"<ins><span class=\"visually-hidden\">\[đã thêm: </span>thành phố", line)
    # the document's pages side by side: revision 1 and revision 2, page by page
    files = html.split('<div class="file-change">', 1)[1]
    assert "<strong>chuong-trinh.pdf</strong> —" in files and "đã thay đổi" in files
    pairs = re.findall(r'<div class="page-pair" role="group" aria-label="Trang (\d+)">', files)
    assert pairs == ["1", "2", "3"]
    sources = re.findall(r'<img src="(/items/[^"]+/r/(\d)/parts/\d+/pages/(\d))"', files)
    assert [(r, p) for _u, r, p in sources] == [
        ("1", "1"), ("2", "1"), ("1", "2"), ("2", "2"), ("2", "3")
    ]  # fmt: skip
    assert "(không có trang này)" in files  # revision 1 had no third page
    approver = browser(app, "lanh.dao")
    for url, _r, _p in sources:
        assert approver.client.get(url).status_code == 200


def test_the_approver_reads_the_changed_cells_of_a_revised_spreadsheet(app: Flask) -> None:
    item_id = submit_budget(app)
    html = browser(app, "lanh.dao").get(f"/approvals/items/{item_id}").get_data(as_text=True)
    files = html.split('<div class="file-change">', 1)[1]
    assert "<strong>kinh-phi.xlsx</strong> —" in files and "đã thay đổi" in files
    table = files.split('<table class="cell-diff">', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = [
        re.sub(r"<[^>]+>", "", row).split("|")
        for row in re.findall(r"<tr>(.*?)</tr>", body.replace("</td>", "|"), re.S)
    ]
    cells = [[c.strip() for c in row if c.strip()] for row in rows]
    assert cells == [
        ["Kinh phí", "B2", "120", "150"],
        ["Kinh phí", "A4", "(trống)", "Quà tặng"],
        ["Kinh phí", "B4", "(trống)", "40"],
    ], cells
    assert "<del>120</del>" in table and "<ins>150</ins>" in table
    # the body did not change: said so, not "this is the first revision"
    assert "Nội dung giống phiên bản trước." in html and "Đây là phiên bản đầu tiên." not in html
