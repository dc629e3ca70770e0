"""Language versions with their own files in headless Chromium, at 390 px: an author sends the
Vietnamese text with its file and an English version with its file through the real form, the
approver sees each file with its version, the revise form keeps the English file in its row,
and after sign-off the published page lists each version's files. No page scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.screening import corpus as c
from tests.webapp.helpers import PASSWORD
from tests.webapp.test_browser import CHROMIUM, SHOTS, Servers, server  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow

WIDTH = 390
EN_TITLE = "Spring festival of the province"
VI_PDF = "le-hoi.pdf"
EN_PDF = "festival.pdf"


def test_each_version_s_file_goes_through_review_to_the_published_page(
    server: Servers,  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.sync_api import Browser, Page, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    vi_pdf, en_pdf = tmp_path / VI_PDF, tmp_path / EN_PDF
    vi_pdf.write_bytes(c.pdf(["Le hoi mua xuan cua tinh"]))
    en_pdf.write_bytes(c.pdf(["Spring festival of the province"]))
    errors: list[str] = []

    def fits(page: Page, shot: str) -> None:
        page.screenshot(path=str(SHOTS / f"{shot}-{WIDTH}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDTH, f"{shot}: {width} px wide at {WIDTH} px"

    def session(browser: Browser, user: str) -> Page:
        page = browser.new_context(viewport={"width": WIDTH, "height": 900}).new_page()
        page.on(
            "console",
            lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(f"{server.app}/auth/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("h1")
        return page

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        author = session(browser, "tac.gia")
        author.goto(f"{server.app}/author/submit")
        author.fill("input[name=title]", "Lễ hội mùa xuân")
        author.fill("textarea[name=body]", "Thông cáo báo chí về lễ hội mùa xuân của tỉnh.")
        author.set_input_files("input[name=attachments]", str(vi_pdf))
        author.check("input[name=channels][value=website]")
        author.select_option("select[name=declared_level]", "cong_khai")
        author.select_option("select[name=language]", "vi")
        author.select_option("select[name='versions-0-language']", "en")
        author.fill("input[name='versions-0-title']", EN_TITLE)
        author.fill("textarea[name='versions-0-body']", "The province invites everyone.")
        author.set_input_files("input[name='versions-0-files']", str(en_pdf))
        # the pre-check screens both files and keeps each where it was chosen
        author.click("input[name=precheck]")
        author.wait_for_selector("section.precheck")
        assert EN_PDF in author.inner_text("#version-row-0 .staged")
        assert VI_PDF in author.inner_text("fieldset.staged >> nth=0")
        fits(author, "author-submit-version-files")
        author.click("input[name=submit]")
        author.wait_for_url("**/author/items/**")
        item_id = author.url.rstrip("/").rsplit("/", 1)[-1]
        english = author.inner_text("section.version[lang=en]")
        assert EN_PDF in english and VI_PDF not in english
        fits(author, "author-item-version-files")

        approver = session(browser, "lanh.dao")
        approver.goto(f"{server.app}/approvals/items/{item_id}")
        english = approver.inner_text("section.version[lang=en]")
        assert EN_PDF in english and VI_PDF not in english, english
        assert VI_PDF in approver.inner_text("main")
        fits(approver, "approver-item-version-files")
        approver.select_option("select[name=decision]", "request_changes")
        approver.fill("textarea[name=comment]", "Bổ sung thời gian.")
        approver.fill("input[name=password]", PASSWORD)
        approver.click("input[name=submit]")
        approver.wait_for_selector(".flash.info")

        # the revise form lists the English file in the English row; sent as it is, it stays
        author.goto(f"{server.app}/author/items/{item_id}/revise")
        assert EN_PDF in author.inner_text("#version-row-0 .staged")
        assert author.is_visible(f"label:has-text('Gỡ bỏ {EN_PDF}')")
        fits(author, "author-revise-version-files")
        author.fill("textarea[name=note]", "Đã bổ sung thời gian.")
        author.click("input[name=submit]")
        author.wait_for_url(f"**/author/items/{item_id}")

        for user in ("lanh.dao", "phat.ngon"):
            page = session(browser, user)
            page.goto(f"{server.app}/approvals/items/{item_id}")
            assert EN_PDF in page.inner_text("section.version[lang=en]")
            page.select_option("select[name=decision]", "approve")
            page.fill("input[name=password]", PASSWORD)
            page.click("input[name=submit]")
            page.wait_for_selector(".flash.info")
        author.goto(f"{server.app}/author/items/{item_id}")
        assert "state-published" in author.content(), author.inner_text("main")[:1500]

        reader = browser.new_context(viewport={"width": WIDTH, "height": 900}).new_page()
        reader.goto(f"{server.site}/items/{item_id}/")
        english = reader.inner_text("section[lang=en]")
        assert EN_TITLE in english and EN_PDF in english and VI_PDF not in english, english
        main_files = reader.inner_text("article").split(english)[-1]
        assert VI_PDF in main_files
        fits(reader, "published-item-version-files")
        browser.close()
    assert errors == []
