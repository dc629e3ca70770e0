"""The core's database is the publication queue.

An item waits for publication while it is ``approved`` (the last sign-off committed it so; it
becomes ``published`` in the transaction that logs its last channel), and a recall waits while
any of its rows is ``recalling``. ``waiting_publications`` lists those items, oldest first,
leaving out the ones a live claim holds: a ``pending`` row claimed less than ``lease`` seconds
ago (a worker may be writing the channel now). A claim older than the lease belongs to a worker
that died: the item is offered again and ``drive`` re-runs it, the channel write is idempotent
and the completion writes the log entry once. Nothing here asks Prefect anything: a flow run that
died is simply superseded by the next sweep.

``drive(rt, item_id)`` does what the item waits for: finishes a recorded recall, or publishes
the release on every channel it names. A release that no longer passes the release point while
something of it may be live (a ``pending`` row) has that taken down and logged
(``publication.removed``) before the refusal is raised: nothing stays live without its
``publication.published`` entry.

A channel that failed (``failed``, with its reason) does not stop the item's other channels;
the item is held for ``FAILED_RETRY`` seconds after its latest failure, then offered again (an
administrator may retry it at once: ``clearance.publishing.service.retry``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from clearance.domain.lifecycle import State
from clearance.errors import PolicyRefusal, VerificationError
from clearance.publishing.failures import FAILED_RETRY
from clearance.publishing.models import Publication, PublicationStatus
from clearance.publishing.release import check_release
from clearance.publishing.service import (
    PublicationOutcome,
    finish_recall,
    publish_each,
    remove_unconfirmed,
)
from clearance.runtime import Runtime
from clearance.settings import ReviewSettings
from clearance.storage.models import Item

#: seconds a claim (pending publication, recall under way) is left to the worker that made it
#: (the default of CLEARANCE_PUBLISH_LEASE)
LEASE = ReviewSettings().publish_lease

PENDING = PublicationStatus.PENDING.value
RECALLING = PublicationStatus.RECALLING.value
FAILED = PublicationStatus.FAILED.value


def waiting_publications(
    session: Session,
    *,
    limit: int,
    lease: float = LEASE,
    now: datetime | None = None,
    failed_retry: float = FAILED_RETRY,
) -> list[str]:
    """Items waiting for publication or for the end of their recall, oldest first, without
    those a claim younger than ``lease`` seconds holds or a channel failure younger than
    ``failed_retry`` seconds."""
    moment = now or datetime.now(UTC)
    cutoff = moment - timedelta(seconds=lease)
    retry_cutoff = moment - timedelta(seconds=failed_retry)
    held = select(Publication.item_id).where(
        or_(
            and_(Publication.status == PENDING, Publication.claimed_at > cutoff),
            and_(Publication.status == RECALLING, Publication.recalled_at > cutoff),
            and_(Publication.status == FAILED, Publication.failed_at > retry_cutoff),
        )
    )
    recalling = select(Publication.item_id).where(Publication.status == RECALLING)
    return list(
        session.scalars(
            select(Item.id)
            .where(
                or_(
                    Item.state == State.APPROVED.value,
                    and_(Item.state == State.PUBLISHED.value, Item.id.in_(recalling)),
                ),
                Item.id.not_in(held),
            )
            .order_by(Item.updated_at, Item.id)
            .limit(limit)
        ).all()
    )


def drive(rt: Runtime, item_id: str) -> list[PublicationOutcome]:
    """Publish ``item_id`` on every channel, or finish its recall (each exactly once)."""
    with rt.sessions() as session:
        state = session.scalar(select(Item.state).where(Item.id == item_id))
        recall_open = session.scalar(
            select(Publication.id)
            .where(Publication.item_id == item_id, Publication.status == RECALLING)
            .limit(1)
        )
    if recall_open is not None:
        return finish_recall(rt, item_id)
    if state != State.APPROVED.value:
        return []  # published, withdrawn or changed meanwhile: nothing waits
    try:
        release = check_release(rt, item_id)
    except (VerificationError, PolicyRefusal) as refusal:
        remove_unconfirmed(rt, item_id, reason=str(refusal))
        raise
    return publish_each(rt, release)
