"""Who may reach what: role checks on every view and object-level checks on every item.

- author: only items they authored;
- approver: only items routed to them (their sign-off roles appear in the item's chain while it is
  in or past sign-off, an open sign-off request names one of their roles, or they decided on it);
- auditor: reads every item, changes nothing;
- admin: users, roles, keys and policy, not item content (unless they also hold another role).
Items a user may not see answer 404, so their existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar, cast

from flask import abort, g
from flask_login import current_user, fresh_login_required, login_required
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from clearance.policy import Policy
from clearance.storage.models import Decision, Item, Revision, SignoffRequest
from webapp.context import me, reader, runtime
from webapp.users import WebUser

P = ParamSpec("P")
R = TypeVar("R")

#: states in which an item is (or was) in front of approvers
ROUTED_STATES = frozenset({"awaiting_signoff", "approved", "published", "rejected"})


def role_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Signed in and holding at least one of ``roles``; otherwise 403 (or the login page)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                from flask import current_app

                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
            if not any(me().has(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def signed_in(view: Callable[P, R]) -> Callable[P, R]:
    """Any signed-in user (typed wrapper of flask-login's ``login_required``)."""
    return cast(Callable[P, R], login_required(view))


def fresh(view: Callable[P, R]) -> Callable[P, R]:
    """A fresh login (typed wrapper of flask-login's ``fresh_login_required``)."""
    return cast(Callable[P, R], fresh_login_required(view))


def chain_roles(policy: Policy, level: str | None) -> frozenset[str]:
    """Every sign-off role that appears in the chain of ``level`` (empty when unpublishable)."""
    if level is None:
        return frozenset()
    try:
        chain = policy.chain_for(level)
    except Exception:  # an unknown level has no chain
        return frozenset()
    if chain is None:
        return frozenset()
    roles: set[str] = set()
    for stage in chain.stages:
        for alternative in stage.rule.alternatives():
            for slot in alternative:
                roles |= slot.roles
    return frozenset(roles)


def routed_to(session: Session, policy: Policy, item: Item, user: WebUser) -> bool:
    """Two queries: the current revision with "did I decide on any revision", then the roles
    its sign-off requests name (only when the first does not settle it)."""
    if not user.has("approver"):
        return False
    decided = exists().where(
        Decision.approver_id == user.id,
        Decision.revision_id.in_(select(Revision.id).where(Revision.item_id == item.id)),
    )
    current = session.execute(
        select(Revision.id, Revision.level, Revision.declared_level, decided).where(
            Revision.item_id == item.id, Revision.number == item.current_revision
        )
    ).first()
    if current is None:
        return False
    revision_id, level, declared_level, did_decide = current
    if did_decide:
        return True
    if item.state not in ROUTED_STATES:
        return False
    mine = user.view.signoff_roles
    if not mine:
        return False
    requested = session.scalars(
        select(SignoffRequest.roles).where(SignoffRequest.revision_id == revision_id)
    ).all()
    if any(mine & set(roles or ()) for roles in requested):
        return True
    return bool(mine & chain_roles(policy, level or declared_level))


@dataclass(frozen=True, slots=True)
class Access:
    item_id: str
    capacity: str  # author | approver | auditor


def item_access(
    item_id: str, *, allow: tuple[str, ...] = ("author", "approver", "auditor")
) -> Access:
    """The capacity in which the signed-in user may see ``item_id``, or 404."""
    user = me()
    session = reader()
    item = session.get(Item, item_id)
    if item is None:
        abort(404)
    # the session's identity map holds objects weakly: keeping the item for the request lets
    # the page's later lookups of it (detail, sign-off progress) skip the database
    g.setdefault("clearance_items", []).append(item)
    if "author" in allow and user.has("author") and item.author_id == user.id:
        return Access(item_id, "author")
    if "approver" in allow and routed_to(session, runtime().policy, item, user):
        return Access(item_id, "approver")
    if "auditor" in allow and user.has("auditor"):
        return Access(item_id, "auditor")
    abort(404)
    return None  # pragma: no cover - abort raises
