"""No item is lost when the review process dies: a real ``flows.task_worker`` is SIGKILLed in the
middle of its review batches; a new one reviews everything still waiting, each item recorded
once in the audit log."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearance.runtime import Runtime
from flows.server import prefect_server, start_worker, stop
from tests.flows.conftest import log_types, make_settings, submit_text

#: with the other server-starting tests on one xdist worker (see test_prefect_pipeline)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect_server")]

ITEMS = 40


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
        "CLEARANCE_REVIEW_BATCH": "4",
        "CLEARANCE_REVIEW_CONCURRENCY": "1",
    }
    env.pop("PREFECT_API_URL", None)
    rt = Runtime.open(settings)
    try:
        yield rt, env
    finally:
        rt.close()


def _waiting(rt: Runtime, items: list[str]) -> int:
    from sqlalchemy import func, select

    from clearance.storage.models import Item

    with rt.readers() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Item)
                .where(Item.id.in_(items), Item.state == "submitted")
            )
            or 0
        )


def test_items_survive_a_killed_review_worker(home: tuple[Runtime, dict[str, str]]) -> None:
    rt, env = home
    items = [submit_text(rt, title=f"Tin số {k}") for k in range(ITEMS)]  # no trigger needed
    with prefect_server(rt.settings) as pipeline:
        first = start_worker(
            pipeline.api_url, pipeline.log_dir, module="flows.task_worker", env=env
        )
        try:
            deadline = time.monotonic() + 120
            while _waiting(rt, items) == ITEMS and time.monotonic() < deadline:
                time.sleep(0.05)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        finally:
            stop(first)
        left = _waiting(rt, items)
        assert 0 < left < ITEMS, "the kill should land in the middle of the burst"

        second = start_worker(
            pipeline.api_url, pipeline.log_dir, module="flows.task_worker", env=env
        )
        try:
            deadline = time.monotonic() + 180
            while _waiting(rt, items) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            stop(second)
    assert _waiting(rt, items) == 0
    for item_id in items:
        assert log_types(rt, item_id).count("revision.screened") == 1
