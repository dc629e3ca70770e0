"""The approver's item page with previews in headless Chromium under the strict CSP: the page
images load, the body is set in the published typography with its findings marked, nothing
overflows at 390 px; screenshots at 1280 and 390 px go to a temporary folder (docs/screenshots/ is
scripts/screenshots.py's)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from clearance.services.items import Submission, submit
from clearance.services.review import review_revision
from clearance.services.uploads import Upload
from tests.screening.corpus import pdf_pages
from tests.webapp.test_browser import SHOTS
from tests.webapp.test_workflow_browser import (
    SIZES,
    Live,
    _browser,
    _login,
    _no_horizontal_scroll,
    live,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.slow

BODY = (
    "Thông cáo báo chí về lễ hội mùa xuân của tỉnh.\nMời đồng bào tham dự.\n\n"
    "Liên hệ ban tổ chức: 0905 123 456 về lễ khai mạc."
)


def test_screenshots_of_the_item_page_with_previews(live: Live) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    pdf = pdf_pages([["Chuong trinh le hoi mua xuan", "Ngay 01/03/2026"], ["Trang hai"]])
    files = [Upload("chuong-trinh.pdf", io.BytesIO(pdf))]
    item_id = submit(live.rt, author="tac.gia", submission=Submission(
        title="Lễ hội mùa xuân", channels=["website"], declared_level="cong_khai",
        body_text=BODY, attachments=files))  # fmt: skip
    review_revision(live.rt, item_id)
    SHOTS.mkdir(parents=True, exist_ok=True)
    csp: list[str] = []
    with sync_playwright() as p:
        browser = _browser(p)
        for size in SIZES:
            page: Any = _login(browser, live.url, "lanh.dao", size, csp)
            page.goto(f"{live.url}/approvals/items/{item_id}")
            page.wait_for_selector(".pages img")
            # every image has finished loading (or failing) before it is judged: the page
            # can answer before the second page image is drawn from the blob store
            page.wait_for_function(
                "Array.from(document.querySelectorAll('.pages img')).every(i => i.complete)"
            )
            loaded = page.evaluate(
                "Array.from(document.querySelectorAll('.pages img'))"
                ".map(i => i.complete && i.naturalWidth > 0)"
            )
            assert loaded == [True, True]
            font = page.evaluate(
                "getComputedStyle(document.querySelector('.published')).fontFamily"
            )
            assert "Noto Serif" in font and "monospace" not in font
            assert page.inner_text(".published mark").endswith("0905 123 456")
            page.screenshot(path=str(SHOTS / f"approver-item-previews-{size}.png"), full_page=True)
            if size == "mobile":
                _no_horizontal_scroll(page)
    assert not csp, csp


#: findings of several kinds: coordinates, a phone number, a personal id number
FINDINGS_BODY = (
    "Đoàn khảo sát tại tọa độ 16.0544, 108.2022 ngày 01/03/2026.\n"
    "Liên hệ ông Nguyễn Văn A, điện thoại 0905 123 456, CCCD 048095001234.\n"
)
#: each cell of a finding: where it sits, its width and whether its text stays inside it
CELLS = """() => {
  const table = document.querySelector('table.findings');
  const rows = [...table.querySelectorAll('tbody tr')];
  return {
    row: getComputedStyle(rows[0]).display,
    head: table.querySelector('thead').getBoundingClientRect().height,
    cells: rows.flatMap((r) => [...r.children].map((c) => ({
      cls: c.className, width: c.getBoundingClientRect().width,
      overflows: c.scrollWidth > c.clientWidth + 1,
    }))),
    codes: [...table.querySelectorAll('code')].map((c) => c.getBoundingClientRect().right),
  };
}"""


def test_findings_are_stacked_cards_at_390_px_and_the_focus_ring_shows(live: Live) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    item_id = submit(live.rt, author="tac.gia", submission=Submission(
        title="Khảo sát hiện trường", channels=["website"], declared_level="cong_khai",
        body_text=FINDINGS_BODY))  # fmt: skip
    review_revision(live.rt, item_id)
    csp: list[str] = []
    with sync_playwright() as p:
        browser = _browser(p)
        page: Any = _login(browser, live.url, "bao.mat", "mobile", csp)
        page.goto(f"{live.url}/approvals/items/{item_id}")
        seen = page.evaluate(CELLS)
        _no_horizontal_scroll(page)
        assert seen["row"] in ("grid", "block"), seen  # each finding is a card
        assert seen["head"] <= 1, seen  # the column headings are for screen readers only
        texts = [c for c in seen["cells"] if c["cls"] in ("finding-text", "finding-excerpt")]
        assert len(texts) >= 4, seen  # several findings, each with its sentence and excerpt
        assert all(c["width"] >= 120 for c in texts), seen
        assert not [c for c in seen["cells"] if c["overflows"]], seen
        assert seen["codes"] and max(seen["codes"]) <= 390, seen  # rule ids wrap inside
        page.screenshot(path=str(SHOTS / "approver-findings-mobile.png"), full_page=True)
        # the focus ring: a keyboard user sees where they are (3px, the sheet's own)
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        ring = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; })()"
        )
        assert ring[1] == "solid" and ring[2] == "3px", ring
    assert not csp, csp
