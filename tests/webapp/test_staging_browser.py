"""The session privacy bug in a real browser: two tabs of one session, a file pre-checked in the
first never reaches the item sent from the second (and stays with the first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.webapp.helpers import PASSWORD
from tests.webapp.test_browser import CHROMIUM, Servers, server  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_two_tabs_keep_their_own_files(server: Servers, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import Page, sync_playwright

    private = tmp_path / "ho-so-rieng.txt"
    private.write_text("Danh sách cán bộ dự kiến điều động.", encoding="utf-8")

    def fill(page: Page, title: str) -> None:
        page.fill("input[name=title]", title)
        page.fill("textarea[name=body]", "Thông cáo báo chí.")
        page.check("input[name=channels][value=website]")
        page.select_option("select[name=declared_level]", "cong_khai")

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab_a = context.new_page()
        tab_a.goto(f"{server.app}/auth/login")
        tab_a.fill("input[name=username]", "tac.gia")
        tab_a.fill("input[name=password]", PASSWORD)
        tab_a.click("input[type=submit]")
        tab_a.wait_for_selector("h1")
        tab_a.goto(f"{server.app}/author/submit")
        tab_b = context.new_page()  # same session cookie
        tab_b.goto(f"{server.app}/author/submit")

        fill(tab_a, "Kế hoạch nhân sự")
        tab_a.set_input_files("input[name=attachments]", str(private))
        tab_a.click("input[name=precheck]")
        tab_a.wait_for_selector(".staged")
        assert "ho-so-rieng.txt" in tab_a.inner_text(".staged")

        fill(tab_b, "Lễ hội mùa xuân")
        tab_b.click("input[name=submit]")
        tab_b.wait_for_url("**/author/items/**")
        assert "ho-so-rieng.txt" not in tab_b.content()

        tab_a.click("input[name=submit]")
        tab_a.wait_for_url("**/author/items/**")
        assert "ho-so-rieng.txt" in tab_a.content()
        browser.close()
