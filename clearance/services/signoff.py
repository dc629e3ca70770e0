"""Sign-off: the human decision, recorded by the core and signed with the approver's own key.

The web UI and the CLI call :func:`decide`; Prefect never records a decision. The decision is
checked against the policy's sign-off engine (open stage, roles and unit, separation of duties,
one person once), signed over the release manifest hash, stored, logged as ``signoff.decided``
and applied to the item in one transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from clearance.auditlog.store import latest_checkpoint
from clearance.crashpoint import crash_point
from clearance.domain.lifecycle import Action, State, next_state
from clearance.domain.roles import Role
from clearance.errors import (
    BadInput,
    ConfigurationError,
    Conflict,
    IllegalTransition,
    PolicyRefusal,
)
from clearance.notifications import NotificationKind, deliver_pending, notify
from clearance.policy import Decision as RuleDecision
from clearance.policy import DecisionKind, Policy, SignoffState, SignoffStatus, signoff_status
from clearance.policy.store import policy_for_item, stored_policy
from clearance.runtime import Runtime
from clearance.screening.types import Verdict
from clearance.services.grants import Divergence, divergence, logged_grants, report_unlogged
from clearance.services.items import current_revision, load_item, transition
from clearance.services.review import CLOSED, COMPLETE, OPEN, WAITING, eligible_approvers
from clearance.services.users import get_user, require_role
from clearance.signing.approver import active_vkey, sign_decision, signoff_event
from clearance.storage.models import Decision, Item, Part, Revision, SignoffRequest, User
from clearance.storage.uow import UnitOfWork

__all__ = [
    "DecisionKind",
    "DecisionOutcome",
    "current_signoff_state",
    "decide",
    "parse_decision",
    "revision_signoff_state",
    "statement_decision",
]

MAX_COMMENT = 4000


class UnloggedGrant(Exception):
    """Raised inside the decision's transaction (rolled back), reported after it."""

    def __init__(self, found: Divergence) -> None:
        super().__init__(found.describe())
        self.found = found


@dataclass(frozen=True, slots=True)
class SeenState:
    """What an approver read before deciding: the release manifest and the stage open then
    (None: the page named no stage)."""

    manifest_hash: str
    stage: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionOutcome:
    """What one decision did: the item's new state and whether publication should start."""

    item_id: str
    revision: int
    decision: DecisionKind
    stage: str
    role: str
    status: SignoffStatus
    state: State
    missing: tuple[str, ...]
    statement: str
    publish: bool


def parse_decision(raw: str) -> DecisionKind:
    """Accept ``approve``, ``approve-with-recommendations``, ``request-changes``, ``reject``."""
    try:
        return DecisionKind(raw.strip().lower().replace("-", "_"))
    except ValueError:
        allowed = "approve, approve-with-recommendations, request-changes, reject"
        raise BadInput(
            f"unknown decision {raw!r}; use one of {allowed}",
            code="decision.unknown",
            params={"decision": raw, "allowed": allowed},
        ) from None


def statement_decision(kind: DecisionKind) -> str:
    """The word the signed statement carries: the exact decision kind, so an approval with
    recommendations is signed as such (not only recorded in the log entry's body)."""
    return kind.value


@dataclass(frozen=True, slots=True)
class ChainFacts:
    """What the sign-off engine reads about one revision besides its decisions (``_FACTS``: the
    item, its author, the revision and when its chain was opened; ``_UPLOADERS``)."""

    item_id: str
    author_id: int
    author: str
    policy_hash: str | None  # the policy the item started under
    revision_id: int
    level: str | None
    manifest_hash: str | None  # the release manifest
    created_by: int
    held_for_review: bool
    opened_at: datetime | None
    uploader_ids: tuple[int, ...]


_AUTHOR = aliased(User)
_FACTS = (
    select(
        Item.id,
        Item.author_id,
        _AUTHOR.username,
        Item.policy_hash,
        Revision.id,
        Revision.level,
        Revision.release_manifest_hash,
        Revision.created_by,
        Revision.screening_verdict,
        select(func.min(SignoffRequest.created_at))
        .where(SignoffRequest.revision_id == Revision.id)
        .scalar_subquery(),
    )
    .join(Revision, Revision.item_id == Item.id)
    .join(_AUTHOR, _AUTHOR.id == Item.author_id)
)
_FACTS_OF_REVISION = _FACTS.where(Revision.id == bindparam("revision_id"))
_FACTS_OF_CURRENT = _FACTS.where(
    Item.id == bindparam("item_id"), Revision.number == Item.current_revision
)
_UPLOADERS = (
    select(Part.uploaded_by)
    .where(Part.revision_id == bindparam("revision_id"))
    .order_by(Part.position)
)
_DECISIONS = (
    select(
        Decision.approver_id,
        Decision.role,
        User.unit,
        Decision.decision,
        Decision.manifest_hash,
        Decision.stage,
        SignoffRequest.stage_name,
        Decision.created_at,
    )
    .join(User, User.id == Decision.approver_id)
    .outerjoin(
        SignoffRequest,
        and_(
            SignoffRequest.revision_id == Decision.revision_id,
            SignoffRequest.stage == Decision.stage,  # unique: uq_signoff_stage
        ),
    )
    .where(Decision.revision_id == bindparam("revision_id"))
    .order_by(Decision.id)
)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _reading(session: Session) -> Connection:
    """The session's connection, its pending changes flushed first (as its own queries would
    autoflush), so a decision added in this transaction counts."""
    session.flush()
    return session.connection()


def _facts(
    connection: Connection, statement: Select[Any], params: dict[str, Any]
) -> ChainFacts | None:
    row = connection.execute(statement, params).first()
    if row is None:
        return None
    uploaders = connection.execute(_UPLOADERS, {"revision_id": row[4]}).scalars()
    return ChainFacts(
        item_id=row[0],
        author_id=row[1],
        author=row[2],
        policy_hash=row[3],
        revision_id=row[4],
        level=row[5],
        manifest_hash=row[6],
        created_by=row[7],
        held_for_review=row[8] == Verdict.REVIEW.value,
        opened_at=_aware(row[9]),
        uploader_ids=tuple(uploaders),
    )


def _rule_decisions(connection: Connection, revision_id: int) -> list[RuleDecision]:
    """The recorded decisions of the revision as the sign-off engine reads them (one
    statement): each counts only for the one sign-off role it was signed under."""
    rows = connection.execute(_DECISIONS, {"revision_id": revision_id})
    return [
        RuleDecision(
            approver_id=approver_id,
            roles=frozenset({role}),
            unit=unit,
            kind=DecisionKind(decision),
            manifest_hash=manifest_hash,
            stage=stage_name if stage_name is not None else f"#{stage}",
            at=at,
        )
        for approver_id, role, unit, decision, manifest_hash, stage, stage_name, at in rows
    ]


def chain_opened_at(session: Session, revision: Revision) -> datetime | None:
    value: datetime | None = session.scalar(
        select(func.min(SignoffRequest.created_at)).where(SignoffRequest.revision_id == revision.id)
    )
    return _aware(value)


def revision_signoff_state(
    session: Session,
    policy: Policy,
    item: Item,
    revision: Revision,
    *,
    decisions: Iterable[RuleDecision] | None = None,
) -> SignoffState:
    """Evaluate the revision's sign-off chain under ``policy`` from the recorded decisions."""
    connection = _reading(session)
    facts = _facts(connection, _FACTS_OF_REVISION, {"revision_id": revision.id})
    assert facts is not None  # the revision is in this session's transaction
    return facts_signoff_state(connection, policy, facts, decisions=decisions)


def facts_signoff_state(
    connection: Connection,
    policy: Policy,
    facts: ChainFacts,
    *,
    decisions: Iterable[RuleDecision] | None = None,
) -> SignoffState:
    """The sign-off engine over ``facts``: the recorded decisions (unless given), the author,
    uploaders and editor excluded, the drafting unit as the audit log grants it."""
    if facts.level is None or facts.manifest_hash is None:
        raise PolicyRefusal(
            f"item {facts.item_id} has not been reviewed yet; run the review first",
            code="signoff.not_reviewed",
            params={"item": facts.item_id},
        )
    return signoff_status(
        policy,
        level=facts.level,
        manifest_hash=facts.manifest_hash,
        decisions=_rule_decisions(connection, facts.revision_id)
        if decisions is None
        else decisions,
        author_id=facts.author_id,
        uploader_ids=facts.uploader_ids,
        editor_ids=[facts.created_by],
        drafting_unit=logged_grants(connection, facts.author).unit,
        held_for_review=facts.held_for_review,
        submitted_at=facts.opened_at,
    )


PolicyResolver = Callable[[Session, Policy, "str | None"], Policy]


def current_signoff_state(
    session: Session,
    current: Policy,
    item_id: str,
    *,
    resolve: PolicyResolver = policy_for_item,
) -> SignoffState | None:
    """The sign-off state of ``item_id``'s current revision under the policy it is evaluated
    by (``resolve``: the started policy unless ``current`` is stricter), or None before review
    or for a level that has no chain. What every page and command shows as progress: four
    statements (the chain's facts, the uploaders, the decisions, the author's logged grants)."""
    connection = _reading(session)
    facts = _facts(connection, _FACTS_OF_CURRENT, {"item_id": item_id})
    if facts is None or facts.level is None or facts.manifest_hash is None:
        return None
    try:
        return facts_signoff_state(connection, resolve(session, current, facts.policy_hash), facts)
    except PolicyRefusal:
        return None


def _pick_role(state: SignoffState, user_id: int, roles: frozenset[str], unit: str | None) -> str:
    for role in sorted(roles):
        if state.may_sign(user_id, {role}, unit):
            return role
    stage = state.open_stage.stage_id if state.open_stage else "none"
    missing = "; ".join(state.missing) or "nothing"
    raise PolicyRefusal(
        f"you cannot sign stage {stage} of this item now (it needs: {missing}); "
        "ask an approver who holds a required role",
        code="signoff.stage_not_yours",
        params={"stage": stage, "missing": missing},
    )


def decide(
    rt: Runtime,
    *,
    item_id: str,
    approver: str,
    password: str,
    decision: DecisionKind | str,
    comment: str | None = None,
    seen: SeenState | None = None,
) -> DecisionOutcome:
    """Record ``approver``'s signed decision on the current revision of ``item_id``.

    ``seen`` is what the approver read before deciding (the release manifest, the open
    stage); when the item moved on since (a new revision, another approver's decision that
    closed the stage or the sign-off) the decision is refused with a ``Conflict`` naming what
    changed, never recorded against a state the approver did not read."""
    kind = decision if isinstance(decision, DecisionKind) else parse_decision(decision)
    text = (comment or "").strip() or None
    if kind is DecisionKind.REJECT and text is None:
        raise BadInput(
            "a rejection needs a reason; give it with the comment",
            code="decision.reject_reason_required",
        )
    if kind is DecisionKind.REQUEST_CHANGES and text is None:
        raise BadInput(
            "a request for changes needs a comment saying what to change",
            code="decision.changes_comment_required",
        )
    if text is not None and len(text) > MAX_COMMENT:
        raise BadInput(
            f"the comment is {len(text)} characters long; keep it under {MAX_COMMENT}",
            code="decision.comment_too_long",
            params={"length": len(text), "maximum": MAX_COMMENT},
        )
    now = datetime.now(UTC)
    try:
        with rt.uow() as uow:
            outcome, note_ids = _decide_in(
                uow, rt, item_id, approver, password, kind, text, now, seen
            )
            crash_point("signoff.signed")
            uow.commit(now=now)
        if outcome.publish:
            crash_point("signoff.committed")
    except UnloggedGrant as exc:
        report_unlogged(rt, exc.found, where="signoff", item_id=item_id)
        raise PolicyRefusal(
            f"your account holds {exc.found.describe()} that no logged, confirmed change "
            "granted (it was written into the users table outside the service), so you cannot "
            "sign; ask an administrator to grant your roles through the admin page",
            code="signoff.unlogged_grant",
            params={"found": exc.found.describe()},
        ) from None
    deliver_pending(rt, note_ids)
    return outcome


def _decide_in(
    uow: UnitOfWork,
    rt: Runtime,
    item_id: str,
    approver: str,
    password: str,
    kind: DecisionKind,
    comment: str | None,
    now: datetime,
    seen: SeenState | None = None,
) -> tuple[DecisionOutcome, list[int]]:
    session = uow.session
    user = get_user(session, approver)
    require_role(user, Role.APPROVER)
    item = load_item(session, item_id, for_update=True)
    action = {
        SignoffStatus.REJECTED: Action.REJECT,
        SignoffStatus.CHANGES_REQUESTED: Action.REQUEST_CHANGES,
    }
    try:
        next_state(State(item.state), Action.APPROVE)  # only an item awaiting sign-off
    except IllegalTransition:
        raise IllegalTransition(
            f"item {item_id} is no longer awaiting sign-off (it is {item.state}); "
            "someone decided it or its author changed it after you opened it",
            code="signoff.closed",
            params={"item": item_id, "state": item.state},
        ) from None
    revision = current_revision(session, item)
    assert revision.policy_hash is not None and revision.release_manifest_hash is not None
    if seen is not None and seen.manifest_hash != revision.release_manifest_hash:
        raise Conflict(
            f"item {item_id} changed after you opened it (now revision {revision.number}); "
            "read the new revision before deciding",
            code="item.changed",
            params={"item": item_id, "revision": revision.number},
        )
    policy = stored_policy(session, revision.policy_hash)
    before = revision_signoff_state(session, policy, item, revision)
    now_open = before.open_stage.stage_id if before.open_stage else None
    if seen is not None and seen.stage is not None and now_open != seen.stage:
        raise Conflict(
            f"the stage {seen.stage} of item {item_id} was decided by another approver after "
            f"you opened it (open now: {now_open or 'none'})",
            code="signoff.stage_moved",
            params={"item": item_id, "stage": seen.stage, "open": now_open or ""},
        )
    if user.id in before.excluded:
        raise PolicyRefusal(
            f"{user.username} wrote, uploaded or edited item {item_id} and cannot sign it off",
            code="signoff.own_item",
            params={"username": user.username, "item": item_id},
        )
    if any(d.decision.approver_id == user.id and not d.superseded for d in before.decisions):
        raise Conflict(
            f"{user.username} has already decided on this revision of item {item_id}",
            code="signoff.already_decided",
            params={"username": user.username, "item": item_id},
        )
    granted = logged_grants(session, user.username)
    unlogged = divergence(user, granted)
    if unlogged is not None:
        raise UnloggedGrant(unlogged)
    role = _pick_role(before, user.id, granted.signoff_roles, granted.unit)
    if granted.key is None or active_vkey(session, user.username) != granted.key.vkey:
        raise PolicyRefusal(
            f"the signing key of {user.username} is not the one registered in the audit log "
            "(it was changed outside the service); enrol your key again on the key page",
            code="signoff.key_not_registered",
            params={"username": user.username},
        )
    assert before.open_stage is not None
    stage_id = before.open_stage.stage_id
    checkpoint = latest_checkpoint(session)
    if checkpoint is None:
        raise ConfigurationError("the audit log is empty; run `clearance init` first")
    signed = sign_decision(
        session,
        username=user.username,
        password=password,
        origin=rt.settings.log_origin,
        item_id=item.id,
        revision=revision.number,
        manifest_hash=revision.release_manifest_hash,
        decision=statement_decision(kind),
        role=role,
        stage=stage_id,
        checkpoint=checkpoint,
        now=now,
    )
    stage_index = _stage_index(policy, revision, stage_id)
    session.add(
        Decision(
            revision_id=revision.id,
            approver_id=user.id,
            stage=stage_index,
            role=role,
            decision=kind.value,
            comment=comment,
            manifest_hash=revision.release_manifest_hash,
            policy_hash=policy.content_hash,
            statement=signed.note,
            created_at=now,
        )
    )
    session.flush()
    event = signoff_event(signed, policy_hash=policy.content_hash)
    uow.record(
        dataclasses.replace(event, body={**event.body, "kind": kind.value, "comment": comment})
    )
    after = revision_signoff_state(session, policy, item, revision)
    state = State(item.state)
    note_ids: list[int] = []
    base = rt.settings.public_base_url
    if after.status is SignoffStatus.APPROVED:
        state = transition(
            uow,
            item,
            Action.APPROVE,
            actor=user,
            event_type="revision.approved",
            manifest_hash=revision.release_manifest_hash,
            policy_hash=policy.content_hash,
        )
        _close_requests(session, revision, after)
        note_ids += [
            n.id
            for n in notify(
                session,
                base_url=base,
                user_ids=[item.author_id],
                item_id=item.id,
                kind=NotificationKind.APPROVED,
            )
        ]
    elif after.status in action:
        state = transition(
            uow,
            item,
            action[after.status],
            actor=user,
            reason=comment,
            event_type=f"revision.{after.status.value}",
            body={"comment": comment},
            manifest_hash=revision.release_manifest_hash,
            policy_hash=policy.content_hash,
        )
        _close_requests(session, revision, after)
        notice = (
            NotificationKind.REJECTED
            if after.status is SignoffStatus.REJECTED
            else NotificationKind.CHANGES_REQUESTED
        )
        note_ids += [
            n.id
            for n in notify(
                session,
                base_url=base,
                user_ids=[item.author_id],
                item_id=item.id,
                kind=notice,
                stage=stage_id,
            )
        ]
    else:
        opened = _advance_requests(session, revision, after, now)
        if opened is not None:
            users = eligible_approvers(session, after)
            note_ids += [
                n.id
                for n in notify(
                    session,
                    base_url=base,
                    user_ids=[u.id for u in users],
                    item_id=item.id,
                    kind=NotificationKind.SIGNOFF_REQUESTED,
                    stage=opened,
                )
            ]
    outcome = DecisionOutcome(
        item_id=item.id,
        revision=revision.number,
        decision=kind,
        stage=stage_id,
        role=role,
        status=after.status,
        state=state,
        missing=after.missing,
        statement=signed.note,
        publish=after.status is SignoffStatus.APPROVED,
    )
    return outcome, note_ids


def _stage_index(policy: Policy, revision: Revision, stage_id: str) -> int:
    assert revision.level is not None
    chain = policy.chain_for(revision.level)
    assert chain is not None
    for index, stage in enumerate(chain.stages):
        if stage.id == stage_id:
            return index
    raise PolicyRefusal(f"stage {stage_id} is not in chain {chain.name}")  # pragma: no cover


def _requests(session: Session, revision: Revision) -> list[SignoffRequest]:
    return list(
        session.scalars(
            select(SignoffRequest)
            .where(SignoffRequest.revision_id == revision.id)
            .order_by(SignoffRequest.stage)
        )
    )


def _close_requests(session: Session, revision: Revision, state: SignoffState) -> None:
    done = {p.stage_id for p in state.stages if p.complete}
    for request in _requests(session, revision):
        request.status = COMPLETE if request.stage_name in done else CLOSED


def _advance_requests(
    session: Session, revision: Revision, state: SignoffState, now: datetime
) -> str | None:
    """Mark complete stages and open the next one; return the id of a newly opened stage."""
    progress = {p.stage_id: p for p in state.stages}
    opened: str | None = None
    for request in _requests(session, revision):
        p = progress.get(request.stage_name)
        if p is None:
            continue
        if p.complete:
            request.status = COMPLETE
        elif state.open_stage is not None and p.stage_id == state.open_stage.stage_id:
            if request.status != OPEN:
                opened = p.stage_id
                request.status = OPEN
                request.due_at = p.due_at
        else:
            request.status = WAITING
    return opened
