"""The approver's item page lists the title's findings (the title is screened as text like the
body): labelled "Tiêu đề", with the rule, the place and the excerpt, in Vietnamese."""

from __future__ import annotations

import re

from flask import Flask

from tests.webapp.helpers import browser
from tests.webapp.test_story import submit

TITLE = "Đường dây nóng lễ hội mùa xuân: 0905 123 456"


def _findings_rows(html: str) -> list[str]:
    table = html.split('<table class="findings">', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"\s+", " ", row) for row in table.split("<tr")[2:]]


def test_the_approver_sees_the_title_findings_labelled_title(app: Flask) -> None:
    item_id = submit(app, title=TITLE)
    page = browser(app, "lanh.dao").get(f"/approvals/items/{item_id}")
    assert page.status_code == 200
    rows = _findings_rows(page.get_data(as_text=True))
    [title_row] = [row for row in rows if "pii.phone" in row]
    assert "Tiêu đề" in title_row  # the place: the title, in Vietnamese
    assert "dòng 1" in title_row and "line 1" not in title_row
    assert "Đường dây nóng lễ hội mùa xuân" in title_row and "456" in title_row  # the excerpt
    assert "0905 123" not in title_row  # masked, as every personal-data excerpt is
    assert "title" not in title_row.replace("<td>", "").split("</td>")[3]  # no raw part id
