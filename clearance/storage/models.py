"""Foundation tables: users, items, revisions, parts, sign-off requests, decisions, history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearance.storage.db import Base
from clearance.storage.types import UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    unit: Mapped[str | None] = mapped_column(String(100), nullable=True)
    #: product roles, space separated, sorted: author approver auditor admin
    roles: Mapped[str] = mapped_column(String(200), default="")
    #: sign-off roles the policy names (unit_head, spokesperson...), space separated, sorted
    signoff_roles: Mapped[str] = mapped_column(String(400), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())

    @property
    def signoff_role_set(self) -> frozenset[str]:
        return frozenset(self.signoff_roles.split())


class Item(Base):
    __tablename__ = "items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    current_revision: Mapped[int] = mapped_column(Integer, default=1)
    #: hash of the policy the item started under (see clearance.policy for the stricter rule)
    policy_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    author: Mapped[User] = relationship(lazy="joined")
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="item", order_by="Revision.number", cascade="all, delete-orphan"
    )


class Revision(Base):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("item_id", "number", name="uq_revision_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    channels: Mapped[list[str]] = mapped_column(JSON)
    declared_level: Mapped[str] = mapped_column(String(32))
    #: theme ids of the policy (``policy.themes``), in the policy's order
    themes: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    #: the main text's language (ISO 639-1); None on revisions made before languages
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: manifest of the submitted bytes (canonical JSON text, exactly as hashed)
    manifest_json: Mapped[str] = mapped_column(Text)
    manifest_hash: Mapped[str] = mapped_column(String(64), index=True)
    #: manifest of the sanitized bytes: the only thing approvers sign and channels publish
    release_manifest_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    release_manifest_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    level: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    classification: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    screening_verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)
    screening: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    policy_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: why this revision exists (answer to a change request), shown beside the diff
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    item: Mapped[Item] = relationship(back_populates="revisions")
    parts: Mapped[list[Part]] = relationship(
        back_populates="revision", order_by="Part.position", cascade="all, delete-orphan"
    )


class Part(Base):
    __tablename__ = "parts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))  # body | attachment
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(127))
    #: a language version's language and title (role ``version`` only)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    sanitized_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sanitized_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sanitized_mime: Mapped[str | None] = mapped_column(String(127), nullable=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))

    revision: Mapped[Revision] = relationship(back_populates="parts")


class SignoffRequest(Base):
    __tablename__ = "signoff_requests"
    __table_args__ = (UniqueConstraint("revision_id", "stage", name="uq_signoff_stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    stage_name: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(JSON)
    units: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    quorum: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the release manifest hash the approver signed
    manifest_hash: Mapped[str] = mapped_column(String(64))
    policy_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: the signed-note statement, exactly as signed
    statement: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    approver: Mapped[User] = relationship(lazy="joined")


class StateChange(Base):
    __tablename__ = "state_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SearchEntry(Base):
    """A revision's title folded to plain ASCII (no diacritics, lower case) for searching."""

    __tablename__ = "web_search"

    revision_id: Mapped[int] = mapped_column(
        ForeignKey("revisions.id"), primary_key=True, autoincrement=False
    )
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    folded: Mapped[str] = mapped_column(String(600))
