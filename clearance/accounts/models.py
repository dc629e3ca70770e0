"""Tables of login throttling and server-side sessions (nothing here is trusted for sign-off)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from clearance.storage.db import Base
from clearance.storage.types import UTCDateTime

#: failed logins of one (address, username) pair; a missing username gets a row too, so the
#: refusal of a username that exists and of one that does not look the same
login_throttle = Table(
    "login_throttle",
    Base.metadata,
    Column("address", String(64), nullable=False),
    Column("username", String(64), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UTCDateTime(), nullable=False),
    Column("blocked_until", UTCDateTime(), nullable=True),
    PrimaryKeyConstraint("address", "username"),
)

#: one row per web session; the browser holds only the random id, the row its SHA-256
web_sessions = Table(
    "web_sessions",
    Base.metadata,
    Column("id_hash", LargeBinary(32), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=True, index=True),
    Column("data", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("seen_at", UTCDateTime(), nullable=False, index=True),
)
