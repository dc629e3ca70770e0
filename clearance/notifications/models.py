"""Notifications: in-app rows (the web UI lists them) and the e-mail delivery record.

A notification row carries only the item id, the stage (or channel) and a link. The in-app list
shows the item's title next to it (read from the item when listed, for the signed-in user the
item was sent to); an e-mail never carries a title, text or findings, so nothing under review
leaks through a mailbox.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearance.storage.db import Base
from clearance.storage.types import UTCDateTime, utcnow


class NotificationKind(StrEnum):
    SIGNOFF_REQUESTED = "signoff_requested"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    BLOCKED = "blocked"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    APPROVED = "approved"
    PUBLISHED = "published"
    #: what is live on a channel differs from the approved release (the channel monitor)
    DRIFTED = "drifted"
    #: blocked because screening found a state-secret marking (the author and the security
    #: officers are told)
    SECRET_BLOCKED = "secret_blocked"  # noqa: S105 - a notification kind, not a password
    #: a channel could not publish the approved item (``stage`` names the channel)
    PUBLICATION_FAILED = "publication_failed"


#: the sign-off role (named by the policy) told when an item is blocked as a state secret
SECURITY_OFFICER = "security_officer"


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str | None] = mapped_column(String(100), nullable=True)
    link: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    email_error: Mapped[str | None] = mapped_column(Text, nullable=True)
