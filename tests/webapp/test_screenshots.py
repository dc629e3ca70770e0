"""scripts/screenshots.py, the one producer of docs/screenshots/: its page names, and (slow) a
whole run into a temporary folder: one PNG per (role, page, width), each as wide as its screen
(a full-page shot wider than 390 px is a page that scrolls sideways), stale shots removed."""

from __future__ import annotations

import struct
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from scripts.screenshots import CHROMIUM, ROLE_NAMES, SCENES, WIDTHS, page_name

ROOT = Path(__file__).resolve().parents[2]
#: pages the documentation must show whatever else the crawl finds
EXPECTED = {
    "public-auth-login",
    "author-my-items",
    "author-submit",
    "author-item-revised",
    "author-revise-changes-requested",
    "unit-head-queue",
    "unit-head-decided",
    "unit-head-all-items",
    "unit-head-item-held",
    "unit-head-item-revised",
    "unit-head-item-revised-diff",
    "security-officer-item-blocked",
    "auditor-log",
    "auditor-verify",
    "auditor-item-approved",
    "admin-users",
    "admin-user",
    "admin-publications",
    # the scenes (scripts/screenshots.py SCENES): pages no crawl reaches
    "admin-first-run-users",
    "admin-first-run-roster",
    "admin-first-run-review",
    "admin-first-run-done",
    "author-submit-busy",
    "unit-head-item-signing-busy",
    "unit-head-item-conflict",
    "unit-head-reports-year",
    "public-site-home",
    "public-site-item",
}


def test_a_page_is_named_by_its_endpoint_and_its_item_state() -> None:
    states = {"a1b2c3d4e5f60718": "changes_requested"}
    assert page_name("approvals.item", {"item_id": "a1b2c3d4e5f60718"}, states) == (
        "item-changes-requested"
    )
    assert page_name("approvals.queue_page", {}, states) == "queue"
    assert page_name("i18n.index", {}, states) == "i18n"
    assert page_name("reports.index", {}, states) == "reports"
    assert page_name("admin.user", {"username": "lanh.dao"}, states) == "user"
    assert page_name("auth.login", {}, states) == "auth-login"
    assert page_name("audit.item", {"item_id": "ffffffffffffffff"}, states) == "item-item"


def test_every_scene_is_a_page_the_documentation_must_show() -> None:
    scenes = [f"{scene.role}-{page}" for scene in SCENES for page in scene.pages]
    assert len(scenes) == len(set(scenes))  # one file name per shot
    assert set(scenes) <= EXPECTED, sorted(set(scenes) - EXPECTED)
    assert {"admin-first-run-roster", "author-submit-busy", "unit-head-item-conflict",
            "unit-head-reports-year", "public-site-item"} <= set(scenes)  # fmt: skip


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.slow
def test_the_script_shoots_every_page_of_every_role_at_both_widths(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    out = tmp_path / "shots"
    out.mkdir()
    (out / "author-gone-desktop.png").write_bytes(b"\x89PNG\r\n\x1a\nstale")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshots.py"), "--out", str(out)],
        capture_output=True, text=True, timeout=1800, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert not (out / "author-gone-desktop.png").exists()  # stale: removed
    sizes: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for shot in out.iterdir():
        assert shot.suffix == ".png", shot
        page, _, size = shot.stem.rpartition("-")
        assert size in WIDTHS, shot.name
        sizes[page][size] = png_size(shot)
    assert set(sizes) >= EXPECTED, sorted(EXPECTED - set(sizes))
    assert {page.split("-", 1)[0] for page in sizes} >= {"public", "author", "auditor", "admin"}
    for role in ROLE_NAMES.values():
        assert any(page.startswith(role + "-") for page in sizes), role
    for page, shots in sizes.items():
        assert set(shots) == set(WIDTHS), (page, shots)  # one per width
        for size, (width, height) in shots.items():
            screen = WIDTHS[size][0]
            if page.endswith("-diff"):  # a part of a page: within the screen
                assert 0 < width <= screen, (page, size, width)
            else:  # a whole page, no wider than the screen (nothing scrolls sideways)
                assert width == screen, (page, size, width)
            assert height > 100, (page, size, height)
    assert f"{2 * len(sizes)} screenshots" in done.stdout, done.stdout
