"""Audit-log tables: entries (leaf bytes exactly as hashed), one signed checkpoint per commit, and
the tree's right edge so an append costs O(log n)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, LargeBinary, String, Table, Text

from clearance.storage.db import Base

entries = Table(
    "audit_entries",
    Base.metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("leaf", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("event_type", String(64), nullable=False, index=True),
    Column("item_id", String(64), nullable=True, index=True),
)

checkpoints = Table(
    "audit_checkpoints",
    Base.metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

tree_state = Table(
    "audit_tree_state",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("edge", LargeBinary, nullable=False),
    Column("last_hash", LargeBinary(32), nullable=False),
)

#: cosignature lines that witnesses returned for a checkpoint of this log (c2sp.org/tlog-witness);
#: the export appends them to the checkpoint they cosign
cosignatures = Table(
    "audit_cosignatures",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("witness", String(200), nullable=False),
    Column("size", BigInteger, nullable=False, index=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("line", Text, nullable=False),
)
