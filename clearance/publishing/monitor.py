"""The channel monitor: re-read every live publication on its channel and compare it, part by
part, with the release manifest that was approved. A difference is logged once per live state
(``publication.drifted``, with which parts were replaced, missing or added), shown on the item
and the admin page, and notified to the administrators and the security officers. It reads the
channel itself, never an earlier answer; a channel that cannot read back is reported as such.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Connection, bindparam, select

from clearance.auditlog.models import entries
from clearance.errors import ClearanceError
from clearance.events import Event
from clearance.notifications.models import NotificationKind
from clearance.notifications.service import notify
from clearance.publishing.adapter import ChannelAdapter, ReadBack
from clearance.publishing.models import Publication, PublicationStatus
from clearance.publishing.registry import adapter_for
from clearance.publishing.release import Release, check_release
from clearance.runtime import Runtime
from clearance.storage.models import User

DRIFTED = "publication.drifted"
#: the sign-off role told about drift besides the administrators
SECURITY_ROLE = "security_officer"


class LiveState(StrEnum):
    MATCHES = "matches"
    DRIFTED = "drifted"
    UNREADABLE = "unreadable"  # the channel cannot read back (or the release cannot be built)


@dataclass(frozen=True, slots=True)
class LiveCheck:
    item_id: str
    channel: str
    state: LiveState
    message: str
    #: True when this check logged a new ``publication.drifted`` entry
    logged: bool = False


def differences(release: Release, back: ReadBack) -> dict[str, list[str]]:
    """Which parts are replaced, missing or added on the channel compared with the release."""
    want = {p.name: p.sha256 for p in release.parts}
    live = dict(back.digests or {})
    return {
        "replaced": sorted(n for n in want.keys() & live.keys() if want[n] != live[n]),
        "missing": sorted(want.keys() - live.keys()),
        "added": sorted(live.keys() - want.keys()),
    }


def _already_logged(rt: Runtime, item_id: str, channel: str, live_digest: str | None) -> bool:
    """Whether a drift of this publication to this very live state is in the log already."""
    with rt.readers() as session:
        leaves = session.execute(
            select(entries.c.leaf).where(
                entries.c.item_id == item_id, entries.c.event_type == DRIFTED
            )
        ).scalars()
        for leaf in leaves:
            body = json.loads(bytes(leaf)).get("body", {})
            if body.get("channel") == channel and body.get("live_digest") == live_digest:
                return True
    return False


def _record_drift(rt: Runtime, row: Publication, release: Release, back: ReadBack) -> None:
    changed = differences(release, back)
    with rt.uow() as uow:
        uow.record(  # the row is live, so it is the release's (check_live read it back)
            Event.for_revision(
                DRIFTED,
                release,
                {
                    "channel": row.channel,
                    "location": back.location,
                    "live_digest": back.digest,
                    **changed,
                },
            )
        )
        people = uow.session.scalars(select(User).where(User.active.is_(True))).all()
        targets = [
            u.id for u in people if "admin" in u.role_set or SECURITY_ROLE in u.signoff_role_set
        ]
        notify(
            uow.session,
            base_url=rt.settings.public_base_url,
            user_ids=targets,
            item_id=row.item_id,
            kind=NotificationKind.DRIFTED,
            stage=row.channel,
        )
        uow.commit()


def check_live(
    rt: Runtime, *, adapters: Callable[[Runtime, str], ChannelAdapter] = adapter_for
) -> list[LiveCheck]:
    """Re-read every publication that is live now and compare it with what was approved."""
    with rt.readers() as session:
        live = session.scalars(
            select(Publication)
            .where(Publication.status == PublicationStatus.PUBLISHED.value)
            .order_by(Publication.id)
        ).all()
        session.expunge_all()
    checks: list[LiveCheck] = []
    for row in live:
        try:
            release = check_release(rt, row.item_id, row.channel)
            back = adapters(rt, row.channel).read_back(release)
        except (ClearanceError, OSError) as exc:
            message = getattr(exc, "message", str(exc))
            checks.append(LiveCheck(row.item_id, row.channel, LiveState.UNREADABLE, message))
            continue
        matches = back.matches(release)
        if matches is None:
            checks.append(LiveCheck(row.item_id, row.channel, LiveState.UNREADABLE,
                                    "the channel cannot read back what it holds"))  # fmt: skip
        elif matches:
            checks.append(LiveCheck(row.item_id, row.channel, LiveState.MATCHES, "matches"))
        else:
            new = not _already_logged(rt, row.item_id, row.channel, back.digest)
            if new:
                _record_drift(rt, row, release, back)
            changed = differences(release, back)
            words = "; ".join(f"{k}: {', '.join(v)}" for k, v in changed.items() if v)
            checks.append(LiveCheck(row.item_id, row.channel, LiveState.DRIFTED,
                                    f"what is live differs from the approved release ({words})",
                                    logged=new))  # fmt: skip
    return checks


def drifts(rt: Runtime, item_id: str | None = None) -> list[dict[str, object]]:
    """The drifts in the log (newest first), for the item page and the admin page."""
    with rt.readers() as session:
        return logged_drifts(session.connection(), item_id)


_DRIFTS = (
    select(entries.c.seq, entries.c.leaf)
    .where(entries.c.event_type == DRIFTED)
    .order_by(entries.c.seq.desc())
    .limit(200)
)
_ITEM_DRIFTS = (
    select(entries.c.seq, entries.c.leaf)
    .where(entries.c.event_type == DRIFTED, entries.c.item_id == bindparam("item_id"))
    .order_by(entries.c.seq.desc())
    .limit(200)
)


def logged_drifts(connection: Connection, item_id: str | None = None) -> list[dict[str, object]]:
    """The drifts in the log (of ``item_id``, or of every item), newest first (one statement
    on the caller's connection)."""
    if item_id is None:
        rows = connection.execute(_DRIFTS).all()
    else:
        rows = connection.execute(_ITEM_DRIFTS, {"item_id": item_id}).all()
    found = []
    for seq, leaf in rows:
        entry = json.loads(bytes(leaf))
        when = datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        found.append({"seq": int(seq), "time": when, "item": entry["item"],
                      **entry.get("body", {})})  # fmt: skip
    return found
