"""The whole story in headless Chromium (Playwright driving Debian's chromium), CSP enforced by
a real browser: the marked file is blocked, changes are requested and answered, two approvers
sign, the item is on the published site (served from the site folder) and the auditor's
verification of the whole log is green. Screenshots of the main pages go to a temporary folder (docs/screenshots/ is
scripts/screenshots.py's)."""

from __future__ import annotations

import functools
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from clearance.runtime import Runtime
from tests.webapp.conftest import settings_for
from tests.webapp.helpers import PASSWORD
from webapp import create_app

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
#: the tests' own shots (to look at after a run); docs/screenshots/ is scripts/screenshots.py's
SHOTS = Path(tempfile.gettempdir()) / "clearance-test-screenshots"


@dataclass(frozen=True)
class Servers:
    app: str  # the web UI
    site: str  # the published website (the site folder as a reader's web server serves it)


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path, template_home: Path) -> Iterator[Servers]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    settings = settings_for(home)
    site = settings.site_dir or home / "site"
    site.mkdir(parents=True, exist_ok=True)
    rt = Runtime.open(settings)
    app = create_app(settings, runtime=rt)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    files = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietFiles, directory=str(site))
    )
    threads = [
        threading.Thread(target=httpd.serve_forever, daemon=True),
        threading.Thread(target=files.serve_forever, daemon=True),
    ]
    for thread in threads:
        thread.start()
    yield Servers(f"http://127.0.0.1:{httpd.server_port}", f"http://127.0.0.1:{files.server_port}")
    httpd.shutdown()
    files.shutdown()
    rt.close()


def test_whole_story(server: Servers, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    site = server.site
    server_url = server.app
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )

        def session(user: str):  # type: ignore[no-untyped-def]
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.on(
                "console",
                lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
            )
            page.goto(f"{server_url}/auth/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("input[type=submit]")
            return page

        author = session("tac.gia")
        author.screenshot(path=str(SHOTS / "author-items.png"), full_page=True)
        # a marked file is held by screening
        marked = tmp_path / "cong-van.txt"
        marked.write_text("TUYỆT MẬT\nKế hoạch nội bộ.", encoding="utf-8")
        author.goto(f"{server_url}/author/submit")
        author.fill("input[name=title]", "Công văn nội bộ")
        author.fill("textarea[name=body]", "Xem tệp đính kèm.")
        author.set_input_files("input[name=attachments]", str(marked))
        author.check("input[name=channels][value=website]")
        author.select_option("select[name=declared_level]", "cong_khai")
        author.click("input[name=precheck]")
        author.screenshot(path=str(SHOTS / "author-precheck.png"), full_page=True)
        author.click("input[name=submit]")
        author.wait_for_selector("h1")
        assert "state-blocked" in author.content(), author.inner_text("main")[:1500]
        # a clean item goes to the approvers
        author.goto(f"{server_url}/author/submit")
        author.fill("input[name=title]", "Lễ hội mùa xuân")
        author.fill("textarea[name=body]", "Thông cáo báo chí về lễ hội mùa xuân.")
        author.check("input[name=channels][value=website]")
        author.select_option("select[name=declared_level]", "cong_khai")
        author.click("input[name=submit]")
        item_url = author.url
        item_id = item_url.rstrip("/").rsplit("/", 1)[-1]

        def decide(user: str, decision: str, comment: str = "") -> None:
            page = session(user)
            page.goto(f"{server_url}/approvals/")
            if user == "lanh.dao":
                page.screenshot(path=str(SHOTS / "approver-queue.png"), full_page=True)
            page.goto(f"{server_url}/approvals/items/{item_id}")
            page.select_option("select[name=decision]", decision)
            page.fill("textarea[name=comment]", comment)
            page.fill("input[name=password]", PASSWORD)
            if user == "phat.ngon":
                page.screenshot(path=str(SHOTS / "approver-item.png"), full_page=True)
            page.click("input[name=submit]")
            assert "flash info" in page.content()

        decide("lanh.dao", "request_changes", "Bổ sung thời gian.")
        author.goto(f"{server_url}/author/items/{item_id}/revise")
        author.fill(
            "textarea[name=body]", "Thông cáo báo chí về lễ hội mùa xuân.\nThời gian: 01/03."
        )
        author.fill("textarea[name=note]", "Đã bổ sung thời gian.")
        author.click("input[name=submit]")
        author.screenshot(path=str(SHOTS / "author-item.png"), full_page=True)
        decide("lanh.dao", "approve")
        decide("phat.ngon", "approve")
        author.goto(item_url)
        assert "state-published" in author.content(), author.inner_text("main")[:1500]

        # the published site lists the item and serves its page (a reader's view, no login)
        reader = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        reader.goto(f"{site}/")
        assert "Lễ hội mùa xuân" in reader.inner_text("body")
        reader.goto(f"{site}/items/{item_id}/")
        published = reader.inner_text("body")
        assert "Lễ hội mùa xuân" in published and "Thời gian: 01/03." in published
        reader.screenshot(path=str(SHOTS / "published-item.png"), full_page=True)

        auditor = session("kiem.toan")
        auditor.goto(f"{server_url}/audit/verify")
        auditor.wait_for_selector(".status.ok, .status.bad", timeout=30000)
        auditor.screenshot(path=str(SHOTS / "auditor-verify.png"), full_page=True)
        verified = auditor.locator(".status.ok").count() == 1
        report = auditor.inner_text("#verification")
        auditor.goto(f"{server_url}/audit/")
        auditor.screenshot(path=str(SHOTS / "auditor-log.png"), full_page=True)
        admin = session("quan.tri")
        admin.goto(f"{server_url}/admin/users")
        admin.screenshot(path=str(SHOTS / "admin-users.png"), full_page=True)
        browser.close()
    assert not errors, errors
    assert verified, f"the log verification is red: {report[-800:]}"


THEMES_EN_TITLE = "Spring festival of the province"


# The submit form with themes, language and an English version at 1280 and 390 px: the item page
# shows them by label, no page scrolls sideways, the CSP holds; screenshots of both pages.
@pytest.mark.parametrize(("width", "suffix"), [(1280, "desktop"), (390, "mobile")])
def test_themes_and_a_language_version_in_the_browser(
    server: Servers, width: int, suffix: str
) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
        page.on(
            "console",
            lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(f"{server.app}/auth/login")
        page.fill("input[name=username]", "tac.gia")
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit]")
        page.goto(f"{server.app}/author/submit")
        page.fill("input[name=title]", "Lễ hội mùa xuân")
        page.fill("textarea[name=body]", "Thông cáo báo chí về lễ hội mùa xuân của tỉnh.")
        page.check("input[name=channels][value=website]")
        page.select_option("select[name=declared_level]", "cong_khai")
        page.check("input[name=themes][value=quang_ba_tinh]")
        page.check("input[name=themes][value=du_lich]")
        page.select_option("select[name=language]", "vi")
        page.select_option("select[name='versions-0-language']", "en")
        page.fill("input[name='versions-0-title']", THEMES_EN_TITLE)
        page.fill("textarea[name='versions-0-body']", "The province invites everyone.")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"author-submit-themes-{suffix}.png"), full_page=True)
        page.click("input[name=submit]")
        page.wait_for_selector("p.tags")
        tags = page.inner_text("p.tags")
        assert "Tiếng Việt" in tags and "Quảng bá hình ảnh tỉnh" in tags and "Du lịch" in tags
        assert THEMES_EN_TITLE in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"author-item-themes-{suffix}.png"), full_page=True)
        item_id = page.url.rstrip("/").rsplit("/", 1)[-1]
        auditor = browser.new_context(viewport={"width": width, "height": 900}).new_page()
        auditor.goto(f"{server.app}/auth/login")
        auditor.fill("input[name=username]", "kiem.toan")
        auditor.fill("input[name=password]", PASSWORD)
        auditor.click("input[type=submit]")
        auditor.goto(f"{server.app}/audit/items/{item_id}")
        logged = auditor.inner_text("p.tags")  # the themes and versions the log states
        assert "Quảng bá hình ảnh tỉnh" in logged and "Du lịch" in logged, logged
        assert "Tiếng Anh" in logged, logged
        assert auditor.evaluate("document.documentElement.scrollWidth") <= width
        auditor.screenshot(path=str(SHOTS / f"audit-item-themes-{suffix}.png"), full_page=True)
        browser.close()
    assert errors == []
