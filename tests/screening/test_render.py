"""Render and compare: LibreOffice really renders the document, poppler reads each page; a marking
only the rendered view shows blocks with its page, benign rendered-only text stays clear, and a
document that cannot be rendered is held (uninspected), never cleared."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, Verdict, screen_file, screen_file_isolated
from clearance.screening.engine import UNINSPECTED_RULE
from clearance.screening.filetype import DOCX
from clearance.screening.render import driver_directory, render_pages
from clearance.screening.rendercheck import RENDERED_PART
from tests.screening import corpus as c
from tests.screening import corpus_render as cr

pytestmark = pytest.mark.slow  # LibreOffice runs
FEW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LEVELS = {"MẬT": "mat", "TỐI MẬT": "toi_mat", "TUYỆT MẬT": "tuyet_mat"}


def test_render_pages_gives_pdf_text_and_png_per_page() -> None:
    rendering = render_pages(cr.five_page_docx(), DOCX)
    assert rendering.pdf_bytes.startswith(b"%PDF-")
    assert len(rendering.page_texts) == 5
    assert len(rendering.page_pngs) == 5
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in rendering.page_pngs)
    assert "Trang 3, mục 0" in rendering.page_texts[2]


@FEW
@given(stamp=st.sampled_from(sorted(LEVELS)), pages=st.integers(1, 3))
def test_a_marking_only_the_rendered_page_shows_blocks_with_its_page(
    rules: ScreeningRules, stamp: str, pages: int
) -> None:
    result = screen_file(cr.numbered_docx(stamp, pages=pages), "cong-van.docx", rules)
    assert result.verdict is Verdict.BLOCKED
    assert result.level == LEVELS[stamp]
    (found,) = [f for f in result.findings if f.rule.startswith("marking.")]
    assert found.part == RENDERED_PART
    assert found.location.startswith(f"page {pages}")
    assert [x.part for x in result.coverage if x.method == "render"] == [
        f"{RENDERED_PART} page {n}" for n in range(1, pages + 1)
    ]


@pytest.mark.parametrize(
    "label", ["Mục %1:", "%1.", "Mật ong %1:", "Độ mật: Thường %1", "Honey %1."]
)
def test_benign_rendered_only_text_stays_clear(rules: ScreeningRules, label: str) -> None:
    result = screen_file(cr.numbered_docx(label, text="Số 12/UBND-VP"), "ke-hoach.docx", rules)
    assert result.verdict is not Verdict.BLOCKED
    assert not [f for f in result.findings if f.part == RENDERED_PART]
    assert any(x.method == "render" for x in result.coverage)


def test_without_libreoffice_the_rendered_view_is_held(
    rules: ScreeningRules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine where LibreOffice is not installed
    result = screen_file(c.docx([c.para(c.run("Lễ hội du lịch biển"))]), "tin.docx", rules)
    assert result.verdict is Verdict.REVIEW
    (unread,) = [f for f in result.findings if f.rule == UNINSPECTED_RULE]
    assert unread.part == RENDERED_PART
    assert "not installed" in unread.message


def _driver_state() -> dict[str, int]:
    directory = driver_directory()
    assert directory is not None
    state = directory / "driver.json"
    loaded: dict[str, int] = json.loads(state.read_text(encoding="utf-8"))
    return loaded


def test_the_warm_renderer_restarts_libreoffice_after_a_crash(rules: ScreeningRules) -> None:
    secret = cr.numbered_docx("TUYỆT MẬT", pages=2)
    assert screen_file(secret, "a.docx", rules).verdict is Verdict.BLOCKED
    before = _driver_state()
    os.killpg(before["office_group"], signal.SIGKILL)  # LibreOffice crashed on some document
    time.sleep(0.2)
    again = screen_file(secret, "a.docx", rules)
    assert again.verdict is Verdict.BLOCKED
    assert [f.location for f in again.findings if f.part == RENDERED_PART] == ["page 2, line 1"]
    after = _driver_state()
    assert after["driver"] == before["driver"]  # the driver survived, LibreOffice was restarted
    assert after["office_group"] != before["office_group"]


def test_isolated_children_render_in_the_warm_renderer(rules: ScreeningRules) -> None:
    secret = cr.numbered_docx("TỐI MẬT", pages=1)
    screen_file(secret, "warm.docx", rules)  # the warm renderer is up
    before = _driver_state()
    result = screen_file_isolated(secret, "a.docx", rules)
    after = _driver_state()  # the same warm LibreOffice converted it for the capped child
    assert after["office_group"] == before["office_group"]
    assert after["conversions"] > before["conversions"]
    assert result.verdict is Verdict.BLOCKED
    assert result.to_json() == screen_file(secret, "a.docx", rules).to_json()
