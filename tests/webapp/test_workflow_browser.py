"""The workflow views in headless Chromium under the strict CSP: a long request (pre-check,
sign-off) shows a progress indicator, disables the buttons and still sends the button pressed;
screenshots of the new pages at 1280 and 390 px go to a temporary folder (docs/screenshots/ is
scripts/screenshots.py's)."""

from __future__ import annotations

import io
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from clearance.runtime import Runtime
from tests.webapp.conftest import settings_for
from tests.webapp.helpers import PASSWORD, add_person
from tests.webapp.test_browser import CHROMIUM, SHOTS
from webapp import create_app

pytestmark = pytest.mark.slow
SIZES = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 390, "height": 844}}


@dataclass(frozen=True)
class Live:
    url: str
    rt: Runtime


@pytest.fixture
def live(tmp_path: Path, template_home: Path) -> Iterator[Live]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    settings = settings_for(home)
    rt = Runtime.open(settings)
    app = create_app(settings, runtime=rt)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Live(f"http://127.0.0.1:{httpd.server_port}", rt)
    httpd.shutdown()
    rt.close()


def _browser(p: Any) -> Any:
    return p.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )


def _login(browser: Any, url: str, user: str, size: str, csp: list[str]) -> Any:
    page = browser.new_context(viewport=SIZES[size]).new_page()
    page.on(
        "console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.goto(f"{url}/auth/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("h1")
    return page


def _fill(page: Any, title: str) -> None:
    page.fill("input[name=title]", title)
    page.fill("textarea[name=body]", "Thông cáo báo chí về lễ hội mùa xuân.")
    page.check("input[name=channels][value=website]")
    page.select_option("select[name=declared_level]", "cong_khai")


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"


def test_a_long_request_shows_progress_and_disables_the_buttons(live: Live) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    csp: list[str] = []
    with sync_playwright() as p:
        browser = _browser(p)
        for size in SIZES:
            page = _login(browser, live.url, "tac.gia", size, csp)
            page.goto(f"{live.url}/author/submit")
            _fill(page, "Lễ hội mùa xuân")
            # hold the form on the page after the app's own handler ran: the state the user
            # sees while the server works (the pre-check takes seconds)
            page.evaluate(
                "document.querySelector('form[data-busy]')"
                ".addEventListener('submit', (e) => e.preventDefault())"
            )
            page.click("input[name=precheck]")
            form = page.locator("form[data-busy]")
            assert form.get_attribute("aria-busy") == "true"
            assert page.is_disabled("input[name=precheck]")
            assert page.is_disabled("input[name=submit]")
            status = page.locator(".busy-status[role=status]")
            assert status.is_visible()
            assert "Vui lòng chờ" in status.inner_text()
            assert page.locator("input.busy-carried[name=precheck]").count() == 1
            page.screenshot(path=str(SHOTS / f"author-submit-busy-{size}.png"), full_page=True)
            if size == "mobile":
                _no_horizontal_scroll(page)
            page.context.close()

        # for real: the button pressed reaches the server though the buttons were disabled
        page = _login(browser, live.url, "tac.gia", "desktop", csp)
        page.goto(f"{live.url}/author/submit")
        _fill(page, "Lễ hội mùa xuân")
        page.click("input[name=precheck]")
        page.wait_for_selector("section.precheck")
        assert page.get_attribute("form[data-busy]", "aria-busy") is None  # a fresh page
        assert not page.is_disabled("input[name=submit]")
        page.click("input[name=submit]")
        page.wait_for_url("**/author/items/**")
        html = page.content()
        assert "<script>" not in html and "<script src=" in html  # no inline script
        browser.close()
    assert not csp, csp


def _decide(rt: Runtime, item_id: str, who: str, decision: str, comment: str = "") -> None:
    from clearance.services.signoff import decide

    decide(rt, item_id=item_id, approver=who, password=PASSWORD, decision=decision,
           comment=comment or None)  # fmt: skip


def test_screenshots_of_the_workflow_views(live: Live) -> None:
    from playwright.sync_api import sync_playwright

    from clearance.services.uploads import Upload
    from tests.webapp.helpers import submit_reviewed

    rt = live.rt
    add_person(rt, "lanh.dao.2", "approver", "vp", "unit_head")
    files = [Upload("lich-trinh.txt", io.BytesIO("Lịch trình lễ hội".encode()))]
    items = [
        submit_reviewed(rt, "tac.gia", "Lễ hội mùa xuân 2026", attachments=files),
        submit_reviewed(rt, "tac.gia", "Báo cáo kết quả du lịch quý I"),
        submit_reviewed(rt, "tac.gia", "Kế hoạch đầu tư"),
    ]
    _decide(rt, items[0], "lanh.dao", "request_changes", "Bổ sung thời gian và địa điểm tổ chức.")
    _decide(rt, items[1], "lanh.dao", "approve_with_recommendations", "Nên thêm số liệu so sánh.")
    SHOTS.mkdir(parents=True, exist_ok=True)
    csp: list[str] = []
    with sync_playwright() as p:
        browser = _browser(p)
        for size in SIZES:
            approver = _login(browser, live.url, "lanh.dao", size, csp)
            for path, name in (("/approvals/decided", "decided"), ("/approvals/all", "all")):
                approver.goto(f"{live.url}{path}")
                approver.wait_for_selector("table.list")
                approver.screenshot(path=str(SHOTS / f"approver-{name}-{size}.png"), full_page=True)
                if size == "mobile":
                    _no_horizontal_scroll(approver)
            author = _login(browser, live.url, "tac.gia", size, csp)
            author.goto(f"{live.url}/author/?q=le+hoi")
            author.wait_for_selector("#author-search")
            author.screenshot(path=str(SHOTS / f"author-search-{size}.png"), full_page=True)
            author.goto(f"{live.url}/author/items/{items[0]}/revise")
            author.wait_for_selector("#change-requests")
            assert "Bổ sung thời gian" in author.inner_text("#change-requests")
            assert author.locator("input[name=remove][value='lich-trinh.txt']").count() == 1
            author.screenshot(path=str(SHOTS / f"author-revise-{size}.png"), full_page=True)
            if size == "mobile":
                _no_horizontal_scroll(author)

        # a stale decision: the page was read before another unit head closed the stage
        for size in SIZES:
            stale = submit_reviewed(rt, "tac.gia", f"Thông cáo về lễ hội ({size})")
            late = _login(browser, live.url, "lanh.dao.2", size, csp)
            late.goto(f"{live.url}/approvals/items/{stale}")
            late.wait_for_selector("form.decision")
            _decide(rt, stale, "lanh.dao", "approve")
            late.select_option("select[name=decision]", "reject")
            late.fill("textarea[name=comment]", "Chưa đủ căn cứ để đăng.")
            late.fill("input[name=password]", PASSWORD)
            late.click("form.decision input[type=submit]")
            late.wait_for_selector("#kept-text")
            assert "Chưa đủ căn cứ để đăng." in late.input_value("#kept-comment")
            late.screenshot(path=str(SHOTS / f"conflict-409-{size}.png"), full_page=True)
            if size == "mobile":
                _no_horizontal_scroll(late)
        browser.close()
    assert not csp, csp
