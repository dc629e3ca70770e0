"""The composition root: settings → engine, sessions, blob store, audit log, policy.

Entry points (CLI, web, flows) open one Runtime and pass it to service functions.
Nothing here runs at import time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import sessionmaker

from clearance.events import EventSink
from clearance.settings import Settings
from clearance.storage.blobs import BlobStore, open_blob_store
from clearance.storage.db import check_connection, make_engine, make_session_factory
from clearance.storage.uow import UnitOfWork

if TYPE_CHECKING:
    from clearance.policy import Policy


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Any]
    blobs: BlobStore
    sink: EventSink
    #: sessions for reads only: on SQLite a deferred BEGIN, so readers never queue behind writers
    readers: sessionmaker[Any]
    _override: Policy | None = field(default=None, repr=False)
    _policy: Policy | None = field(default=None, repr=False)
    _policy_checked: float = field(default=0.0, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, sink: EventSink | None = None) -> Runtime:
        engine = make_engine(settings.database_url)
        check_connection(engine)
        if sink is None:
            from clearance.auditlog.setup import open_log

            sink = open_log(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            readers=make_session_factory(engine, read_only=True),
            blobs=open_blob_store(settings, engine),
            sink=sink,
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.sink)

    #: how long a process trusts its cached policy before checking for a newer confirmed one
    POLICY_RECHECK_SECONDS = 2.0

    @property
    def policy(self) -> Policy:
        """The policy in force: the latest version recorded in the database.

        ``clearance init`` seeds the database from ``settings.policy_path``; afterwards a change
        takes effect only when recorded (the web UI requires a second admin to confirm it), so
        an edited file on disk never silently becomes the rules. Every process sees a newly
        confirmed policy within ``POLICY_RECHECK_SECONDS``.
        """
        if self._override is not None:
            return self._override
        now = time.monotonic()
        if self._policy is not None and now - self._policy_checked < self.POLICY_RECHECK_SECONDS:
            return self._policy
        from clearance.policy import load_policy, stored_policy
        from clearance.policy.models import PolicyVersion

        try:
            with self.readers() as session:
                latest = session.scalar(
                    select(PolicyVersion.content_hash).order_by(PolicyVersion.id.desc()).limit(1)
                )
                if latest is not None and (
                    self._policy is None or self._policy.content_hash != latest
                ):
                    self._policy = stored_policy(session, latest)
        except (OperationalError, ProgrammingError):
            latest = None  # the schema is not there yet: `clearance init` is seeding it
        if latest is None and self._policy is None:
            self._policy = load_policy(self.settings.policy_path)
        self._policy_checked = now
        assert self._policy is not None
        return self._policy

    def use_policy(self, policy: Policy | None) -> None:
        """Pin this runtime to ``policy`` (tests, checks); ``None`` returns to the policy in force."""
        self._override = policy

    def close(self) -> None:
        self.engine.dispose()
