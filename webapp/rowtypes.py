"""Cheaper result types for the hot pages' columns (``type_coerce(column, FAST_UTC)``).

The SQL is unchanged; only the conversion of each fetched value differs. On SQLite the stock
types parse a stored datetime with a regular expression and a JSON list with ``json.loads`` for
every row; a queue page of fifty rows spent as long converting as the database spent finding
them. These do the same conversions with ``datetime.fromisoformat`` and a memo of the few
distinct channel lists. On PostgreSQL the driver already returns datetimes and lists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from clearance.storage.types import UTCDateTime


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class FastUTCDateTime(UTCDateTime):
    """``UTCDateTime`` whose SQLite values (naive UTC, ISO 8601 text) parse in C."""

    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, datetime):
                return _utc(value)
            return _utc(datetime.fromisoformat(value))

        return process


class StringTuple(TypeDecorator[Any]):
    """A stored JSON list of strings, read as a tuple (SQLite's text parsed once per value).

    A decorator rather than a ``JSON`` subclass: the dialects replace ``JSON`` subclasses with
    their own JSON type, which would drop this reading."""

    impl = JSON
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        memo: dict[str, tuple[str, ...]] = {}

        def process(value: Any) -> tuple[str, ...]:
            if value is None:
                return ()
            if not isinstance(value, str):  # the driver parsed it (PostgreSQL)
                return tuple(value)
            found = memo.get(value)
            if found is None:
                if len(memo) > 1000:
                    memo.clear()
                found = memo[value] = tuple(json.loads(value))
            return found

        return process


FAST_UTC = FastUTCDateTime()
STRING_TUPLE = StringTuple()
