"""Who may reach what: role checks on every view and object-level checks on every item.

The rule of who reads which item is the core's (``clearance.readmodels.access``); this module
asks for the item's head once per request, asks the core, and answers 404 (so an item's existence
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

from clearance.readmodels.access import CAPACITIES, ItemHead, capacity
from clearance.readmodels.access import item_head as read_head
from clearance.services.access import Reader
from webapp.context import me, read_connection, runtime
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


def item_head(item_id: str) -> ItemHead | None:
    """The item's head for the signed-in user, read once per request (the core's read model)."""
    memo: dict[str, ItemHead | None] = g.setdefault("clearance_heads", {})
    if item_id not in memo:
        memo[item_id] = read_head(read_connection(), item_id, me().id)
    return memo[item_id]


def reader_of(user: WebUser) -> Reader:
    view = user.view
    return Reader(view.id, frozenset(view.roles), frozenset(view.signoff_roles), view.unit)


@dataclass(frozen=True, slots=True)
class Access:
    item_id: str
    capacity: str  # author | approver | auditor


def item_capacity(item_id: str, *, allow: tuple[str, ...] = CAPACITIES) -> str | None:
    """The capacity in which the signed-in user may see ``item_id`` (the core's rule), or None."""
    return capacity(runtime().policy, reader_of(me()), item_head(item_id), allow)


def item_access(item_id: str, *, allow: tuple[str, ...] = CAPACITIES) -> Access:
    """The capacity in which the signed-in user may see ``item_id`` (the core's rule), or 404."""
    found = item_capacity(item_id, allow=allow)
    if found is None:
        abort(404)
    return Access(item_id, found)
