"""Calendar days as people in Vietnam write them: ``dd/mm/yyyy`` (``03/12/2026``; one-digit day
or month and ``.`` or ``-`` between them are read too), and ISO ``yyyy-mm-dd`` (links, the CLI).
One reader for every date a user types (the audit log's filters, a report's days), and the
local day's bounds in UTC, the zone of the log's times."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from clearance.errors import BadInput

#: the agency's zone: a day the user names is a local day
DEFAULT_ZONE = "Asia/Ho_Chi_Minh"

_LOCAL = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_day(text: str) -> date:
    """``dd/mm/yyyy`` (or ``yyyy-mm-dd``) as a date; a clear, coded error otherwise: the text is
    not a date in that form (``date.unreadable``) or names no real day (``date.not_a_day``,
    e.g. ``31/02/2026`` or the month-first ``12/31/2026``)."""
    text = text.strip()
    if found := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in found.groups())
    elif found := _LOCAL.fullmatch(text):
        day, month, year = (int(g) for g in found.groups())
    else:
        raise BadInput(
            f"{text!r} is not a date; write day/month/year, e.g. 03/12/2026",
            code="date.unreadable",
            params={"text": text},
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise BadInput(
            f"{text!r} is not a real day (day {day}, month {month}, year {year}); write "
            "day/month/year, e.g. 03/12/2026",
            code="date.not_a_day",
            params={"text": text},
        ) from None


def format_day(day: date) -> str:
    """A day as it is written in Vietnam: ``03/12/2026``."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def day_start_utc(day: date, zone: str = DEFAULT_ZONE) -> datetime:
    """The first instant of the local ``day`` in ``zone``, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def day_end_utc(day: date, zone: str = DEFAULT_ZONE) -> datetime:
    """The first instant after the local ``day`` in ``zone``, in UTC (an exclusive bound)."""
    return day_start_utc(day + timedelta(days=1), zone)
