"""The ``policy_versions`` table: every policy loaded, with its hash and resolved content."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearance.storage.db import Base
from clearance.storage.types import UTCDateTime


class PolicyVersion(Base):
    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[str] = mapped_column(String(100))
    effective_date: Mapped[date] = mapped_column(Date)
    #: canonical JSON of the resolved document, exactly as hashed
    content: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(1000))
    loaded_by: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
