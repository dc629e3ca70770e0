"""Who may reach what: role checks on every view and object-level checks on every item.

The rule of who reads which item is the core's (``clearance.services.access``); this module
reads the item's head once per request, asks the core, and answers 404 (so an item's existence
is not revealed). Admins manage users, roles, keys and policy, not item content (unless they
also hold another role).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar, cast

from flask import abort, g
from flask_login import current_user, fresh_login_required, login_required
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import aliased

from clearance.policy import Policy
from clearance.services.access import Reader, approver_reads
from clearance.storage.models import Decision, Item, Revision, User
from webapp.context import me, read_connection, runtime
from webapp.fastsql import Prepared
from webapp.users import WebUser

P = ParamSpec("P")
R = TypeVar("R")


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
    drafting_unit: str | None


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
        User.unit,
    )
    .join(User, User.id == Item.author_id)
    .outerjoin(
        Revision, and_(Revision.item_id == Item.id, Revision.number == Item.current_revision)
    )
    .where(Item.id == bindparam("item_id"))
)


def item_head(item_id: str) -> ItemHead | None:
    """The item's head for the signed-in user, read once per request (one query)."""
    memo: dict[str, ItemHead | None] = g.setdefault("clearance_heads", {})
    if item_id not in memo:
        row = _HEAD.first(read_connection(), {"item_id": item_id, "me": me().id})
        memo[item_id] = ItemHead(*row) if row is not None else None
    return memo[item_id]


def reader_of(user: WebUser) -> Reader:
    view = user.view
    return Reader(view.id, frozenset(view.roles), frozenset(view.signoff_roles), view.unit)


def routed_to(head: ItemHead, policy: Policy, user: WebUser) -> bool:
    """The item is in front of ``user`` as an approver (the core's rule)."""
    if head.revision_id is None:
        return False
    return approver_reads(
        policy,
        reader_of(user),
        state=head.state,
        level=head.level or head.declared_level,
        drafting_unit=head.drafting_unit,
        decided=head.decided_by_me,
    )


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
