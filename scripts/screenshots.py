"""Regenerate every screenshot in docs/screenshots/.

A fresh home is seeded with items in every state (the crawler's world: ``tests.webapp.crawl.seed``,
one place for the tests and the shots), the app is served on a free local port, and in Chromium
each role signs in and every page it reaches (the crawler's page list, one page per shape) is
captured at 1280 and 390 px in Vietnamese as ``<role>-<page>-{desktop,mobile}.png``. Then the
scenes (``SCENES``): pages no crawl reaches, played in the browser step by step: the first-run
setup of an empty home, the busy pre-check and signature, the 409 page of a stale decision form,
a full year's report and the published website. Shots the run no longer produces are deleted, so
the folder is exactly what the UI looks like now.

    make screenshots                                   # into docs/screenshots/
    .venv/bin/python scripts/screenshots.py --out DIR  # elsewhere (the slow test does this)
    .venv/bin/python scripts/screenshots.py --list     # the plan, no browser

Needs the test extras (``scripts/setup.sh test``: Playwright) and Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the checkout's packages (tests.webapp.crawl)
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
OUT = ROOT / "docs" / "screenshots"
#: the two widths: a desktop and a phone (390 px, the mobile target of the issue)
WIDTHS = {"desktop": (1280, 800), "mobile": (390, 844)}
#: who signs in (the crawler's users) -> the role in the file name; None: not signed in
ROLE_NAMES: dict[str | None, str] = {
    None: "public",
    "tac.gia": "author",
    "lanh.dao": "unit-head",
    "phat.ngon": "spokesperson",
    "bao.mat": "security-officer",
    "thu.truong": "agency-head",
    "kiem.toan": "auditor",
    "quan.tri": "admin",
}


#: blueprints named by the role already (``author-item-held``, not ``author-author-item-held``)
AREAS = ("author", "approvals", "audit", "admin")
#: parts of a page shot on their own as well: (role, page) -> (name, CSS selector)
PARTS: dict[tuple[str, str], tuple[str, str]] = {
    # the approver's diff view of a revised spreadsheet (its changed cells)
    ("unit-head", "item-revised"): ("item-revised-diff", "#changes"),
}


@dataclass(frozen=True, slots=True)
class Shot:
    role: str  # the file name's role
    who: str | None  # the user who signs in
    page: str  # the file name's page
    url: str
    part: str | None = None  # a CSS selector: only that element is shot

    def files(self) -> list[str]:
        return [f"{self.role}-{self.page}-{size}.png" for size in WIDTHS]


@dataclass
class Stage:
    """What a scene plays on: the signed-in page, the app's address, the world's runtime, the
    published website's address, and ``shoot(name)``: the page as it is now at every width."""

    page: Any
    base: str
    rt: Any
    site: str
    shoot: Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Scene:
    role: str  # the file name's role
    who: str | None  # the user who signs in first
    pages: tuple[str, ...]  # the file name's pages, in the order the scene shoots them
    play: Callable[[Stage], None]
    fresh: bool = False  # on an empty home of its own (only the first admin), not the world

    def files(self) -> list[str]:
        return [f"{self.role}-{page}-{size}.png" for page in self.pages for size in WIDTHS]


def _hold_submit(page: Any, form: str) -> None:
    """Keep the form on the page after the app's own handler ran: the state the user sees while
    the server works (the pre-check and the signature take seconds)."""
    page.evaluate(
        "(sel) => document.querySelector(sel).addEventListener('submit', (e) => e.preventDefault())",
        form,
    )


def _first_run(stage: Stage) -> None:
    from tests.webapp.helpers import PASSWORD, fill_roster

    page, base = stage.page, stage.base
    page.goto(f"{base}/admin/users")
    page.wait_for_selector("#single-admin")
    stage.shoot("first-run-users")
    page.click("#single-admin a.button")
    fill_roster(page)
    stage.shoot("first-run-roster")
    page.click("input[name=review]")
    page.wait_for_selector("input[name=password]")
    stage.shoot("first-run-review")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[name=submit]")
    page.wait_for_selector("td code")
    stage.shoot("first-run-done")


def _precheck_busy(stage: Stage) -> None:
    page = stage.page
    page.goto(f"{stage.base}/author/submit")
    page.fill("input[name=title]", "Lễ hội mùa xuân")
    page.fill("textarea[name=body]", "Thông cáo báo chí về lễ hội mùa xuân.")
    page.check("input[name=channels][value=website]")
    page.select_option("select[name=declared_level]", "cong_khai")
    _hold_submit(page, "form[data-busy]")
    page.click("input[name=precheck]")
    page.wait_for_selector(".busy-status[role=status]", state="visible")
    stage.shoot("submit-busy")


def _signing_busy_and_conflict(stage: Stage) -> None:
    from tests.webapp.helpers import PASSWORD, add_person, submit_reviewed

    page, rt = stage.page, stage.rt
    busy = submit_reviewed(rt, "tac.gia", "Thông cáo về lễ hội hoa")
    page.goto(f"{stage.base}/approvals/items/{busy}")
    page.wait_for_selector("form.decision")
    page.select_option("select[name=decision]", "approve")
    page.fill("input[name=password]", PASSWORD)
    _hold_submit(page, "form.decision")
    page.click("form.decision input[type=submit]")
    page.wait_for_selector(".busy-status[role=status]", state="visible")
    stage.shoot("item-signing-busy")
    # a stale decision form: another unit head closes the stage while this page is open
    from clearance.services.signoff import decide

    add_person(rt, "lanh.dao.2", "approver", "vp", "unit_head")
    stale = submit_reviewed(rt, "tac.gia", "Thông báo lịch tiếp công dân")
    page.goto(f"{stage.base}/approvals/items/{stale}")
    page.wait_for_selector("form.decision")
    decide(rt, item_id=stale, approver="lanh.dao.2", password=PASSWORD, decision="approve")
    page.select_option("select[name=decision]", "reject")
    page.fill("textarea[name=comment]", "Chưa đủ căn cứ để đăng.")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.decision input[type=submit]")
    page.wait_for_selector("#kept-text")
    stage.shoot("item-conflict")


def _year_report(stage: Stage) -> None:
    from datetime import UTC, datetime

    stage.page.goto(f"{stage.base}/reports/?period={datetime.now(UTC).year}")
    stage.page.wait_for_selector("svg.chart")
    stage.shoot("reports-year")


def _public_site(stage: Stage) -> None:
    page = stage.page
    page.goto(f"{stage.site}/index.html")
    page.wait_for_selector("a[href^='items/']")
    stage.shoot("site-home")
    page.click("a[href^='items/']")
    page.wait_for_load_state()
    stage.shoot("site-item")


#: pages no crawl reaches, each played in the browser (one place: the test's EXPECTED names them)
SCENES: tuple[Scene, ...] = (
    Scene(
        "admin",
        "quan.tri",
        ("first-run-users", "first-run-roster", "first-run-review", "first-run-done"),
        _first_run,
        fresh=True,
    ),
    Scene("author", "tac.gia", ("submit-busy",), _precheck_busy),
    Scene(
        "unit-head", "lanh.dao", ("item-signing-busy", "item-conflict"), _signing_busy_and_conflict
    ),
    Scene("unit-head", "lanh.dao", ("reports-year",), _year_report),
    Scene("public", None, ("site-home", "site-item"), _public_site),
)


def page_name(endpoint: str, args: Mapping[str, object], states: Mapping[str, str]) -> str:
    """A file name for a page: its endpoint (``approvals.item`` -> ``item``, ``reports.index``
    -> ``reports``, ``approvals.queue_page`` -> ``queue``) and, for an item's pages, the state
    the item was seeded in (``item-changes-requested``)."""
    area, _, view = endpoint.rpartition(".")
    view = view.removesuffix("_page")
    words = [w for w in ("" if area in AREAS else area, view) if w and w != "index"] or ["home"]
    item = args.get("item_id")
    if isinstance(item, str):
        words.append(states.get(item, "item"))
    return "-".join(words).replace("_", "-").replace("--", "-")


def plan(app: Flask) -> list[Shot]:
    """Seed the world and crawl it per role: one shot per (role, page), a page being an
    endpoint (and the seeded state of its item), as the crawler reached it first."""
    from tests.webapp.crawl import ROLES, crawl, raw_ids, seed
    from webapp.context import runtime

    items = seed(app)
    states = {item_id: state for state, item_id in items.items()}
    urls = app.url_map.bind("localhost")
    with app.app_context():
        ids = raw_ids(runtime().policy)
    shots: list[Shot] = []
    for who in (None, *ROLES):
        role = ROLE_NAMES[who]
        seen: set[str] = set()
        for visit in crawl(app, who, ids):
            if not (visit.html and visit.status == 200):
                continue
            endpoint, args = urls.match(visit.url.split("?", 1)[0], method="GET")
            name = page_name(str(endpoint), args, states)
            if name in seen:
                continue
            seen.add(name)
            shots.append(Shot(role, who, name, visit.url))
            if (role, name) in PARTS:
                part_name, selector = PARTS[(role, name)]
                shots.append(Shot(role, who, part_name, visit.url, selector))
    return shots


@contextmanager
def demo_app(home: Path) -> Iterator[Flask]:
    """A fresh home with every role and their keys (the web tests' world) and its app."""
    from tests.webapp.conftest import build_world, settings_for
    from webapp import create_app
    from webapp.security import LoginLimiter

    settings = settings_for(home)
    rt = build_world(settings)
    try:
        app = create_app(settings, runtime=rt)
        app.config.update(TESTING=True)
        # Every sign-in of this run comes from 127.0.0.1: the crawler's (one per role) and the
        # browser's (one per role and width), more than the product's 30 per address in 5
        # minutes when the machine is fast (the run then met "429 Quá nhiều lần thử"). This demo
        # app alone gets a limit that covers the run; the product's limit is unchanged.
        app.extensions["clearance.login_limiter"] = LoginLimiter(per_address=10_000)
        yield app
    finally:
        rt.close()


@contextmanager
def fresh_app(home: Path) -> Iterator[Flask]:
    """An empty home: only the first administrator (the first-run setup's world)."""
    from clearance.services import users as user_service
    from tests.webapp.conftest import init_home, settings_for
    from tests.webapp.helpers import PASSWORD
    from webapp import create_app

    settings = settings_for(home)
    rt = init_home(settings)
    try:
        user_service.add_user(rt, actor=None, username="quan.tri", roles=["admin"],
                              password=PASSWORD)  # fmt: skip
        app = create_app(settings, runtime=rt)
        app.config.update(TESTING=True)
        yield app
    finally:
        rt.close()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def served_site(app: Flask) -> Iterator[str]:
    """The published website's folder as a reader's web server serves it."""
    from webapp.context import RUNTIME_KEY

    settings = app.extensions[RUNTIME_KEY].settings
    site = settings.site_dir or settings.home / "site"
    site.mkdir(parents=True, exist_ok=True)
    files = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietFiles, directory=str(site)))
    thread = threading.Thread(target=files.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{files.server_port}"
    finally:
        files.shutdown()


@contextmanager
def served(app: Flask) -> Iterator[str]:
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()


#: lazy images (page images below the fold) loaded before the shot, so none shows empty
EAGER = """async () => {
  const images = [...document.images];
  images.forEach((i) => { i.loading = 'eager'; });
  await Promise.all(images.filter((i) => !i.complete)
    .map((i) => new Promise((done) => { i.onload = done; i.onerror = done; })));
}"""


def _sign_in(page: Any, base: str, who: str, password: str) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", password)
    with page.expect_navigation(timeout=120_000):  # the sign-in's answer, not the form again
        page.click("input[type=submit]")


def capture(base: str, shots: Sequence[Shot], out: Path, password: str) -> list[Path]:
    """Every shot at every width into ``out``; returns the files written."""
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for size, (width, height) in WIDTHS.items():
                for who in dict.fromkeys(s.who for s in shots):
                    context = chromium.new_context(
                        viewport={"width": width, "height": height}, locale="vi-VN"
                    )
                    page = context.new_page()
                    if who is not None:
                        _sign_in(page, base, who, password)
                    for shot in (s for s in shots if s.who == who):
                        page.goto(base + shot.url, wait_until="load")
                        if who is not None and "/auth/login" in page.url:
                            # the session ended meanwhile (idle or renewed): sign in again
                            print(f"signed in again as {who} for {shot.url}", file=sys.stderr)
                            _sign_in(page, base, who, password)
                            page.goto(base + shot.url, wait_until="load")
                        if who is not None and "/auth/login" in page.url:
                            raise SystemExit(f"{who} cannot open {shot.url}: signed out")
                        page.evaluate(EAGER)
                        target = out / f"{shot.role}-{shot.page}-{size}.png"
                        if shot.part:
                            page.locator(shot.part).screenshot(path=str(target))
                        else:
                            page.screenshot(path=str(target), full_page=True)
                        written.append(target)
                    context.close()
        finally:
            chromium.close()
    return written


def play(
    base: str, site: str, rt: Any, scenes: Sequence[Scene], out: Path, password: str
) -> list[Path]:
    """Each scene once in a Vietnamese browser; each of its shots at every width (the page is
    resized in place, so a state held on the page, a busy form, is shot as it is)."""
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    first = next(iter(WIDTHS.values()))
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for scene in scenes:
                width, height = first
                context = chromium.new_context(
                    viewport={"width": width, "height": height}, locale="vi-VN"
                )
                page = context.new_page()
                if scene.who is not None:
                    _sign_in(page, base, scene.who, password)

                def shoot(name: str, scene: Scene = scene, page: Any = page) -> None:
                    assert name in scene.pages, (name, scene.pages)
                    for size, (w, h) in WIDTHS.items():
                        page.set_viewport_size({"width": w, "height": h})
                        page.evaluate(EAGER)
                        target = out / f"{scene.role}-{name}-{size}.png"
                        page.screenshot(path=str(target), full_page=True)
                        written.append(target)
                    page.set_viewport_size({"width": first[0], "height": first[1]})

                scene.play(Stage(page, base, rt, site, shoot))
                context.close()
        finally:
            chromium.close()
    return written


def remove_stale(out: Path, kept: Sequence[Path]) -> list[Path]:
    """Delete the PNGs in ``out`` this run did not produce."""
    keep = {p.name for p in kept}
    stale = [p for p in out.glob("*.png") if p.name not in keep]
    for p in stale:
        p.unlink()
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the shots")
    parser.add_argument("--list", action="store_true", help="print the plan, take no shot")
    parser.add_argument("--scenes-only", action="store_true",
                        help="only the scenes (nothing stale is removed)")  # fmt: skip
    args = parser.parse_args(argv)
    if not args.list and not Path(CHROMIUM).exists():
        parser.error(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    from tests.passwords import use_cheap_hashing
    from tests.webapp.helpers import PASSWORD
    from webapp.context import RUNTIME_KEY

    use_cheap_hashing()  # the worlds are thrown away after the run
    started = time.monotonic()
    written: list[Path] = []
    with (
        tempfile.TemporaryDirectory(prefix="clearance-shots-") as tmp,
        demo_app(Path(tmp) / "home") as app,
    ):
        shots = [] if args.scenes_only else plan(app)
        if args.scenes_only:
            from tests.webapp.crawl import seed

            seed(app)
        if args.list:
            for shot in shots:
                print(f"{shot.role}-{shot.page}\t{shot.url}")
            for scene in SCENES:
                for name in scene.pages:
                    print(f"{scene.role}-{name}\t(scene)")
            return 0
        rt = app.extensions[RUNTIME_KEY]
        with served(app) as base, served_site(app) as site:
            written += capture(base, shots, args.out, PASSWORD)
            world = [scene for scene in SCENES if not scene.fresh]
            written += play(base, site, rt, world, args.out, PASSWORD)
        with fresh_app(Path(tmp) / "fresh") as empty, served(empty) as base:
            first_run = [scene for scene in SCENES if scene.fresh]
            written += play(base, "", empty.extensions[RUNTIME_KEY], first_run, args.out,
                            PASSWORD)  # fmt: skip
    pages = len(shots) + sum(len(scene.pages) for scene in SCENES)
    stale = [] if args.scenes_only else remove_stale(args.out, written)
    print(
        f"{len(written)} screenshots of {pages} pages in {args.out} "
        f"({len(stale)} stale removed) in {time.monotonic() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
