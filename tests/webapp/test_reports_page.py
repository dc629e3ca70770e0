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


def _options(page: str, name: str) -> list[str]:
    found = re.search(rf'<select name="{name}">(.*?)</select>', page, flags=re.S)
    return re.findall(r'<option value="([^"]+)"', found.group(1)) if found else []


def test_the_filters_offer_the_themes_and_languages_of_the_period(app: Flask, rt: Runtime) -> None:
    """Themes and languages present in the log for the period, not every theme the policy
    declares nor those of items from other months."""
    from datetime import UTC, datetime

    from clearance.events import Event

    def submitted(item: str, when: datetime, themes: list[str], language: str) -> None:
        body = {"author": "tac.gia", "channels": ["website"], "themes": themes,
                "language": language, "versions": [{"language": language}]}  # fmt: skip
        with rt.sessions.begin() as session:
            rt.sink.append(session, [Event("item.submitted", "tac.gia", item, body=body)], now=when)

    submitted("R-oct", datetime(2030, 10, 5, 3, tzinfo=UTC), ["bien_dao"], "en")
    submitted("R-nov", datetime(2030, 11, 5, 3, tzinfo=UTC), ["cong_dong_asean"], "vi")
    b = browser(app, "lanh.dao")
    november = b.get("/reports/?period=2030-11").get_data(as_text=True)
    assert _options(november, "theme") == ["cong_dong_asean"]
    assert _options(november, "language") == ["vi"]
    october = b.get("/reports/?period=2030-10").get_data(as_text=True)
    assert _options(october, "theme") == ["bien_dao"] and _options(october, "language") == ["en"]
    assert '<select name="theme">' not in b.get("/reports/?period=2031-01").get_data(as_text=True)
