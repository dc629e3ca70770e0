"""Days are typed and shown as dd/mm/yyyy in the Vietnamese UI, never in the browser's locale
(``<input type="date">`` showed mm/dd/yyyy): ``clearance.dates.parse_day`` reads every typed
day (the audit log's filter, a report's days); a day that is not one is a Vietnamese message
next to its field and the rest of the form is kept; a local day is a local day (the log's times
are UTC)."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from clearance.dates import day_end_utc, day_start_utc, format_day, parse_day
from clearance.errors import BadInput
from clearance.events import Event
from clearance.reports.figures import parse_period
from clearance.runtime import Runtime
from tests.webapp.conftest import settings_for
from tests.webapp.helpers import PASSWORD, browser
from webapp import create_app

CHROMIUM = "/usr/bin/chromium"


def test_a_day_is_read_day_first_and_an_impossible_one_is_a_coded_error() -> None:
    assert parse_day("03/12/2026") == date(2026, 12, 3)
    assert parse_day(" 3/2/2026 ") == date(2026, 2, 3)
    assert parse_day("03.12.2026") == parse_day("03-12-2026") == date(2026, 12, 3)
    assert parse_day("2026-12-03") == date(2026, 12, 3)  # ISO: links and the CLI
    assert format_day(date(2026, 2, 3)) == "03/02/2026"
    for text, code in (("12/31/2026", "date.not_a_day"), ("31/02/2026", "date.not_a_day"),
                       ("2026/12/03", "date.unreadable"), ("3 tháng 12", "date.unreadable"),
                       ("", "date.unreadable"), ("03/12/26", "date.unreadable")):  # fmt: skip
        with pytest.raises(BadInput) as caught:
            parse_day(text)
        assert caught.value.code == code, text
        assert caught.value.params == {"text": text.strip()}


def test_a_local_day_begins_and_ends_at_local_midnight() -> None:
    day = date(2026, 12, 3)
    assert day_start_utc(day) == datetime(2026, 12, 2, 17, tzinfo=UTC)  # UTC+7
    assert day_end_utc(day) == datetime(2026, 12, 3, 17, tzinfo=UTC)


def test_a_report_of_days_reads_them_day_first_and_is_labelled_in_iso() -> None:
    typed = parse_period("01/11/2026..15/11/2026")
    assert typed == parse_period("2026-11-01..2026-11-15")
    assert typed.label == "2026-11-01..2026-11-15"  # a file name: no "/"
    with pytest.raises(BadInput):
        parse_period("11/01/2026..11/15/2026")  # month first: day 15 of month 15 is no day


def _log_at(rt: Runtime, item: str, when: datetime) -> None:
    with rt.sessions.begin() as session:
        rt.sink.append(session, [Event("item.submitted", "tac.gia", item, body={})], now=when)


def _items(html: str) -> set[str]:
    return set(re.findall(r'href="/audit/items/(ngay-[a-z]+)"', html))


def test_the_log_filter_reads_dd_mm_yyyy_as_local_days(app: Flask, rt: Runtime) -> None:
    _log_at(rt, "ngay-truoc", datetime(2026, 12, 2, 16, 59, tzinfo=UTC))  # 23:59 on 2 Dec local
    _log_at(rt, "ngay-dau", datetime(2026, 12, 2, 17, 0, tzinfo=UTC))  # 00:00 on 3 Dec local
    _log_at(rt, "ngay-cuoi", datetime(2026, 12, 3, 16, 59, tzinfo=UTC))  # 23:59 on 3 Dec local
    _log_at(rt, "ngay-sau", datetime(2026, 12, 3, 17, 0, tzinfo=UTC))  # 00:00 on 4 Dec local
    auditor = browser(app, "kiem.toan")
    page = auditor.get("/audit/?since=03/12/2026&until=03/12/2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _items(html) == {"ngay-dau", "ngay-cuoi"}
    assert 'value="03/12/2026"' in html and 'type="date"' not in html
    assert "ngày/tháng/năm" in html  # the hint
    # a link in ISO (an old bookmark) filters the same and is shown day first
    html = auditor.get("/audit/?since=2026-12-03&until=2026-12-03").get_data(as_text=True)
    assert _items(html) == {"ngay-dau", "ngay-cuoi"} and 'value="03/12/2026"' in html
    assert _items(auditor.get("/audit/?since=04/12/2026").get_data(as_text=True)) == {"ngay-sau"}


def test_a_day_that_is_no_day_is_said_in_vietnamese_and_the_form_is_kept(
    app: Flask, rt: Runtime
) -> None:
    _log_at(rt, "ngay-dau", datetime(2026, 12, 2, 17, 0, tzinfo=UTC))
    auditor = browser(app, "kiem.toan")
    page = auditor.get(
        "/audit/?actor=tac.gia&event=item.submitted&since=12/31/2026&until=03/12/2026"
    )
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "“12/31/2026” không phải là một ngày có trong lịch" in html, html
    assert 'id="f-since-error" role="alert"' in html and 'aria-invalid="true"' in html
    # nothing typed is lost: the bad day as typed, the other day, actor and event
    assert 'value="12/31/2026"' in html and 'value="03/12/2026"' in html
    assert 'value="tac.gia"' in html
    assert re.search(r'<option value="item.submitted"\s+selected>', html), html
    assert not _items(html)  # not a list that was not asked for
    html = auditor.get("/audit/?since=hôm+qua").get_data(as_text=True)
    assert "“hôm qua” không phải là ngày" in html


@pytest.fixture
def served(tmp_path: Path, template_home: Path) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    settings = settings_for(home)
    rt = Runtime.open(settings)
    _log_at(rt, "ngay-dau", datetime(2026, 12, 2, 17, 0, tzinfo=UTC))
    _log_at(rt, "ngay-sau", datetime(2026, 12, 3, 17, 0, tzinfo=UTC))
    httpd = make_server("127.0.0.1", 0, create_app(settings, runtime=rt), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    rt.close()


FIELD = """(name) => { const f = document.querySelector(`input[name=${name}]`);
  const b = f.getBoundingClientRect();
  return {type: f.type, placeholder: f.placeholder, inputmode: f.inputMode, value: f.value,
          label: f.labels[0] && f.labels[0].textContent.trim(), left: b.left, right: b.right,
          hint: [...f.getAttribute('aria-describedby').split(' ')]
                  .map(id => document.getElementById(id).textContent.trim())}; }"""
SCROLL = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@pytest.mark.slow
def test_at_390_px_the_day_reads_and_is_typed_dd_mm_yyyy_and_a_bad_one_keeps_the_form(
    served: str,
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            # an English-locale browser: the field must not follow the browser (mm/dd/yyyy)
            context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
            page = context.new_page()
            page.goto(f"{served}/auth/login")
            page.fill("input[name=username]", "kiem.toan")
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("input[type=submit]")
            page.goto(f"{served}/audit/")
            since = page.evaluate(FIELD, "since")
            assert since["type"] == "text" and since["inputmode"] == "numeric", since
            assert since["placeholder"] == "nn/tt/nnnn" and since["label"] == "Từ ngày", since
            assert since["hint"] == ["ngày/tháng/năm, ví dụ 03/12/2026"], since
            assert since["left"] >= 0 and since["right"] <= 390, since
            page.fill("input[name=actor]", "tac.gia")
            page.fill("input[name=since]", "04/12/2026")
            page.click("form.filters button[type=submit]")
            page.wait_for_load_state()
            assert page.evaluate(FIELD, "since")["value"] == "04/12/2026"
            assert page.locator("a[href='/audit/items/ngay-sau']").count() >= 1
            assert page.locator("a[href='/audit/items/ngay-dau']").count() == 0
            page.fill("input[name=until]", "12/31/2026")  # month first
            page.click("form.filters button[type=submit]")
            page.wait_for_load_state()
            error = page.locator("#f-until-error")
            assert error.is_visible()
            assert "không phải là một ngày có trong lịch" in error.inner_text()
            assert page.evaluate(FIELD, "until")["value"] == "12/31/2026"
            assert page.evaluate(FIELD, "since")["value"] == "04/12/2026"
            assert page.input_value("input[name=actor]") == "tac.gia"
            box = error.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
            scroll, client = page.evaluate(SCROLL)
            assert scroll <= client, (scroll, client)
            context.close()
        finally:
            chromium.close()


def test_a_moment_is_written_in_vietnam_time_whatever_its_zone_and_remembered_per_language() -> (
    None
):
    from datetime import timedelta, timezone

    from webapp.i18n import fmt_datetime

    moment = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)
    same = moment.astimezone(timezone(timedelta(hours=-5)))  # equal, hashed alike
    for _ in range(2):  # written, then given from memory: the same text
        assert fmt_datetime(moment, "vi") == "04/12/2026 00:30"
        assert fmt_datetime(same, "vi") == "04/12/2026 00:30"
        assert fmt_datetime(moment, "en") == "04 Dec 2026, 00:30"
        assert fmt_datetime(datetime(2026, 12, 3, 17, 30), "vi") == "04/12/2026 00:30"  # naive: UTC
        assert fmt_datetime(moment + timedelta(minutes=1), "vi") == "04/12/2026 00:31"
    assert fmt_datetime(None, "vi") == "—"
