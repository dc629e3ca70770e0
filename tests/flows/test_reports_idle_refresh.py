"""The task worker's idle loop also refreshes the stored report months: after an upgrade or an
import left them missing, a pass of the idle work recomputes them, so the first report page
recomputes none (``flows.dispatch.IdleBackfill``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from clearance.events import Event
from clearance.reports.figures import parse_period
from clearance.reports.stored import stored_summary
from clearance.runtime import Runtime
from clearance.settings import Settings
from tests.webapp.conftest import init_home

NOW = datetime(2026, 11, 3, 3, tzinfo=UTC)


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = init_home(settings)
    yield runtime
    runtime.close()


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def _write(rt: Runtime, first: int, count: int, *, days: int = 0) -> None:
    for n in range(first, first + count):
        item = f"item-{n}"
        body = {"author": "an", "channels": ["website"], "language": "vi", "themes": []}
        events = [Event("item.submitted", "an", item, body=body)]
        with rt.sessions.begin() as session:
            rt.sink.append(session, events, now=NOW + timedelta(days=days, minutes=n))


def test_an_idle_pass_refreshes_the_stored_month_reports(rt: Runtime) -> None:
    from flows.dispatch import IdleBackfill

    quarter = parse_period("2026-Q4")
    _write(rt, 0, 3)
    _write(rt, 3, 2, days=40)
    first = stored_summary(rt.settings)
    with rt.readers() as session:
        first.report(session, quarter)
    first.close()
    with sqlite3.connect(first.path) as db:  # an upgrade or an import: no month report usable
        db.execute("DELETE FROM months")
    clock = Clock()
    idle = IdleBackfill(rt, rest=600.0, clock=clock)
    while (progress := idle.step()) is not None and progress.after is not None:
        pass
    assert {"2026-11", "2026-12"} <= set(idle.refreshed)
    _write(rt, 5, 1, days=41)
    page = stored_summary(rt.settings)
    with rt.readers() as session:
        page.report(session, quarter)
    assert page.recomputed == [] and page.adjusted == ["2026-12"]
    page.close()
    assert idle.step() is None  # resting: nothing refreshed until the next pass
    clock.now += 601
    while (progress := idle.step()) is not None and progress.after is not None:
        pass
    assert idle.refreshed == []  # up to date: the next pass only folds what came since
