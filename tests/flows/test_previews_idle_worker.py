"""The running ``flows.task_worker`` gives an item its page images back by itself: nothing is
asked of it (no flow run, no CLI); while it has no review or publication to do it draws the
missing pages of the approver's preview (``flows.dispatch.IdleBackfill``)."""

from __future__ import annotations

import copy
import io
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from clearance.runtime import Runtime
from clearance.services.items import Submission, submit
from clearance.services.review import review_revision
from clearance.services.uploads import Upload
from clearance.storage.models import Revision
from flows.server import prefect_server, start_worker, stop
from tests.flows.conftest import CLEAN_BODY, make_settings
from tests.screening.corpus import pdf_pages

#: with the other server-starting tests on one xdist worker (see test_prefect_pipeline)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect_server")]


@pytest.fixture
def home(world_template: Path, tmp_path: Path) -> Iterator[tuple[Runtime, dict[str, str]]]:
    home = tmp_path / "home"
    shutil.copytree(world_template, home)
    settings = make_settings(home)
    env = {
        **os.environ,
        "CLEARANCE_HOME": str(home),
        "CLEARANCE_DATABASE_URL": settings.database_url,
        "CLEARANCE_ENV": "test",
        "CLEARANCE_LOG_ORIGIN": settings.log_origin,
        "CLEARANCE_SOCIAL_WEBHOOK_KEY": "test-webhook-key-0123456789abcdef",
    }
    env.pop("PREFECT_API_URL", None)
    rt = Runtime.open(settings)
    try:
        yield rt, env
    finally:
        rt.close()


def _entry(rt: Runtime, item_id: str) -> dict[str, object]:
    with rt.readers() as session:
        revision = session.scalars(select(Revision).where(Revision.item_id == item_id)).one()
        assert revision.screening is not None
        (entry,) = (p for p in revision.screening["parts"] if p.get("name") == "le-hoi.pdf")
        return dict(entry)


def _forget(rt: Runtime, item_id: str) -> None:
    with rt.uow() as uow:
        revision = uow.session.scalars(select(Revision).where(Revision.item_id == item_id)).one()
        screening = copy.deepcopy(revision.screening)
        assert screening is not None
        for entry in screening["parts"]:
            entry.pop("rendered", None)
        revision.screening = screening
        uow.commit()


def test_the_running_task_worker_draws_missing_page_images_by_itself(
    home: tuple[Runtime, dict[str, str]],
) -> None:
    rt, env = home
    pdf = pdf_pages([["Trang mot"], ["Trang hai"]])
    item_id = submit(rt, author="lan.nguyen", submission=Submission(
        title="Bản tin lễ hội", channels=["press"], declared_level="cong_khai",
        body_text=CLEAN_BODY, attachments=[Upload("le-hoi.pdf", io.BytesIO(pdf))]))  # fmt: skip
    review_revision(rt, item_id)
    drawn = _entry(rt, item_id)["rendered"]
    assert isinstance(drawn, dict) and len(drawn["page_png_sha256"]) == 2
    _forget(rt, item_id)
    assert "rendered" not in _entry(rt, item_id)
    with prefect_server(rt.settings) as pipeline:
        worker = start_worker(
            pipeline.api_url, pipeline.log_dir, module="flows.task_worker", env=env
        )
        try:
            deadline = time.monotonic() + 180
            while "rendered" not in _entry(rt, item_id) and time.monotonic() < deadline:
                assert worker.poll() is None, (pipeline.log_dir / "task_worker.log").read_text()
                time.sleep(0.5)
        finally:
            stop(worker)
    again = _entry(rt, item_id).get("rendered")
    assert isinstance(again, dict), "the worker did not draw the pages"
    assert again["of"] == drawn["of"]  # drawn from the derivative, as the review did
    pages = [rt.blobs.read(sha) for sha in again["page_png_sha256"]]
    assert len(pages) == 2 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pages)
