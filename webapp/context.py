"""Request-side access to the core: the runtime, the settings and the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from flask import Flask, current_app, g
from flask_login import current_user
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from clearance.runtime import Runtime
from clearance.settings import Settings
from webapp.users import WebUser

RUNTIME_KEY = "clearance.runtime"
_READER = "clearance_reader"
_CONNECTION = "clearance_read_connection"
_ENGINES = "clearance.read_engines"


def runtime() -> Runtime:
    return cast(Runtime, current_app.extensions[RUNTIME_KEY])


def read_connection() -> Connection:
    """This request's read-only connection: one pooled connection and one snapshot (a deferred
    BEGIN on SQLite) per page. The hot pages query it with Core statements directly; an ORM
    session, when a page needs one (``reader``), runs on the same connection and snapshot."""
    connection = g.get(_CONNECTION)
    if connection is None:
        connection = _read_engine().connect()
        connection.begin()
        setattr(g, _CONNECTION, connection)
    return cast(Connection, connection)


def reader() -> Session:
    """This request's read-only ORM session, on ``read_connection()``.

    Views that write use ``runtime().uow()`` or ``runtime().sessions()``; this one never commits
    and is closed when the request ends.
    """
    session = g.get(_READER)
    if session is None:
        session = runtime().readers(bind=read_connection())
        setattr(g, _READER, session)
    return cast(Session, session)


def restart_read() -> None:
    """End this request's read snapshot: the next read starts a new one (after a write the
    page should see)."""
    _close_read()


def _close_read() -> None:
    session = g.pop(_READER, None)
    if session is not None:
        session.close()
    connection = g.pop(_CONNECTION, None)
    if connection is not None:
        connection.close()  # rolls the read transaction back and returns it to the pool


def _read_engine() -> Engine:
    """The runtime's engine with the read-only options its ``readers`` sessions use.

    On PostgreSQL the page reads in autocommit: under its default READ COMMITTED isolation
    every statement takes its own snapshot inside a transaction too, so BEGIN and ROLLBACK
    would only add two round trips per page. (SQLite keeps its deferred BEGIN: there the
    transaction is what holds one snapshot for the whole page.)
    """
    engines: dict[int, Engine] = current_app.extensions.setdefault(_ENGINES, {})
    rt = runtime()
    found = engines.get(id(rt))
    if found is None:
        bind = rt.readers.kw.get("bind", rt.engine)
        assert isinstance(bind, Engine)
        if bind.dialect.name == "postgresql":
            bind = bind.execution_options(isolation_level="AUTOCOMMIT")
        found = engines[id(rt)] = bind
    return found


@contextmanager
def _this_snapshot() -> Iterator[Session]:
    yield reader()  # closed with the request, not here


def init_app(app: Flask) -> None:
    @app.before_request
    def _policy_on_this_snapshot() -> None:
        # the policy cache's re-check (when due) reads on the page's snapshot, so a page
        # still reads in one transaction; the later ``runtime().policy`` reads hit the cache
        runtime().policies.current(_this_snapshot)

    @app.teardown_appcontext
    def _close_reader(_exc: BaseException | None) -> None:
        _close_read()


def settings() -> Settings:
    return cast(Settings, current_app.config["CLEARANCE_SETTINGS"])


def me() -> WebUser:
    """The signed-in user (views call this only behind ``login_required``)."""
    user = current_user._get_current_object()
    if not isinstance(user, WebUser):
        raise RuntimeError("me() called without a signed-in user; guard the view with a role")
    return user
