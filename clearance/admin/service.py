"""Propose, confirm, reject: every policy or role change needs two different administrators.

The proposal is stored but changes nothing and is not logged; on confirmation by another admin
the change is applied through the owning service (which logs it) and an ``admin.change_confirmed``
event binds proposer, confirmer and the change to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.admin.models import PendingChange
from clearance.domain.roles import Role, parse_roles
from clearance.errors import BadInput, Conflict, NotFound, PolicyRefusal
from clearance.events import Event
from clearance.runtime import Runtime
from clearance.services import users as user_service
from clearance.storage.models import User
from clearance.storage.uow import UnitOfWork


class ChangeKind(StrEnum):
    ROLES = "roles"
    POLICY = "policy"


class ChangeStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ChangeView:
    id: int
    kind: ChangeKind
    target: str
    payload: dict[str, Any]
    before: dict[str, Any]
    status: ChangeStatus
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    #: a pending proposal whose "before" is no longer the current state (the CLI or another
    #: confirmed change got there first): shown as stale and refused on confirmation
    stale: bool = False


#: applies a confirmed policy change: (runtime, confirming admin, payload) -> None
PolicyApplier = Callable[[Runtime, str, dict[str, Any]], None]


def _admin(session: Session, username: str) -> User:
    user = user_service.get_user(session, username)
    user_service.require_role(user, Role.ADMIN)
    return user


def _roles_snapshot(user: User) -> dict[str, Any]:
    return {
        "roles": sorted(user.role_set),
        "signoff_roles": sorted(user.signoff_role_set),
        "unit": user.unit,
    }


def _view(session: Session, change: PendingChange) -> ChangeView:
    ids = [change.proposed_by, change.decided_by or change.proposed_by]
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()
    names = {int(uid): str(name) for uid, name in rows}
    return ChangeView(
        id=change.id,
        kind=ChangeKind(change.kind),
        target=change.target,
        payload=dict(change.payload),
        before=dict(change.before),
        status=ChangeStatus(change.status),
        proposed_by=names[change.proposed_by],
        proposed_at=change.proposed_at,
        decided_by=names.get(change.decided_by) if change.decided_by else None,
        decided_at=change.decided_at,
        reason=change.reason,
    )


def propose_roles(
    rt: Runtime,
    *,
    admin: str,
    username: str,
    roles: list[str],
    signoff_roles: list[str],
    unit: str | None,
) -> ChangeView:
    """Store a proposed role change for ``username``; nothing changes until confirmed."""
    role_set = parse_roles(roles)
    if signoff_roles and Role.APPROVER not in role_set:
        raise BadInput(
            "sign-off roles can only be given to a user with the approver role",
            code="roles.signoff_needs_approver",
        )
    known = set(rt.policy.signoff_roles)
    unknown = sorted(set(signoff_roles) - known)
    if unknown:
        raise BadInput(
            f"unknown sign-off role {unknown[0]!r}; use one of {', '.join(sorted(known))}",
            code="roles.unknown_signoff_role",
            params={"role": unknown[0], "allowed": ", ".join(sorted(known))},
        )
    with rt.uow() as uow:
        proposer = _admin(uow.session, admin)
        target = user_service.get_user(uow.session, username)
        payload = {
            "roles": sorted(r.value for r in role_set),
            "signoff_roles": sorted(set(signoff_roles)),
            "unit": (unit or "").strip() or None,
        }
        before = _roles_snapshot(target)
        if payload == before:
            raise BadInput(
                f"user {target.username!r} already has these roles; change something",
                code="roles.unchanged",
                params={"username": target.username},
            )
        change = PendingChange(
            kind=ChangeKind.ROLES.value,
            target=target.username,
            payload=payload,
            before=before,
            status=ChangeStatus.PENDING.value,
            proposed_by=proposer.id,
        )
        uow.session.add(change)
        uow.session.flush()
        view = _view(uow.session, change)
        uow.commit()
    return view


def propose_policy(
    rt: Runtime, *, admin: str, policy_hash: str, summary: str, payload: dict[str, Any]
) -> ChangeView:
    """Store a proposed policy (already validated by the caller); applied only on confirmation."""
    with rt.uow() as uow:
        proposer = _admin(uow.session, admin)
        change = PendingChange(
            kind=ChangeKind.POLICY.value,
            target=policy_hash,
            payload={**payload, "summary": summary},
            before={"policy_hash": rt.policy.content_hash},
            status=ChangeStatus.PENDING.value,
            proposed_by=proposer.id,
        )
        uow.session.add(change)
        uow.session.flush()
        view = _view(uow.session, change)
        uow.commit()
    return view


def _load_pending(session: Session, change_id: int) -> PendingChange:
    change = session.get(PendingChange, change_id)
    if change is None:
        raise NotFound(
            f"there is no proposed change {change_id}; list them on the admin page",
            code="change.not_found",
            params={"change": change_id},
        )
    if change.status != ChangeStatus.PENDING.value:
        raise Conflict(
            f"change {change_id} is already {change.status}; nothing left to decide",
            code="change.closed",
            params={"change": change_id, "status": change.status},
        )
    return change


def _check_confirmer(session: Session, change: PendingChange, admin: str) -> User:
    confirmer = _admin(session, admin)
    if confirmer.id == change.proposed_by:
        raise PolicyRefusal(
            "the administrator who proposed a change cannot confirm it; ask another administrator",
            code="change.own_proposal",
        )
    if change.kind == ChangeKind.ROLES.value and change.target == confirmer.username:
        raise PolicyRefusal(
            "an administrator cannot confirm a change to their own roles; ask another administrator",
            code="change.own_roles",
        )
    return confirmer


def confirm(
    rt: Runtime, *, admin: str, change_id: int, apply_policy: PolicyApplier | None = None
) -> ChangeView:
    """A second administrator confirms: the change is applied, then logged with both names.

    A role change is checked, applied, logged and closed in one transaction (it happens exactly
    once even when two admins confirm at the same moment). A policy is put in force by
    ``apply_policy`` (the policy store's own transaction, idempotent by content hash), then the
    proposal is closed.
    """
    with rt.uow() as uow:
        change = _load_pending(uow.session, change_id)
        _check_confirmer(uow.session, change, admin)
        kind = ChangeKind(change.kind)
        payload = dict(change.payload)
        if kind is ChangeKind.ROLES:
            if _is_stale(rt, uow.session, change):
                raise Conflict(
                    f"this proposal is stale: the roles of {change.target!r} changed after it "
                    "was made; reject it and propose again",
                    code="change.stale_roles",
                    params={"username": change.target},
                )
            user_service.set_roles_in(
                uow,
                actor=admin,
                username=change.target,
                roles=payload["roles"],
                signoff_roles=payload["signoff_roles"],
                unit=payload["unit"] or "",
            )
            view = _close_in(uow, admin=admin, change=change, status=ChangeStatus.CONFIRMED)
            uow.commit()
            return view
        if _is_stale(rt, uow.session, change):
            raise Conflict(
                "this proposal is stale: the policy in force changed after it was made; "
                "propose it again",
                code="change.stale_policy",
            )
    if apply_policy is None:
        raise PolicyRefusal(
            "policy changes cannot be applied here yet; use the CLI", code="change.policy_not_here"
        )
    apply_policy(rt, admin, payload)
    return _close(rt, admin=admin, change_id=change_id, status=ChangeStatus.CONFIRMED, reason=None)


def reject(rt: Runtime, *, admin: str, change_id: int, reason: str) -> ChangeView:
    """Withdraw (the proposer) or turn down (another admin) a proposal; nothing is applied."""
    if not reason.strip():
        raise BadInput(
            "a reason is required to reject a proposed change; say why",
            code="change.reason_required",
        )
    with rt.readers() as session:
        _load_pending(session, change_id)
        _admin(session, admin)
    return _close(
        rt, admin=admin, change_id=change_id, status=ChangeStatus.REJECTED, reason=reason.strip()
    )


def _close(
    rt: Runtime, *, admin: str, change_id: int, status: ChangeStatus, reason: str | None
) -> ChangeView:
    with rt.uow() as uow:
        change = _load_pending(uow.session, change_id)
        view = _close_in(uow, admin=admin, change=change, status=status, reason=reason)
        uow.commit()
    return view


def _close_in(
    uow: UnitOfWork,
    *,
    admin: str,
    change: PendingChange,
    status: ChangeStatus,
    reason: str | None = None,
) -> ChangeView:
    decider = _admin(uow.session, admin)
    change.status = status.value
    change.decided_by = decider.id
    change.decided_at = datetime.now(UTC)
    change.reason = reason
    uow.session.flush()
    view = _view(uow.session, change)
    if status is ChangeStatus.CONFIRMED:
        uow.record(
            Event(
                "admin.change_confirmed",
                actor=decider.username,
                body={
                    "change": change.id,
                    "kind": change.kind,
                    "target": change.target,
                    "proposed_by": view.proposed_by,
                    "confirmed_by": decider.username,
                    "before": change.before,
                    "after": change.payload
                    if change.kind == ChangeKind.ROLES.value
                    else {"policy_hash": change.target},
                },
            )
        )
    return view


def _is_stale(rt: Runtime, session: Session, change: PendingChange) -> bool:
    if change.status != ChangeStatus.PENDING.value:
        return False
    if change.kind == ChangeKind.ROLES.value:
        target = session.scalar(select(User).where(User.username == change.target))
        return target is None or _roles_snapshot(target) != change.before
    return rt.policy.content_hash != change.before.get("policy_hash")


def list_changes(rt: Runtime, *, status: ChangeStatus | None = None) -> list[ChangeView]:
    with rt.readers() as session:
        query = select(PendingChange).order_by(PendingChange.id.desc()).limit(200)
        if status is not None:
            query = query.where(PendingChange.status == status.value)
        return [
            replace(_view(session, c), stale=_is_stale(rt, session, c))
            for c in session.scalars(query)
        ]
