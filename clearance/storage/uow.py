"""Unit of work: one transaction per service call, events appended to the audit log inside it.

``with uow:`` opens a session; ``uow.record(event)`` queues an event; ``uow.commit()`` hands the
queued events to the sink (the audit log) and commits, so there is never an event without its
entry nor an entry without its event. Leaving the block without committing rolls back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from clearance.events import Event, EventSink


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Any], sink: EventSink) -> None:
        self._factory = session_factory
        self._sink = sink
        self._session: Session | None = None
        self._events: list[Event] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use it in a `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError("the unit of work is already open")
        self._session = self._factory()
        self._events = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None
            self._events = []

    def record(self, event: Event) -> None:
        self._events.append(event)

    def commit(self, *, now: datetime | None = None) -> None:
        session = self.session
        session.flush()
        if self._events:
            self._sink.append(session, list(self._events), now=now or datetime.now(UTC))
        session.commit()
        self._events = []
