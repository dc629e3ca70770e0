"""The first-run setup in headless Chromium at desktop and 390 px: the single admin fills in the
roster, reviews it, confirms it once; no page scrolls sideways, the CSP holds; screenshots of
each page go to a temporary folder (docs/screenshots/ is
scripts/screenshots.py's)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from clearance.services import users as user_service
from tests.webapp.conftest import init_home, settings_for
from tests.webapp.helpers import PASSWORD, fill_roster
from tests.webapp.test_browser import CHROMIUM, SHOTS
from webapp import create_app

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    settings = settings_for(tmp_path / "home")
    rt = init_home(settings)
    user_service.add_user(rt, actor=None, username="quan.tri", roles=["admin"], password=PASSWORD)
    httpd = make_server("127.0.0.1", 0, create_app(settings, runtime=rt), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    rt.close()


def test_first_run_setup_in_the_browser(fresh_server: str) -> None:
    from playwright.sync_api import Page, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    csp: list[str] = []

    def shoot(page: Page, name: str) -> None:
        for width, suffix in ((1280, "desktop"), (390, "mobile")):
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{name} is {overflow} px wide at {width} px"
            page.screenshot(path=str(SHOTS / f"{name}-{suffix}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.on(
            "console",
            lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(f"{fresh_server}/auth/login")
        page.fill("input[name=username]", "quan.tri")
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit]")
        page.goto(f"{fresh_server}/admin/users")
        assert page.locator("#single-admin").is_visible()
        shoot(page, "admin-users-single-admin")
        page.click("#single-admin a.button")
        fill_roster(page)
        shoot(page, "admin-setup")
        page.click("input[name=review]")
        page.wait_for_selector("input[name=password]")
        assert "Nguyễn Văn Lãnh" in page.inner_text("main")
        shoot(page, "admin-setup-review")
        page.fill("input[name=password]", PASSWORD)
        page.click("input[name=submit]")
        page.wait_for_selector("code")
        assert page.locator("td code").count() == 4
        shoot(page, "admin-setup-done")
        page.goto(f"{fresh_server}/admin/users")
        assert page.locator("#dual-control").is_visible()
        page.goto(f"{fresh_server}/admin/setup/")
        assert "/admin/users" in page.url
        shoot(page, "admin-setup-closed")
        browser.close()
    assert not csp, csp


#: for each username cell of the review table: does it overflow, on how many lines is it drawn
_USERNAME_CELLS = """() => [...document.querySelectorAll('main table tbody tr')].map(row => {
  const cell = row.cells[0];
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return {text: cell.innerText.trim(), lines: tops.size,
          overflow: cell.scrollWidth - cell.clientWidth};
})"""


def test_the_review_step_keeps_usernames_whole_at_390_px(fresh_server: str) -> None:
    """At 390 px the roster's review table neither overflows the screen nor breaks a username
    inside a word (each is drawn on one line, inside its cell)."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    people = [
        ("nguyen.van.lanh.dao", "Nguyễn Văn Lãnh Đạo", "approver", "unit_head",
         "Văn phòng Ủy ban nhân dân"),
        ("tran.thi.bao.mat", "Trần Thị Bảo Mật", "approver", "security_officer", "Phòng Bảo mật"),
        ("le.van.kiem.toan", "Lê Văn Kiểm Toán", "auditor", None, ""),
        ("quan.tri.vien.2", "Phạm Thị Quản Trị", "admin", None, ""),
    ]  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(viewport={"width": 390, "height": 900}).new_page()
        page.goto(f"{fresh_server}/auth/login")
        page.fill("input[name=username]", "quan.tri")
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit]")
        page.goto(f"{fresh_server}/admin/setup/")
        fill_roster(page, "Văn phòng Ủy ban nhân dân\nPhòng Bảo mật", people)
        page.click("input[name=review]")
        page.wait_for_selector("input[name=password]")
        page.screenshot(path=str(SHOTS / "admin-setup-review-390.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        cells = page.evaluate(_USERNAME_CELLS)
        browser.close()
    assert width <= 390, f"the review page is {width} px wide at 390 px"
    assert [c["text"] for c in cells] == [name for name, *_ in people], cells
    assert all(c["lines"] == 1 and c["overflow"] <= 0 for c in cells), cells
