"""The crawl of every role (``tests/webapp/crawl.py``) walked again in Chromium at 390 px: every
page fits the width without horizontal scrolling, the skip link is the first focusable element,
every control has a label, and axe-core reports no serious or critical violation.

axe-core is installed by ``scripts/setup.sh test`` under ``var/test-tools`` and evaluated in
the page through the DevTools protocol (the page's CSP forbids injected script tags)."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.webapp.crawl import ROLES, crawl, raw_ids, seed
from tests.webapp.helpers import PASSWORD
from webapp.context import runtime

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "var/test-tools/node_modules/axe-core/axe.min.js"
WIDTH = 390
SKIP_LINK = "Bỏ qua đến nội dung chính"
#: pages of one shape (ids and numbers aside) walked per role: enough for an item in each state
PER_SHAPE = 8
_SHAPE = re.compile(r"[0-9a-f]{16}|\d+")

#: one evaluation per page: width, the first focusable element, controls without a label
CHECKS = """() => {
  const focusable = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])'
  )].filter((e) => !e.disabled);
  const first = focusable[0];
  const unlabelled = [...document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea'
  )].filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
      && !e.getAttribute('aria-labelledby') && !e.getAttribute('title'))
    .map((e) => e.outerHTML.slice(0, 120));
  return {
    width: document.documentElement.scrollWidth,
    first: first ? first.textContent.trim() : null,
    unlabelled,
  };
}"""
AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
}"""


@pytest.fixture
def served(app: Flask) -> Iterator[tuple[str, dict[str | None, list[str]]]]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    seed(app)
    with app.app_context():
        ids = raw_ids(runtime().policy)
    urls: dict[str | None, list[str]] = {}
    for who in (None, *ROLES):
        shapes: Counter[str] = Counter()
        urls[who] = []
        for visit in crawl(app, who, ids):
            shape = _SHAPE.sub("#", visit.url)
            if visit.html and visit.status == 200 and shapes[shape] < PER_SHAPE:
                shapes[shape] += 1
                urls[who].append(visit.url)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", urls
    httpd.shutdown()


def test_every_page_fits_390_px_is_labelled_and_passes_axe(
    served: tuple[str, dict[str | None, list[str]]],
) -> None:
    from playwright.sync_api import sync_playwright

    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}); run scripts/setup.sh test")
    base, urls = served
    axe = AXE.read_text(encoding="utf-8")
    found: list[str] = []
    started = time.monotonic()
    walked = 0
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for who, pages in urls.items():
            context = chromium.new_context(viewport={"width": WIDTH, "height": 844})
            page = context.new_page()
            if who is not None:
                page.goto(f"{base}/auth/login")
                page.fill("input[name=username]", who)
                page.fill("input[name=password]", PASSWORD)
                page.click("input[type=submit]")
                page.wait_for_load_state()
            for url in pages:
                page.goto(base + url)
                walked += 1
                seen: dict[str, Any] = page.evaluate(CHECKS)
                where = f"{who} {url}"
                if seen["width"] > WIDTH:
                    found.append(f"{where}: {seen['width']} px wide")
                if seen["first"] != SKIP_LINK:
                    found.append(f"{where}: first focusable is {seen['first']!r}")
                found += [f"{where}: no label: {c}" for c in seen["unlabelled"]]
                page.evaluate(axe)
                found += [f"{where}: axe {v}" for v in page.evaluate(AXE_RUN)]
            context.close()
        chromium.close()
    elapsed = time.monotonic() - started
    assert walked > 40, walked  # the crawl is not vacuous
    assert not found, "\n".join(found)
    print(f"{walked} pages in {elapsed:.0f} s")
