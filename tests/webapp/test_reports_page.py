"""The report page as a leader and an auditor see it: figures that match the core's, links to the
entries behind them, charts without scripts, downloads, and a clear refusal of a bad period."""

from __future__ import annotations

import re

from flask import Flask

from clearance.reports.figures import compute, parse_period
from clearance.reports.source import LiveHistory
from clearance.runtime import Runtime
from tests.webapp.helpers import browser
from tests.webapp.test_story import submit


def test_the_report_page_shows_the_core_figures_with_their_entries(app: Flask, rt: Runtime) -> None:
    submit(app, files={"lich.txt": "Lịch trình lễ hội".encode()})
    with rt.readers() as session:
        history = LiveHistory().current(session)
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    period = f"{now.year}-{now.month:02d}"
    expected = compute(history, parse_period(period)).outcomes["submitted"].value
    assert expected >= 1
    b = browser(app, "lanh.dao")
    page = b.get(f"/reports/?period={period}").get_data(as_text=True)
    assert "Báo cáo công tác thông tin đối ngoại" in page
    link = re.search(r'href="([^"]*figure=outcomes.submitted[^"]*)">(\d+)<', page)
    assert link and int(link.group(2)) == expected
    assert "<svg" in page and "<script" not in page.split("<main", 1)[-1].split("</main>")[0]
    entries = b.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert entries.count("<code>item.submitted</code>") == expected
    csv_text = b.get(f"/reports/report.csv?period={period}").get_data(as_text=True)
    assert f'"Tin, bài được gửi duyệt",{expected},' in csv_text
    xlsx = b.client.get(f"/reports/report.xlsx?period={period}")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_a_bad_period_gets_a_clear_message(app: Flask) -> None:
    b = browser(app, "kiem.toan")
    response = b.get("/reports/?period=2026-13")
    assert response.status_code == 400
    assert "Không hiểu kỳ báo cáo" in response.get_data(as_text=True)
    assert b.get("/reports/entries?period=2026-11&figure=nothing.here").status_code == 404
