"""Publish and recall, exactly once per (release manifest hash, channel).

A publication is *claimed* first (a ``publications`` row, unique per manifest hash and channel,
committed as ``pending``), then the channel is written (idempotently: same bytes, same place),
read back, and *completed* in one transaction with its ``publication.published`` log entry.
A worker killed anywhere leaves either no row, a pending row (the next run writes the channel
again and completes it) or a completed row (the next run does nothing): one publication and one
log entry whatever happens.

A channel that fails (not configured, unreachable, refused) is recorded as ``failed`` with its
reason (``clearance.publishing.failures``), logged once per new reason (``publication.failed``)
and notified to the administrators and the author; the item's other channels are published all
the same (``publish_all``), and an administrator may ``retry`` it (``publication.retried``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clearance.crashpoint import crash_point
from clearance.domain.lifecycle import Action, State
from clearance.domain.roles import Role
from clearance.errors import NotFound, PolicyRefusal, VerificationError
from clearance.events import Event
from clearance.notifications import NotificationKind, deliver_pending, notify
from clearance.publishing.adapter import ChannelAdapter, ReadBack
from clearance.publishing.failures import (
    CHANNEL_FAILURES,
    FailureCode,
    failure_code,
    failure_text,
)
from clearance.publishing.models import Publication, PublicationStatus
from clearance.publishing.registry import adapter_for
from clearance.publishing.release import Release, check_release
from clearance.runtime import Runtime
from clearance.services.items import current_revision, load_item, transition
from clearance.services.users import get_user
from clearance.storage.models import Item, Revision, User
from clearance.storage.uow import UnitOfWork

REMOVED = PublicationStatus.REMOVED.value
FAILED = PublicationStatus.FAILED.value


@dataclass(frozen=True, slots=True)
class PublicationOutcome:
    item_id: str
    channel: str
    manifest_hash: str
    status: PublicationStatus
    location: str | None
    matches: bool | None
    attempts: int
    #: True when an earlier run had already completed it (nothing was done now)
    already: bool


@dataclass(frozen=True, slots=True)
class PublicationView:
    channel: str
    adapter: str
    revision: int
    manifest_hash: str
    status: PublicationStatus
    location: str | None
    matches: bool | None
    attempts: int
    published_at: datetime | None
    recalled_at: datetime | None
    #: why the last attempt failed (``FailureCode``), kept until the channel is published
    error_code: FailureCode | None = None
    error: str | None = None
    failed_at: datetime | None = None
    #: whether this row belongs to the item's current release (older ones are history)
    current: bool = True


@dataclass(frozen=True, slots=True)
class FailedPublication:
    """A channel of an item's current release whose last attempt failed."""

    item_id: str
    title: str
    channel: str
    code: FailureCode | None
    error: str | None
    attempts: int
    failed_at: datetime | None


class NothingToRetry(PolicyRefusal):
    """The channel has no failed publication of the item's current release (``code``:
    ``nothing_to_retry``): it was published, retried meanwhile, or never failed."""

    code = "nothing_to_retry"

    def __init__(self, item_id: str, channel: str) -> None:
        self.item_id = item_id
        self.channel = channel
        super().__init__(
            f"channel {channel} of item {item_id} has no failed publication to retry; "
            "reload the page"
        )


def _view(row: Publication) -> PublicationOutcome:
    return PublicationOutcome(
        item_id=row.item_id,
        channel=row.channel,
        manifest_hash=row.manifest_hash,
        status=PublicationStatus(row.status),
        location=row.location,
        matches=row.matches,
        attempts=row.attempts,
        already=True,
    )


def _find(uow: UnitOfWork, manifest_hash: str, channel: str) -> Publication | None:
    return uow.session.scalar(
        select(Publication)
        .where(Publication.manifest_hash == manifest_hash, Publication.channel == channel)
        .with_for_update()
    )


def _claim(rt: Runtime, release: Release, channel: str, adapter: str) -> Publication:
    for _ in range(2):
        try:
            with rt.uow() as uow:
                row = _find(uow, release.manifest_hash, channel)
                if row is None:
                    row = Publication(
                        item_id=release.item_id,
                        revision=release.revision,
                        manifest_hash=release.manifest_hash,
                        channel=channel,
                        adapter=adapter,
                        status=PublicationStatus.PENDING.value,
                        attempts=1,
                        claimed_at=datetime.now(UTC),
                    )
                    uow.session.add(row)
                elif row.status in (PublicationStatus.PENDING.value, REMOVED, FAILED):
                    row.status = PublicationStatus.PENDING.value
                    row.attempts += 1
                    row.claimed_at = datetime.now(UTC)  # the lease starts again
                uow.commit()
                return row
        except IntegrityError:  # another worker claimed it between our read and insert
            continue
    raise PolicyRefusal(f"channel {channel} of item {release.item_id} is being claimed; retry")


def publish(
    rt: Runtime,
    item_id: str,
    channel: str,
    *,
    adapter: ChannelAdapter | None = None,
    retried_by: str | None = None,
) -> PublicationOutcome:
    """Publish the approved release of ``item_id`` to ``channel`` once (idempotent). A channel
    that fails is recorded as ``failed`` (``_fail``) before the error is raised again."""
    release = check_release(rt, item_id, channel)
    kind = rt.policy.channel(channel).publisher.adapter
    claim = _claim(rt, release, channel, kind)
    if claim.status == PublicationStatus.PUBLISHED.value:
        return _view(claim)
    if claim.status in (PublicationStatus.RECALLED.value, PublicationStatus.RECALLING.value):
        raise PolicyRefusal(
            f"item {item_id} was recalled from {channel}; submit a new revision to publish again"
        )
    crash_point("publish.claimed")
    try:
        target = adapter or adapter_for(rt, channel)
        location = target.put(release)
        crash_point("channel.written")
        back = target.read_back(release)
    except CHANNEL_FAILURES as exc:
        _fail(rt, release, channel, exc, retried_by=retried_by)
        raise
    crash_point("publish.read_back")
    outcome = _complete(rt, release, channel, kind, location, back)
    crash_point("publish.completed")
    if outcome.matches is False:
        raise VerificationError(
            f"what is live on {channel} for item {item_id} differs from what was approved; "
            "recall it and investigate the channel",
            code="publication.live_differs",
            params={"channel": channel, "item": item_id},
        )
    return outcome


def _complete(
    rt: Runtime,
    release: Release,
    channel: str,
    kind: str,
    location: str,
    back: ReadBack,
) -> PublicationOutcome:
    now = datetime.now(UTC)
    matches = back.matches(release)
    with rt.uow() as uow:
        item = load_item(uow.session, release.item_id, for_update=True)
        row = _find(uow, release.manifest_hash, channel)
        assert row is not None
        if row.status != PublicationStatus.PENDING.value:
            return _view(row)
        row.status = PublicationStatus.PUBLISHED.value
        row.error_code = None
        row.error = None
        row.location = location
        row.live_digest = back.digest
        row.matches = matches
        row.published_at = now
        uow.session.flush()
        done = set(
            uow.session.scalars(
                select(Publication.channel).where(
                    Publication.manifest_hash == release.manifest_hash,
                    Publication.status == PublicationStatus.PUBLISHED.value,
                )
            )
        )
        body: dict[str, Any] = {
            "channel": channel,
            "adapter": kind,
            "location": location,
            "live_digest": back.digest,
            "matches": matches,
            "attempts": row.attempts,
        }
        note_ids: list[int] = []
        if done >= set(release.channels) and State(item.state) is State.APPROVED:
            transition(
                uow,
                item,
                Action.PUBLISH,
                actor=None,
                event_type="publication.published",
                body=body,
                manifest_hash=release.manifest_hash,
                policy_hash=release.policy_hash,
            )
            notes = notify(
                uow.session,
                base_url=rt.settings.public_base_url,
                user_ids=[item.author_id],
                item_id=item.id,
                kind=NotificationKind.PUBLISHED,
            )
            note_ids = [n.id for n in notes]
        else:
            uow.record(Event.for_revision("publication.published", release, body))
        outcome = PublicationOutcome(
            item_id=item.id,
            channel=channel,
            manifest_hash=release.manifest_hash,
            status=PublicationStatus.PUBLISHED,
            location=location,
            matches=matches,
            attempts=row.attempts,
            already=False,
        )
        uow.commit(now=now)
    deliver_pending(rt, note_ids)
    return outcome


def _fail(
    rt: Runtime, release: Release, channel: str, exc: BaseException, *, retried_by: str | None
) -> None:
    """Record that ``channel`` failed for ``release``: the row becomes ``failed`` with the
    reason; a new reason (or an administrator's retry) is logged as ``publication.failed``, and
    a new reason is notified to the administrators and the author."""
    code = failure_code(exc)
    now = datetime.now(UTC)
    note_ids: list[int] = []
    with rt.uow() as uow:
        row = _find(uow, release.manifest_hash, channel)
        if row is None or row.status != PublicationStatus.PENDING.value:
            return  # completed, recalled or failed meanwhile by another worker
        new_reason = row.error_code != code.value
        row.status = FAILED
        row.error_code = code.value
        row.error = failure_text(exc)
        row.failed_at = now
        if new_reason or retried_by is not None:
            uow.record(
                Event.for_revision(
                    "publication.failed",
                    release,
                    {
                        "channel": channel,
                        "adapter": row.adapter,
                        "code": code.value,
                        "error": row.error,
                        "attempts": row.attempts,
                    },
                )
            )
        if new_reason:
            item = load_item(uow.session, release.item_id)
            admins = [
                u.id
                for u in uow.session.scalars(select(User).where(User.active.is_(True)))
                if Role.ADMIN.value in u.role_set
            ]
            notes = notify(
                uow.session,
                base_url=rt.settings.public_base_url,
                user_ids=[*admins, item.author_id],
                item_id=item.id,
                kind=NotificationKind.PUBLICATION_FAILED,
                stage=channel,
            )
            note_ids = [n.id for n in notes]
        uow.commit(now=now)
    deliver_pending(rt, note_ids)


def publish_each(rt: Runtime, release: Release) -> list[PublicationOutcome]:
    """Publish ``release`` on each of its channels; a channel that fails does not stop the
    others. The first failure is raised once every channel was tried (each is recorded)."""
    outcomes: list[PublicationOutcome] = []
    first: BaseException | None = None
    for channel in release.channels:
        try:
            outcomes.append(publish(rt, release.item_id, channel))
        except CHANNEL_FAILURES as exc:
            first = first or exc
    if first is not None:
        raise first
    return outcomes


def publish_all(rt: Runtime, item_id: str) -> list[PublicationOutcome]:
    """Publish to every channel the release names (each exactly once; see ``publish_each``)."""
    return publish_each(rt, check_release(rt, item_id))


def retry(rt: Runtime, item_id: str, channel: str, *, actor: str) -> PublicationOutcome:
    """An administrator tries a failed channel of the item's current release again now: the
    request is logged (``publication.retried``) before the channel is written."""
    now = datetime.now(UTC)
    with rt.uow() as uow:
        user = get_user(uow.session, actor)
        if Role.ADMIN.value not in user.role_set or not user.active:
            raise PolicyRefusal(f"{user.username} may not retry publications; ask an administrator")
        item = load_item(uow.session, item_id, for_update=True)
        revision = current_revision(uow.session, item)
        row = None
        if revision.release_manifest_hash is not None:
            row = _find(uow, revision.release_manifest_hash, channel)
        if row is None or row.status != FAILED or State(item.state) is not State.APPROVED:
            raise NothingToRetry(item_id, channel)
        uow.record(  # the row is the failed publication of the revision's release manifest
            Event.for_revision(
                "publication.retried",
                revision,
                {"channel": channel, "code": row.error_code, "attempts": row.attempts},
                actor=user.username,
            )
        )
        uow.commit(now=now)
    return publish(rt, item_id, channel, retried_by=actor)


def recall(rt: Runtime, item_id: str, *, actor: str, reason: str) -> list[PublicationOutcome]:
    """Take a published item down from every channel and log ``publication.recalled``.

    The request is recorded first (the rows become ``recalling`` with who and why, committed),
    then the channels are cleared and the recall completed in one transaction with its log
    entries: a crash in between leaves ``recalling`` rows that ``finish_recall`` completes
    after the restart (the publication dispatcher sweeps them)."""
    if not reason.strip():
        raise PolicyRefusal("a recall needs a reason; say why the item is taken down")
    now = datetime.now(UTC)
    with rt.uow() as uow:
        user = get_user(uow.session, actor)
        if not ({Role.ADMIN.value, Role.APPROVER.value} & user.role_set) or not user.active:
            raise PolicyRefusal(f"{user.username} may not recall items; ask an approver or admin")
        item = load_item(uow.session, item_id, for_update=True)
        if State(item.state) is not State.PUBLISHED:
            raise PolicyRefusal(
                f"item {item_id} is {item.state}; only published items are recalled"
            )
        rows = list(
            uow.session.scalars(
                select(Publication).where(
                    Publication.item_id == item_id,
                    Publication.status.in_(
                        (PublicationStatus.PUBLISHED.value, PublicationStatus.RECALLING.value)
                    ),
                )
            )
        )
        for row in rows:
            if row.status == PublicationStatus.PUBLISHED.value:
                row.status = PublicationStatus.RECALLING.value
                row.recall_actor = user.username
                row.recall_reason = reason
                row.recalled_at = now  # the recall's lease
        uow.commit(now=now)
    crash_point("recall.claimed")
    return finish_recall(rt, item_id)


def _take_down(rt: Runtime, item_id: str, *statuses: PublicationStatus) -> list[Publication]:
    """Remove from its channel every publication of ``item_id`` in ``statuses``; return them.
    A failed row whose channel was never configured is left alone: nothing was written."""
    with rt.sessions() as session:
        rows = list(
            session.scalars(
                select(Publication).where(
                    Publication.item_id == item_id,
                    Publication.status.in_([s.value for s in statuses]),
                )
            )
        )
    for row in rows:
        if row.status == FAILED and row.error_code == FailureCode.NOT_CONFIGURED.value:
            continue
        adapter_for(rt, row.channel).remove(item_id, row.manifest_hash)
    return rows


def finish_recall(rt: Runtime, item_id: str) -> list[PublicationOutcome]:
    """Clear every channel of ``item_id`` whose recall is recorded and complete the recall
    (idempotent: removing twice leaves nothing live; the log entries are written once)."""
    rows = _take_down(rt, item_id, PublicationStatus.RECALLING)
    crash_point("recall.removed")
    now = datetime.now(UTC)
    outcomes: list[PublicationOutcome] = []
    with rt.uow() as uow:
        item = load_item(uow.session, item_id, for_update=True)
        revision = current_revision(uow.session, item)
        recaller: str | None = None
        reason = ""
        for row in rows:
            live = _find(uow, row.manifest_hash, row.channel)
            if live is None or live.status != PublicationStatus.RECALLING.value:
                continue  # another process completed it meanwhile
            live.status = PublicationStatus.RECALLED.value
            live.recalled_at = now
            recaller, reason = live.recall_actor, live.recall_reason or ""
            outcomes.append(_view(live))
            uow.record(
                Event.for_revision(
                    "publication.recalled",
                    _published_revision(uow.session, revision, live),
                    {"channel": live.channel, "location": live.location, "reason": reason},
                    actor=recaller,
                )
            )
        if outcomes and State(item.state) is State.PUBLISHED:
            assert recaller is not None
            transition(
                uow,
                item,
                Action.RECALL,
                actor=get_user(uow.session, recaller),
                reason=reason,
                event_type="item.recalled",
                body={"reason": reason},
                manifest_hash=revision.release_manifest_hash or "",
                policy_hash=revision.policy_hash,
            )
        uow.commit(now=now)
    return outcomes


@dataclass(frozen=True, slots=True)
class _LiveRelease:
    """What a publication row was released as (``events.ReleasedRevision``): its item,
    revision and manifest, with the policy its revision was screened under."""

    item_id: str
    revision: int
    manifest_hash: str
    policy_hash: str | None


def _published_revision(session: Session, current: Revision, row: Publication) -> _LiveRelease:
    """The release a publication row is of, for an entry about the row: the row's revision
    and manifest (what was live), and that revision's policy (the item's current revision,
    unless the row is of an older one)."""
    stored: Revision | None = current
    if current.number != row.revision:
        stored = session.scalars(
            select(Revision).where(Revision.item_id == row.item_id, Revision.number == row.revision)
        ).one_or_none()
    policy = None if stored is None else stored.policy_hash
    return _LiveRelease(row.item_id, row.revision, row.manifest_hash, policy)


def remove_unconfirmed(rt: Runtime, item_id: str, *, reason: str) -> list[PublicationOutcome]:
    """Take down every pending publication of ``item_id`` (its release no longer passes the
    release point: nothing may stay live without a ``publication.published`` entry) and log
    ``publication.removed`` for each."""
    rows = _take_down(rt, item_id, PublicationStatus.PENDING, PublicationStatus.FAILED)
    now = datetime.now(UTC)
    outcomes: list[PublicationOutcome] = []
    with rt.uow() as uow:
        item = load_item(uow.session, item_id, for_update=True)
        revision = current_revision(uow.session, item)
        for row in rows:
            live = _find(uow, row.manifest_hash, row.channel)
            if live is None or live.status != row.status:
                continue
            live.status = REMOVED
            live.error = reason
            outcomes.append(_view(live))
            uow.record(
                Event.for_revision(
                    "publication.removed",
                    _published_revision(uow.session, revision, live),
                    {"channel": live.channel, "location": live.location, "reason": reason},
                )
            )
        uow.commit(now=now)
    return outcomes


def publication_status(rt: Runtime, item_id: str) -> tuple[str, list[PublicationView]]:
    """The item's state and every publication record of it (``item_publications`` in a read
    transaction of its own)."""
    with rt.readers() as session:
        return item_publications(session.connection(), item_id)


_PUBLICATIONS = (
    select(
        Item.state,
        Revision.release_manifest_hash,
        Publication.channel,
        Publication.adapter,
        Publication.revision,
        Publication.manifest_hash,
        Publication.status,
        Publication.location,
        Publication.matches,
        Publication.attempts,
        Publication.published_at,
        Publication.recalled_at,
        Publication.error_code,
        Publication.error,
        Publication.failed_at,
    )
    .join(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.current_revision))
    .outerjoin(Publication, Publication.item_id == Item.id)
    .where(Item.id == bindparam("item_id"))
    .order_by(Publication.revision, Publication.channel)
)


def item_publications(connection: Connection, item_id: str) -> tuple[str, list[PublicationView]]:
    """The item's state and every publication record of it, oldest revision first, each marked
    current when it is of the current revision's release manifest (one statement)."""
    rows = connection.execute(_PUBLICATIONS, {"item_id": item_id}).all()
    if not rows:
        raise NotFound(
            f"there is no item {item_id!r}; list items with `clearance items list`",
            code="item.not_found",
            params={"item": item_id},
        )
    state, release = rows[0][0], rows[0][1]
    views = [
        PublicationView(
            channel=channel,
            adapter=adapter,
            revision=revision,
            manifest_hash=manifest_hash,
            status=PublicationStatus(status),
            location=location,
            matches=matches,
            attempts=attempts,
            published_at=published_at,
            recalled_at=recalled_at,
            error_code=FailureCode(error_code) if error_code else None,
            error=error,
            failed_at=failed_at,
            current=manifest_hash == release,
        )
        for (
            _state,
            _release,
            channel,
            adapter,
            revision,
            manifest_hash,
            status,
            location,
            matches,
            attempts,
            published_at,
            recalled_at,
            error_code,
            error,
            failed_at,
        ) in rows
        if channel is not None
    ]
    return state, views


def failed_publications(rt: Runtime) -> list[FailedPublication]:
    """Every failed channel of a current release of an approved item, latest failure first."""
    with rt.sessions() as session:
        rows = session.execute(
            select(Publication, Revision.title)
            .join(Item, Item.id == Publication.item_id)
            .join(
                Revision,
                (Revision.item_id == Item.id) & (Revision.number == Item.current_revision),
            )
            .where(
                Publication.status == FAILED,
                Publication.manifest_hash == Revision.release_manifest_hash,
                Item.state == State.APPROVED.value,
            )
            .order_by(Publication.failed_at.desc(), Publication.id)
        ).tuples()
        return [
            FailedPublication(
                item_id=row.item_id,
                title=title,
                channel=row.channel,
                code=FailureCode(row.error_code) if row.error_code else None,
                error=row.error,
                attempts=row.attempts,
                failed_at=row.failed_at,
            )
            for row, title in rows
        ]
