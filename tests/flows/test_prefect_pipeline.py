"""End to end on a real local Prefect server: ``pipeline_running`` starts ``prefect server
start`` (SQLite under the test home), the scheduled-flows worker and the dispatchers' worker
(``flows.task_worker``); the triggers the CLI and web UI call drive an item from submission to
publication."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearance.runtime import Runtime
from clearance.services.items import load_item
from flows.server import Pipeline, pipeline_running
from flows.trigger import Mode, after_signoff, after_submit
from tests.flows.conftest import SECRET_BODY, approve_fully, log_types, make_settings, submit_text

#: every test that starts a Prefect server runs on one xdist worker, one server at a time
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect_server")]


@pytest.fixture(scope="module")
def live(
    world_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Runtime, Pipeline]]:
    home = tmp_path_factory.mktemp("live") / "home"
    shutil.copytree(world_template, home)
    settings = make_settings(home)
    env = {
        "CLEARANCE_HOME": str(home),
        "CLEARANCE_DATABASE_URL": settings.database_url,
        "CLEARANCE_ENV": "test",
        "CLEARANCE_LOG_ORIGIN": settings.log_origin,
        "CLEARANCE_SOCIAL_WEBHOOK_KEY": "test-webhook-key-0123456789abcdef",
    }
    saved = {k: os.environ.get(k) for k in [*env, "PREFECT_API_URL"]}
    os.environ.update(env)
    os.environ.pop("PREFECT_API_URL", None)
    rt = Runtime.open(settings)
    try:
        with pipeline_running(settings) as pipeline:
            yield rt, pipeline
    finally:
        rt.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _wait_state(rt: Runtime, item: str, leaving: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with rt.sessions() as session:
            state = load_item(session, item).state
        if state != leaving:
            return state
        time.sleep(0.1)
    return leaving


def test_server_state_lives_under_clearance_home(live: tuple[Runtime, Pipeline]) -> None:
    rt, pipeline = live
    assert pipeline.embedded and pipeline.api_url.startswith("http://127.0.0.1:")
    assert (rt.settings.home / "prefect" / "prefect.db").is_file()


def test_submission_to_publication_through_prefect(live: tuple[Runtime, Pipeline]) -> None:
    rt, _ = live
    item = submit_text(rt)
    started = after_submit(rt, item)
    assert started.mode is Mode.PREFECT
    assert _wait_state(rt, item, "submitted") == "awaiting_signoff"
    approve_fully(rt, item)
    started = after_signoff(rt, item)
    assert started.mode is Mode.PREFECT  # nothing sent: the dispatcher takes it
    assert _wait_state(rt, item, "approved") == "published"
    body = (rt.settings.published_dir / "items" / item / "files" / "body.txt").read_bytes()
    assert "Nhật Bản".encode() in body
    assert log_types(rt, item).count("publication.published") == 1
    assert _flow_run_names("publish-batch-" + item)  # Prefect recorded the publish-batch run


def _flow_run_names(prefix: str) -> list[str]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    from flows.trigger import prefect_settings

    async def read() -> list[str]:
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=prefix)),
                sort=FlowRunSort.START_TIME_DESC,
                limit=50,
            )
        return [r.name for r in runs if r.name.startswith(prefix)]

    with prefect_settings():
        return asyncio.run(read())


def test_blocked_item_is_never_offered_for_publication_and_reaches_no_channel(
    live: tuple[Runtime, Pipeline],
) -> None:
    rt, _ = live
    item = submit_text(rt, SECRET_BODY, title="Kế hoạch")
    after_submit(rt, item)
    assert _wait_state(rt, item, "submitted") == "blocked"
    assert after_signoff(rt, item).mode is Mode.PREFECT
    time.sleep(1.0)  # five sweeps of the publication dispatcher
    assert not (rt.settings.published_dir / "items" / item).exists()
    assert "publication.published" not in log_types(rt, item)


def test_review_batch_flow_isolates_a_failing_item(live: tuple[Runtime, Pipeline]) -> None:
    from flows.pipeline import review_batch
    from flows.trigger import prefect_settings

    rt, _ = live
    good = [submit_text(rt, title=f"Tin lô {k}") for k in range(2)]
    with prefect_settings():
        result = review_batch([good[0], "no-such-item", good[1]])
    assert sorted(r.item_id for r in result.reviewed) == sorted(good)
    assert [f.item_id for f in result.failed] == ["no-such-item"]
    for item in good:
        assert _wait_state(rt, item, "submitted") == "awaiting_signoff"
        assert log_types(rt, item).count("revision.screened") == 1


def test_waiting_items_are_picked_up_without_a_trigger(live: tuple[Runtime, Pipeline]) -> None:
    """A submission whose trigger never ran (the web process died right after the commit) is
    still reviewed: the dispatcher reads what waits from the core's database."""
    rt, _ = live
    items = [submit_text(rt, title=f"Không kích hoạt {k}") for k in range(3)]
    assert [_wait_state(rt, item, "submitted") for item in items] == ["awaiting_signoff"] * 3


def test_the_channel_monitor_flow_reports_a_drift(live: tuple[Runtime, Pipeline]) -> None:
    from flows.pipeline import monitor_channels
    from flows.trigger import prefect_settings

    rt, _ = live
    item = submit_text(rt, title="Tin theo dõi kênh")
    assert _wait_state(rt, item, "submitted") == "awaiting_signoff"
    approve_fully(rt, item)
    assert _wait_state(rt, item, "approved") == "published"
    files = rt.settings.published_dir / "items" / item / "files"
    sorted(files.iterdir())[0].write_bytes(b"changed on the server after publication")
    with prefect_settings():
        result = monitor_channels()
    assert f"{item}/website" in result.drifted
    assert log_types(rt, item).count("publication.drifted") == 1


def test_the_scheduled_deadlines_flow_refreshes_the_table_statistics(
    live: tuple[Runtime, Pipeline],
) -> None:
    """After a bulk load the scheduled ``deadlines`` flow analyses the grown tables (SQLite's
    planner reads ``sqlite_stat1``; a migration's snapshot holds for that snapshot only), and
    recomputes the stored month reports, so the web's first report page recomputes none."""
    from datetime import UTC, datetime

    from sqlalchemy import func, insert, select

    from clearance.storage.models import Item, User
    from flows.pipeline import deadlines
    from flows.trigger import prefect_settings

    rt, _ = live
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")  # the snapshot before the load
        before = (
            conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 WHERE tbl = 'items'")
            .scalars()
            .all()
        )
        author = conn.execute(select(User.id).limit(1)).scalar_one()
        now = datetime.now(UTC)
        conn.execute(insert(Item), [
            {"id": f"stat{i:08d}", "author_id": author, "state": "approved",
             "current_revision": 1, "created_at": now, "updated_at": now}
            for i in range(4000)])  # fmt: skip
        total = conn.execute(select(func.count()).select_from(Item)).scalar_one()
    from clearance.events import Event
    from clearance.reports.figures import parse_period
    from clearance.reports.stored import stored_summary
    from clearance.settings import generate_secret_key

    generate_secret_key(rt.settings.home)  # the web's secret, as `clearance init` makes it

    imported = datetime(2026, 3, 9, 2, tzinfo=UTC)  # an imported item's entry, long ago
    with rt.sessions.begin() as session:
        rt.sink.append(session, [Event("item.submitted", "an", "imported-1", body={
            "author": "an", "channels": ["website"], "language": "vi", "themes": []})],
            now=imported)  # fmt: skip
    with prefect_settings():
        deadlines()
    page = stored_summary(rt.settings)  # as the web opens it: the month is stored already
    with rt.readers() as session:
        report, _, _ = page.report(session, parse_period("2026-Q1"))
    assert page.recomputed == [] and report.outcomes["submitted"].value == 1
    page.close()
    with rt.engine.connect() as conn:
        after = (
            conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 WHERE tbl = 'items'")
            .scalars()
            .all()
        )
    assert after and after != before
    assert {int(stat.split(" ", 1)[0]) for stat in after} == {total}
