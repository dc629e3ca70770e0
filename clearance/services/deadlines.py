"""Deadlines of sign-off stages (``deadline_hours`` in the policy): reminders and escalation.

A stage is *due soon* once three quarters of its time has passed: the people who may sign it
get one reminder. Once it is *overdue* the same people and every administrator get one
escalation, and ``signoff.overdue`` is logged so the delay is part of the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from clearance.domain.lifecycle import State
from clearance.domain.roles import Role
from clearance.events import Event
from clearance.notifications.models import NotificationKind
from clearance.notifications.service import deliver_pending, notify
from clearance.runtime import Runtime
from clearance.storage.models import Item, Revision, SignoffRequest, User

REMIND_AT = 0.75


@dataclass(frozen=True, slots=True)
class DeadlineAction:
    item_id: str
    stage: str
    kind: NotificationKind
    due_at: datetime
    notified: tuple[str, ...]


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def check_deadlines(rt: Runtime, *, now: datetime | None = None) -> list[DeadlineAction]:
    """Send due reminders and escalations once each; return what was done."""
    from clearance.policy.store import stored_policy
    from clearance.services.review import OPEN, eligible_approvers
    from clearance.services.signoff import revision_signoff_state

    moment = now or datetime.now(UTC)
    actions: list[DeadlineAction] = []
    note_ids: list[int] = []
    with rt.uow() as uow:
        session = uow.session
        rows = session.execute(
            select(SignoffRequest, Revision, Item)
            .join(Revision, Revision.id == SignoffRequest.revision_id)
            .join(Item, Item.id == Revision.item_id)
            .where(
                SignoffRequest.status == OPEN,
                SignoffRequest.due_at.is_not(None),
                Item.state == State.AWAITING_SIGNOFF.value,
                Item.current_revision == Revision.number,
            )
            .order_by(SignoffRequest.due_at)
        ).tuples()
        admins = [
            u.id
            for u in session.scalars(select(User).where(User.active.is_(True)))
            if Role.ADMIN.value in u.role_set
        ]
        for request, revision, item in rows:
            assert request.due_at is not None
            due = _aware(request.due_at)
            opened = _aware(request.created_at)
            overdue = moment >= due
            remind_from = opened + timedelta(seconds=(due - opened).total_seconds() * REMIND_AT)
            if overdue and request.escalated_at is None:
                kind = NotificationKind.ESCALATION
                request.escalated_at = moment
            elif not overdue and moment >= remind_from and request.reminded_at is None:
                kind = NotificationKind.REMINDER
                request.reminded_at = moment
            else:
                continue
            assert revision.policy_hash is not None
            policy = stored_policy(session, revision.policy_hash)
            state = revision_signoff_state(session, policy, item, revision)
            users = eligible_approvers(session, state)
            targets = [u.id for u in users] + (
                admins if kind is NotificationKind.ESCALATION else []
            )
            notes = notify(
                session,
                base_url=rt.settings.public_base_url,
                user_ids=targets,
                item_id=item.id,
                kind=kind,
                stage=request.stage_name,
            )
            note_ids += [n.id for n in notes]
            if kind is NotificationKind.ESCALATION:
                uow.record(
                    Event.for_revision(
                        "signoff.overdue",
                        revision,
                        {"stage": request.stage_name, "due_at": due.isoformat()},
                    )
                )
            actions.append(
                DeadlineAction(
                    item.id, request.stage_name, kind, due, tuple(u.username for u in users)
                )
            )
        uow.commit(now=moment)
    deliver_pending(rt, note_ids)
    return actions
