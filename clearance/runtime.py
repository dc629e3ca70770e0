"""The composition root: settings → engine, sessions, blob store, audit log, policy.

Entry points (CLI, web, flows) open one Runtime and pass it to service functions.
Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from clearance.events import EventSink
from clearance.settings import Settings
from clearance.storage.blobs import BlobStore
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
    _policy: Policy | None = field(default=None, repr=False)

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
            blobs=BlobStore(settings.blob_dir, max_bytes=settings.max_upload_bytes),
            sink=sink,
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.sink)

    @property
    def policy(self) -> Policy:
        """The policy in force (loaded once per runtime from ``settings.policy_path``)."""
        if self._policy is None:
            from clearance.policy import load_policy

            self._policy = load_policy(self.settings.policy_path)
        return self._policy

    def use_policy(self, policy: Policy) -> None:
        self._policy = policy

    def close(self) -> None:
        self.engine.dispose()
