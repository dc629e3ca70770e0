"""Login throttling per (client address, username): an attacker guessing one account from one
address waits longer and longer, while the owner, from their own address, is never locked out.

The same rows are written whether the username exists or not, so a refusal reveals nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from clearance.accounts.models import login_throttle as table
from clearance.settings import Settings

#: a pair's failures are forgotten after this long without another failure
FORGET_AFTER = timedelta(hours=24)


def _key(address: str, username: str) -> tuple[str, str]:
    return address[:64], username.strip().lower()[:64]


def blocked(session: Session, address: str, username: str, now: datetime) -> bool:
    """Whether this pair must wait before its password is even considered."""
    addr, name = _key(address, username)
    until = session.scalar(
        select(table.c.blocked_until).where(table.c.address == addr, table.c.username == name)
    )
    return until is not None and until > now


def wait_after(failures: int, settings: Settings) -> timedelta | None:
    """No wait below the threshold; then 1 minute, doubling, capped (``login_max_wait_minutes``)."""
    over = failures - settings.login_max_failures
    if over < 0:
        return None
    return timedelta(minutes=min(settings.login_max_wait_minutes, 2 ** min(over, 20)))


def record_failure(
    session: Session, address: str, username: str, now: datetime, settings: Settings
) -> None:
    addr, name = _key(address, username)
    row = session.execute(
        select(table.c.failures, table.c.last_failure_at)
        .where(table.c.address == addr, table.c.username == name)
        .with_for_update()
    ).first()
    if row is None:
        failures = 1
    else:
        failures = 1 if now - row.last_failure_at > FORGET_AFTER else int(row.failures) + 1
    wait = wait_after(failures, settings)
    values = {
        "failures": failures,
        "last_failure_at": now,
        "blocked_until": now + wait if wait is not None else None,
    }
    if row is None:
        session.execute(table.insert().values(address=addr, username=name, **values))
    else:
        session.execute(
            update(table).where(table.c.address == addr, table.c.username == name).values(**values)
        )


def clear(session: Session, address: str, username: str) -> None:
    addr, name = _key(address, username)
    session.execute(delete(table).where(table.c.address == addr, table.c.username == name))
