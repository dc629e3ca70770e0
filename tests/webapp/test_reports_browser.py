"""The report page in headless Chromium as a leader sees it: both SVG charts are drawn (visible,
of non-zero size, with bars) at desktop width and at 390 px without horizontal scrolling, under
the enforced CSP. Screenshots go to a temporary folder (docs/screenshots/ is
scripts/screenshots.py's)."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from clearance.events import Event
from clearance.runtime import Runtime
from tests.webapp.conftest import settings_for
from tests.webapp.helpers import PASSWORD
from webapp import create_app

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
#: the tests' own shots (to look at after a run); docs/screenshots/ is scripts/screenshots.py's
SHOTS = Path(tempfile.gettempdir()) / "clearance-test-screenshots"
YEAR = datetime.now(UTC).year - 1  # a whole past year: every month has happened


def _seed(rt: Runtime) -> dict[str, int]:
    """Items over three months of YEAR: submitted, then published, blocked or sent back."""
    counts = {"submitted": 0, "published": 0, "blocked": 0, "sent_back": 0}
    fates = ["published", "published", "blocked", "sent_back"]
    for n in range(24):
        when = datetime(YEAR, 3 + n % 3, 2 + n, 3, tzinfo=UTC)
        item, fate = f"bar-{n}", fates[n % 4]
        body = {"author": "tac.gia", "channels": ["website"], "language": "vi",
                "themes": ["bien_dao"] if n % 2 else ["du_lich"],
                "versions": [{"language": "en"}] if n % 3 == 0 else []}  # fmt: skip
        events = [Event("item.submitted", "tac.gia", item, body=body)]
        if fate == "blocked":
            findings = [{"rule": "marking.mat", "severity": "block"}]
            events.append(Event("revision.screened", None, item,
                                body={"to": "blocked", "findings": findings}))  # fmt: skip
        else:
            events.append(Event("revision.screened", None, item, body={"to": "awaiting_signoff"}))
        with rt.sessions.begin() as session:
            rt.sink.append(session, events, now=when)
        later = when + timedelta(hours=6 + n)
        if fate == "published":
            events = [Event("revision.approved", "lanh.dao", item),
                      Event("publication.published", None, item, body={"channel": "website"})]  # fmt: skip
        else:
            events = (
                [Event("revision.changes_requested", "lanh.dao", item)]
                if fate == "sent_back"
                else []
            )
        if events:
            with rt.sessions.begin() as session:
                rt.sink.append(session, events, now=later)
        counts["submitted"] += 1
        counts[fate] += 1
    return counts


@pytest.fixture
def served(tmp_path: Path, template_home: Path) -> Iterator[tuple[str, dict[str, int]]]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    settings = settings_for(home)
    rt = Runtime.open(settings)
    counts = _seed(rt)
    httpd = make_server("127.0.0.1", 0, create_app(settings, runtime=rt), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", counts
    httpd.shutdown()
    rt.close()


CHART_FACTS = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const box = svg.getBoundingClientRect();
  const bars = [...svg.querySelectorAll('rect')].filter(r => {
    const b = r.getBoundingClientRect(); return b.width > 0 && b.height > 0; });
  const style = getComputedStyle(svg);
  return {label: svg.getAttribute('aria-label'), width: box.width, height: box.height,
          visible: style.visibility !== 'hidden' && style.display !== 'none',
          bars: bars.length, right: box.right};
})"""
SCROLL = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def test_the_charts_are_drawn_at_desktop_and_phone_widths(
    served: tuple[str, dict[str, int]],
) -> None:
    from playwright.sync_api import sync_playwright

    url, counts = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for width, shot in ((1280, "reports-desktop.png"), (390, "reports-mobile.png")):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if "Content Security Policy"
                    in m.text else None)  # fmt: skip
            page.goto(f"{url}/auth/login")
            page.fill("input[name=username]", "lanh.dao")
            page.fill("input[name=password]", PASSWORD)
            page.click("input[type=submit]")
            page.goto(f"{url}/reports/?period={YEAR}")
            page.wait_for_selector("svg.chart")
            charts: list[dict[str, Any]] = page.evaluate(CHART_FACTS)
            labels = {c["label"] for c in charts}
            assert labels == {"Kết quả theo tháng", "Thời gian xử lý theo bước"}, charts
            for chart in charts:
                assert chart["visible"] and chart["width"] > 100 and chart["height"] > 40, chart
                assert chart["right"] <= width, chart
            monthly = next(c for c in charts if c["label"] == "Kết quả theo tháng")
            # one bar segment per outcome and month that has any, plus the legend's swatches
            assert monthly["bars"] >= 3 * 3 + 5, monthly
            stages = next(c for c in charts if c["label"] == "Thời gian xử lý theo bước")
            assert stages["bars"] >= 2, stages
            scroll_width, client_width = page.evaluate(SCROLL)
            assert scroll_width <= client_width, f"horizontal scroll at {width} px"
            # the filters offer the themes and languages of the period's log, not the policy's
            themes = page.eval_on_selector_all(
                "select[name=theme] option", "os => os.map(o => o.value).filter(v => v)"
            )
            assert themes == ["bien_dao", "du_lich"], themes
            spoken = page.eval_on_selector_all(
                "select[name=language] option", "os => os.map(o => o.value).filter(v => v)"
            )
            assert spoken == ["en", "vi"], spoken
            shown = page.inner_text("main")
            assert str(counts["submitted"]) in shown
            page.screenshot(path=str(SHOTS / shot), full_page=True)
            context.close()
        browser.close()
    assert not errors, errors
