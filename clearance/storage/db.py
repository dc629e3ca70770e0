"""Database engine and declarative base.

SQLite (the embedded default) runs in WAL mode with ``BEGIN IMMEDIATE`` transactions, so writers
from several processes are serialised by the database itself and readers never block. PostgreSQL
URLs work unchanged (``postgresql+psycopg://``; a bare ``postgresql://`` is upgraded to psycopg 3).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.pool import NullPool, QueuePool

from clearance.errors import ConfigurationError

_BEGIN_OPTION = "clearance_sqlite_begin"


class Base(DeclarativeBase):
    """Declarative base every model subclasses."""


def normalise_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # A small pool keeps connections open: closing the last connection to a WAL database
        # checkpoints and deletes the WAL, which costs more than the commit itself.
        memory = url in {"sqlite://", "sqlite:///:memory:"}
        engine = create_engine(
            url,
            echo=echo,
            poolclass=NullPool if memory else QueuePool,
            pool_size=5,
            max_overflow=10,
            pool_pre_ping=False,
            connect_args={"timeout": 60, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control from pysqlite so that BEGIN IMMEDIATE can be issued.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            # Writers take the write lock up front (no deadlock on lock upgrade); readers
            # (``read_only=True`` sessions) use a deferred BEGIN and run beside the writer.
            mode = connection.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
            connection.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10)


def check_connection(engine: Engine) -> None:
    """Raise ConfigurationError with a readable sentence when the database cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        safe = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigurationError(
            f"the database at {safe} cannot be reached ({reason}); check "
            "CLEARANCE_DATABASE_URL and that the server is running"
        ) from None


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Any]:
    """Sessions on ``engine``; ``read_only`` ones never take SQLite's write lock up front."""
    bind = engine.execution_options(**{_BEGIN_OPTION: "DEFERRED"}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)
