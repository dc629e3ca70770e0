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
from datetime import datetime
from functools import wraps
from typing import ParamSpec, TypeVar, cast

from flask import abort, g
from flask_login import current_user, fresh_login_required, login_required
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import aliased

from clearance.policy import Policy
from clearance.storage.models import Decision, Item, Revision, SignoffRequest
from webapp.context import me, read_connection, runtime
from webapp.fastsql import Prepared
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


@dataclass(frozen=True, slots=True)
class ItemHead:
    """What access checks read: the item, its current revision, and whether I decided on it."""

    item_id: str
    author_id: int
    state: str
    current_revision: int
    revision_id: int | None  # None only if the current revision row is missing
    level: str | None
    declared_level: str | None
    decided_by_me: bool


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One sign-off request of a revision."""

    stage: int
    stage_name: str
    roles: tuple[str, ...]
    created_at: datetime


_MINE = aliased(Revision)
# built once: constructing these statements costs more than running them
_HEAD = Prepared(
    select(
        Item.id,
        Item.author_id,
        Item.state,
        Item.current_revision,
        Revision.id,
        Revision.level,
        Revision.declared_level,
        select(Decision.id)
        .join(_MINE, _MINE.id == Decision.revision_id)
        .where(_MINE.item_id == Item.id, Decision.approver_id == bindparam("me"))
        .exists(),
    )
    .outerjoin(
        Revision, and_(Revision.item_id == Item.id, Revision.number == Item.current_revision)
    )
    .where(Item.id == bindparam("item_id"))
)
_REQUESTS = Prepared(
    select(
        SignoffRequest.stage,
        SignoffRequest.stage_name,
        SignoffRequest.roles,
        SignoffRequest.created_at,
    )
    .where(SignoffRequest.revision_id == bindparam("revision_id"))
    .order_by(SignoffRequest.id)
)


def item_head(item_id: str) -> ItemHead | None:
    """The item's head for the signed-in user, read once per request (one query)."""
    memo: dict[str, ItemHead | None] = g.setdefault("clearance_heads", {})
    if item_id not in memo:
        row = _HEAD.first(read_connection(), {"item_id": item_id, "me": me().id})
        memo[item_id] = ItemHead(*row) if row is not None else None
    return memo[item_id]


def signoff_requests(revision_id: int) -> tuple[RequestRow, ...]:
    """The sign-off requests of a revision, read once per request (one query)."""
    memo: dict[int, tuple[RequestRow, ...]] = g.setdefault("clearance_requests", {})
    if revision_id not in memo:
        memo[revision_id] = tuple(
            RequestRow(stage, name, tuple(roles or ()), created_at)
            for stage, name, roles, created_at in _REQUESTS.rows(
                read_connection(), {"revision_id": revision_id}
            )
        )
    return memo[revision_id]


def routed_to(head: ItemHead, policy: Policy, user: WebUser) -> bool:
    """The item is in front of ``user`` as an approver: they decided on one of its revisions,
    or, while it is in or past sign-off, a request of its current revision names one of their
    roles or its level's chain does."""
    if not user.has("approver") or head.revision_id is None:
        return False
    if head.decided_by_me:
        return True
    if head.state not in ROUTED_STATES:
        return False
    mine = user.view.signoff_roles
    if not mine:
        return False
    if any(mine & set(r.roles) for r in signoff_requests(head.revision_id)):
        return True
    return bool(mine & chain_roles(policy, head.level or head.declared_level))


@dataclass(frozen=True, slots=True)
class Access:
    item_id: str
    capacity: str  # author | approver | auditor


def item_access(
    item_id: str, *, allow: tuple[str, ...] = ("author", "approver", "auditor")
) -> Access:
    """The capacity in which the signed-in user may see ``item_id``, or 404."""
    user = me()
    head = item_head(item_id)
    if head is None:
        abort(404)
        raise AssertionError  # pragma: no cover - abort raises
    if "author" in allow and user.has("author") and head.author_id == user.id:
        return Access(item_id, "author")
    if "approver" in allow and routed_to(head, runtime().policy, user):
        return Access(item_id, "approver")
    if "auditor" in allow and user.has("auditor"):
        return Access(item_id, "auditor")
    abort(404)
    return None  # pragma: no cover - abort raises
