"""Foundation fixtures: a migrated database and a runtime whose events go to a list.

The event sink is a seam (``clearance.events.EventSink``); foundation tests check which events a
service records without depending on the audit log, whose own tests cover the real appends.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from clearance.events import Event
from clearance.runtime import Runtime
from clearance.settings import Settings
from clearance.storage.db import make_engine
from clearance.storage.migrate import upgrade


class ListSink:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.fail_next = False

    def append(self, session: Session, events: Sequence[Event], *, now: datetime) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the audit log refused the append")
        self.events.extend(events)


@pytest.fixture
def sink() -> ListSink:
    return ListSink()


@pytest.fixture
def rt(settings: Settings, sink: ListSink) -> Iterator[Runtime]:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    runtime = Runtime.open(settings, sink=sink)
    yield runtime
    runtime.close()
