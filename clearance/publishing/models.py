"""Publication records: one row per (release manifest hash, channel), claimed before the channel
is written and completed in the same transaction as the ``publication.published`` log entry."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clearance.storage.db import Base
from clearance.storage.types import UTCDateTime, utcnow


class PublicationStatus(StrEnum):
    #: claimed; the channel may or may not have been written (a worker may have died)
    PENDING = "pending"
    PUBLISHED = "published"
    #: the recall is recorded (who, why) and under way: the channel may or may not be cleared
    RECALLING = "recalling"
    RECALLED = "recalled"
    #: was pending when the release stopped passing the release point: taken down, logged
    REMOVED = "removed"
    #: the channel could not be written or read back (``error_code``, ``error`` say why); the
    #: item's other channels go on; the dispatcher tries again after ``FAILED_RETRY`` seconds
    #: and an administrator may retry at once
    FAILED = "failed"


class Publication(Base):
    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("manifest_hash", "channel", name="uq_publication_manifest_channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    #: the release manifest hash: exactly what was approved
    manifest_hash: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    adapter: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    location: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: SHA-256 of what the read-back found live, per part, in manifest order (JSON text)
    live_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    matches: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: why the last attempt failed, as a stable code the adapters translate
    #: (``clearance.publishing.failures.FailureCode``)
    error_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: who asked for the recall and why, kept from the request until it is completed
    recall_actor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recall_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
