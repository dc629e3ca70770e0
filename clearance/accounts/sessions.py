"""Server-side web sessions: the browser holds only a random id; the row (keyed by the id's
SHA-256, so a database reader cannot replay it) holds the data, who is signed in, and when it
was last used. Logout deletes the row; a password change or reset deletes all of the user's.

A session ends ``session_idle_minutes`` after its last request and ``session_max_hours`` after
it was created (login creates a new one), whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from clearance.accounts.models import web_sessions as table
from clearance.settings import Settings
from clearance.storage.models import User

#: a session seen less than this long ago is not rewritten just to move ``seen_at``
TOUCH_EVERY = timedelta(seconds=60)
#: the longest id a browser may send (``new_id`` makes 43 characters)
MAX_ID_LENGTH = 128


@dataclass(frozen=True, slots=True)
class StoredSession:
    data: str
    user_id: int | None
    created_at: datetime
    seen_at: datetime
    #: the signed-in account's ``ACCOUNT_COLUMNS`` as read with the session (``peek``), or None
    account: tuple[Any, ...] | None = None


def new_id() -> str:
    return secrets.token_urlsafe(32)


def _digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode("utf-8")).digest()


def _limits(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """(oldest allowed last use, oldest allowed creation)."""
    idle = timedelta(minutes=settings.session_idle_minutes)
    return now - idle, now - timedelta(hours=settings.session_max_hours)


#: built once: every request reads its session
_BY_KEY = select(table.c.data, table.c.user_id, table.c.created_at, table.c.seen_at).where(
    table.c.id_hash == bindparam("key")
)


#: the columns a request needs to know who is signed in (no timestamps, no lockout counters)
ACCOUNT_COLUMNS = (
    User.id,
    User.username,
    User.display_name,
    User.email,
    User.unit,
    User.roles,
    User.signoff_roles,
    User.active,
    User.must_change_password,
    User.password_hash,
)
#: the session with its account, in one statement (every request reads both)
_WITH_ACCOUNT = (
    select(table.c.data, table.c.user_id, table.c.created_at, table.c.seen_at, *ACCOUNT_COLUMNS)
    .select_from(table.outerjoin(User, User.id == table.c.user_id))
    .where(table.c.id_hash == bindparam("key"))
)


def peek(
    connection: Connection, session_id: str, *, now: datetime, settings: Settings
) -> StoredSession | None:
    """The live session ``session_id`` read without writing (a request's read connection),
    or None when it is unknown or has timed out (``load`` then deletes it); the common case
    of every request, which then needs no write transaction unless ``due_for_touch``. The
    signed-in account (``ACCOUNT_COLUMNS``) is read in the same statement."""
    if not session_id or len(session_id) > MAX_ID_LENGTH:
        return None
    row = connection.execute(_WITH_ACCOUNT, {"key": _digest(session_id)}).first()
    if row is None:
        return None
    data, user_id, created_at, seen_at, *account = row
    stored = StoredSession(
        data, user_id, created_at, seen_at, tuple(account) if account[0] is not None else None
    )
    return stored if not timed_out(stored, now=now, settings=settings) else None


def timed_out(stored: StoredSession, *, now: datetime, settings: Settings) -> bool:
    """Idle too long, or too old."""
    idle_limit, age_limit = _limits(settings, now)
    return stored.seen_at < idle_limit or stored.created_at < age_limit


def due_for_touch(stored: StoredSession, *, now: datetime) -> bool:
    """``touch`` would write (``seen_at`` moves at most once a minute)."""
    return now - stored.seen_at >= TOUCH_EVERY


def load(
    session: Session, session_id: str, *, now: datetime, settings: Settings
) -> StoredSession | None:
    """The live session ``session_id``, or None (unknown, revoked or timed out: then deleted)."""
    if not session_id or len(session_id) > MAX_ID_LENGTH:
        return None
    key = _digest(session_id)
    row = session.execute(_BY_KEY, {"key": key}).first()
    if row is None:
        return None
    stored = StoredSession(row.data, row.user_id, row.created_at, row.seen_at)
    if timed_out(stored, now=now, settings=settings):
        session.execute(delete(table).where(table.c.id_hash == key))
        return None
    return stored


def save(
    session: Session,
    session_id: str,
    *,
    data: str,
    user_id: int | None,
    now: datetime,
    existing: StoredSession | None,
) -> None:
    """Write the session (insert when ``existing`` is None)."""
    key = _digest(session_id)
    if existing is None:
        session.execute(
            table.insert().values(
                id_hash=key, data=data, user_id=user_id, created_at=now, seen_at=now
            )
        )
        return
    session.execute(
        update(table).where(table.c.id_hash == key).values(data=data, user_id=user_id, seen_at=now)
    )


def touch(session: Session, session_id: str, *, now: datetime, existing: StoredSession) -> bool:
    """Move ``seen_at`` (at most once a minute); True when a write happened."""
    if not due_for_touch(existing, now=now):
        return False
    session.execute(update(table).where(table.c.id_hash == _digest(session_id)).values(seen_at=now))
    return True


def revoke(session: Session, session_id: str) -> None:
    session.execute(delete(table).where(table.c.id_hash == _digest(session_id)))


def revoke_user(session: Session, user_id: int) -> None:
    """End every session of the user (password change or reset, deactivation)."""
    session.execute(delete(table).where(table.c.user_id == user_id))


def sweep(session: Session, *, now: datetime, settings: Settings) -> None:
    """Delete the sessions that timed out."""
    idle_limit, age_limit = _limits(settings, now)
    session.execute(
        delete(table).where(or_(table.c.seen_at < idle_limit, table.c.created_at < age_limit))
    )
