"""Approver key table: public vkey plus the private key sealed under the approver's password."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from clearance.storage.db import Base

approver_keys = Table(
    "approver_keys",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, index=True),
    Column("vkey", String(300), nullable=False, unique=True),
    Column("sealed", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True), nullable=True),
)
