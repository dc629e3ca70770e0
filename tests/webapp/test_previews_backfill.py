"""Items reviewed before page images existed get them from the background backfill
(``clearance.services.previews.backfill_pages``: the scheduled ``previews-backfill`` flow and
``clearance previews backfill``), never from a web request: meanwhile the approver's page says
the images are being made and shows the text."""

from __future__ import annotations

import copy
import re

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from clearance.runtime import Runtime
from clearance.screening import render
from clearance.services.previews import Backfill, backfill_pages
from clearance.settings import Settings
from clearance.storage.models import Revision
from tests.screening.corpus import pdf_pages
from tests.webapp.helpers import browser
from tests.webapp.test_story import submit

PAGE_IMG = re.compile(r'<img src="([^"]+/pages/(\d+))" alt="([^"]*)"')
PENDING = "Đang tạo ảnh trang…"


def forget_pages(rt: Runtime, item_id: str) -> None:
    """The item as a review before page images recorded it: no ``rendered`` in its entries."""
    with rt.uow() as uow:
        revision = uow.session.scalars(
            select(Revision).where(Revision.item_id == item_id).order_by(Revision.number.desc())
        ).first()
        assert revision is not None and revision.screening is not None
        screening = copy.deepcopy(revision.screening)
        for entry in screening["parts"]:
            entry.pop("rendered", None)
        revision.screening = screening
        uow.commit()


def no_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a page was drawn while serving a request")

    monkeypatch.setattr(render, "_draw", refuse)
    monkeypatch.setattr(render, "_soffice_pdf", refuse)


def test_missing_page_images_come_back_from_the_backfill_never_from_a_request(
    app: Flask, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = submit(app, files={"le-hoi.pdf": pdf_pages([["Trang mot"], ["Trang hai"]])})
    approver = browser(app, "lanh.dao")
    assert len(PAGE_IMG.findall(approver.get(f"/approvals/items/{item_id}").get_data(True))) == 2
    forget_pages(rt, item_id)
    with monkeypatch.context() as during_request:
        no_drawing(during_request)
        html = approver.get(f"/approvals/items/{item_id}").get_data(as_text=True)
    assert PENDING in html and not PAGE_IMG.findall(html)
    assert backfill_pages(rt) == Backfill(drawn=1, failed=0, more=False)
    with monkeypatch.context() as during_request:
        no_drawing(during_request)
        html = approver.get(f"/approvals/items/{item_id}").get_data(as_text=True)
        images = PAGE_IMG.findall(html)
        assert [number for _url, number, _alt in images] == ["1", "2"]
        for url, _number, _alt in images:
            response = approver.client.get(url.replace("&amp;", "&"))
            assert response.status_code == 200 and response.mimetype == "image/png"
    assert PENDING not in html
    assert backfill_pages(rt) == Backfill(drawn=0, failed=0, more=False)  # nothing left


def test_a_document_that_cannot_be_drawn_is_marked_once_and_keeps_its_download(
    app: Flask, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = submit(app, files={"le-hoi.pdf": pdf_pages([["Trang mot"]])})
    forget_pages(rt, item_id)

    def unavailable(*_args: object, **_kwargs: object) -> None:
        raise render.RenderUnavailable("pdftoppm is not installed")

    with monkeypatch.context() as broken:
        broken.setattr(render, "_draw", unavailable)
        assert backfill_pages(rt) == Backfill(drawn=0, failed=1, more=False)
    assert backfill_pages(rt) == Backfill(drawn=0, failed=0, more=False)  # not tried again
    html = browser(app, "lanh.dao").get(f"/approvals/items/{item_id}").get_data(as_text=True)
    assert PENDING not in html and not PAGE_IMG.findall(html)
    assert re.search(r'href="/items/[^"]+/r/1/parts/\d+"', html), html  # the download stays


def test_the_backfill_stops_at_its_limit_and_the_cli_finishes_it(
    app: Flask, rt: Runtime, web_settings: Settings
) -> None:
    from cli import main

    items = [submit(app, title=f"Tin {n}", files={"tin.pdf": pdf_pages([[f"Tin {n}"]])})
             for n in range(3)]  # fmt: skip
    for item_id in items:
        forget_pages(rt, item_id)
    assert backfill_pages(rt, limit=1) == Backfill(drawn=1, failed=0, more=True)
    env = {
        "CLEARANCE_HOME": str(web_settings.home),
        "CLEARANCE_DATABASE_URL": web_settings.database_url,
        "CLEARANCE_ENV": "test",
        "CLEARANCE_LOG_ORIGIN": "test.clearance.local/log",
        "CLEARANCE_SITE_DIR": str(web_settings.home / "site"),
    }
    result = CliRunner(env=env).invoke(main, ["previews", "backfill"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 document(s) drawn, 0 could not be drawn; none missing" in result.output
    html = browser(app, "lanh.dao").get(f"/approvals/items/{items[-1]}").get_data(as_text=True)
    assert len(PAGE_IMG.findall(html)) == 1


def _queue_item(rt: Runtime) -> str:
    """An item submitted and not yet reviewed: work waiting for the task worker."""
    from clearance.services.items import Submission
    from clearance.services.items import submit as core_submit

    return core_submit(rt, author="tac.gia", submission=Submission(
        title="Tin chờ", channels=["website"], declared_level="cong_khai", body_text="Tin chờ."))  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_idle_worker_draws_missing_page_images_only_while_nothing_waits(
    app: Flask, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clearance.services.review import review_revision
    from flows.dispatch import IdleBackfill

    item_id = submit(app, files={"le-hoi.pdf": pdf_pages([["Trang mot"], ["Trang hai"]])})
    forget_pages(rt, item_id)
    waiting = _queue_item(rt)
    clock = Clock()
    idle = IdleBackfill(rt, limit=1, batch=1, rest=600.0, clock=clock)
    assert idle.step() is None  # a submission waits for review: no drawing
    approver = browser(app, "lanh.dao")
    with monkeypatch.context() as during_request:
        no_drawing(during_request)
        assert PENDING in approver.get(f"/approvals/items/{item_id}").get_data(as_text=True)
    review_revision(rt, waiting)  # the review dispatcher did its work: the worker is idle
    steps = []
    while (progress := idle.step()) is not None:
        steps.append(progress)
    assert sum(p.drawn for p in steps) == 1 and steps[-1].after is None
    assert all(p.drawn + p.failed <= 1 for p in steps)  # bounded: one document a step
    with monkeypatch.context() as during_request:
        no_drawing(during_request)
        html = approver.get(f"/approvals/items/{item_id}").get_data(as_text=True)
    assert [n for _url, n, _alt in PAGE_IMG.findall(html)] == ["1", "2"] and PENDING not in html
    forget_pages(rt, item_id)
    assert idle.step() is None  # the pass is over: it rests CLEARANCE_PREVIEWS_INTERVAL
    clock.now += 601
    while (progress := idle.step()) is not None and progress.after is not None:
        pass
    html = approver.get(f"/approvals/items/{item_id}").get_data(as_text=True)
    assert len(PAGE_IMG.findall(html)) == 2  # the next pass drew it again


def test_the_idle_backfill_on_postgresql_one_worker_draws_at_a_time(
    pg_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.dispatch import PREVIEWS_LOCK_NAMESPACE, IdleBackfill, claims_for
    from webapp.context import RUNTIME_KEY

    rt: Runtime = pg_app.extensions[RUNTIME_KEY]
    items = [submit(pg_app, title=f"Tin {n}", files={"tin.pdf": pdf_pages([[f"Tin {n}"]])})
             for n in range(2)]  # fmt: skip
    for item_id in items:
        forget_pages(rt, item_id)
    first = IdleBackfill(rt, limit=1, claims=claims_for(rt, PREVIEWS_LOCK_NAMESPACE))
    second = IdleBackfill(rt, limit=1, claims=claims_for(rt, PREVIEWS_LOCK_NAMESPACE))
    try:
        assert first.claims.take(["previews-backfill"]) == ["previews-backfill"]
        assert second.step() is None  # the first holds the step: the second does not draw
        first.claims.release(["previews-backfill"])
        progress = second.step()
        assert progress is not None and progress.drawn == 1
        progress = first.step()
        assert progress is not None and progress.drawn == 1
        assert backfill_pages(rt) == Backfill(drawn=0, failed=0, more=False)  # none left
    finally:
        first.claims.close()
        second.claims.close()
    approver = browser(pg_app, "lanh.dao")
    with monkeypatch.context() as during_request:
        no_drawing(during_request)
        for item_id in items:
            html = approver.get(f"/approvals/items/{item_id}").get_data(as_text=True)
            assert len(PAGE_IMG.findall(html)) == 1 and PENDING not in html
