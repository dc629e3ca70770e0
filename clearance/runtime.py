"""The composition root: settings → engine, sessions, blob store, audit log, policy.

Entry points (CLI, web, flows) open one Runtime and pass it to service functions. It only wires
objects: which policy is in force, and when it is re-checked, is the policy package's rule
(``clearance.policy.inforce``). Nothing here runs at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from clearance.events import EventSink
from clearance.policy.inforce import PolicyInForce
from clearance.policy.values import Policy
from clearance.settings import Settings
from clearance.storage.blobs import BlobStore, open_blob_store
from clearance.storage.db import check_connection, make_engine, make_session_factory
from clearance.storage.uow import UnitOfWork


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Any]
    blobs: BlobStore
    sink: EventSink
    #: sessions for reads only: on SQLite a deferred BEGIN, so readers never queue behind writers
    readers: sessionmaker[Any]
    #: the policy in force, loaded and re-checked by the policy package
    policies: PolicyInForce = field(repr=False)
    #: what ``open`` opened besides the engine and ``close`` closes (the log it made)
    closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, sink: EventSink | None = None) -> Runtime:
        engine = make_engine(settings.database_url)
        check_connection(engine)
        closers: list[Callable[[], None]] = []
        if sink is None:
            from clearance.auditlog.setup import open_log

            log = open_log(settings)
            sink, closers = log, [log.close]
        readers = make_session_factory(engine, read_only=True)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            readers=readers,
            blobs=open_blob_store(settings, engine),
            sink=sink,
            policies=PolicyInForce(readers, settings.policy_path),
            closers=closers,
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.sink)

    @property
    def policy(self) -> Policy:
        """The policy in force (``clearance.policy.inforce`` holds the rule and the cache)."""
        return self.policies.current()

    def use_policy(self, policy: Policy | None) -> None:
        """Pin this runtime to ``policy`` (tests, checks); ``None`` returns to the policy in force."""
        self.policies.pin(policy)

    def close(self) -> None:
        for close in self.closers:
            close()
        self.engine.dispose()
