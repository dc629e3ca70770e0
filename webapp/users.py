"""The flask-login user: a read-only view of the account, keyed so a password change ends
every other session."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from clearance.accounts.sessions import ACCOUNT_COLUMNS
from clearance.services.users import UserView
from clearance.storage.models import User


def fingerprint_of(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def session_fingerprint(user: User) -> str:
    return fingerprint_of(user.password_hash)


#: the columns a request needs to know who is signed in (read with the session: ``peek``)
USER_COLUMNS = ACCOUNT_COLUMNS
#: built once: a statement built per request costs more to construct than to run
_BY_ID = select(*USER_COLUMNS).where(User.id == bindparam("user_id"))


def load_web_user(
    connection: Connection,
    user_id: int,
    fingerprint: str,
    *,
    account: tuple[Any, ...] | None = None,
) -> WebUser | None:
    """The signed-in user from ``account`` (its ``USER_COLUMNS``, read with the session) when it
    is this user's, else from one narrow Core query; None when unknown, inactive, or the password
    changed since the session began. Runs on every request: no ORM instance, no argon2."""
    row: Any = account if account is not None and account[0] == user_id else None
    if row is None:
        row = connection.execute(_BY_ID, {"user_id": user_id}).first()
    if row is None:
        return None
    (uid, username, display, email, unit, roles, signoff, active, must_change, password_hash) = row
    if not active or fingerprint_of(password_hash) != fingerprint:
        return None
    view = UserView(
        id=uid,
        username=username,
        display_name=display,
        email=email,
        unit=unit,
        roles=frozenset((roles or "").split()),
        signoff_roles=frozenset((signoff or "").split()),
        active=bool(active),
        must_change_password=bool(must_change),
    )
    return WebUser(view, fingerprint)


@dataclass(frozen=True)
class WebUser:
    view: UserView
    fingerprint: str

    # flask-login protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.view.id}:{self.fingerprint}"

    @property
    def id(self) -> int:
        return self.view.id

    @property
    def username(self) -> str:
        return self.view.username

    @property
    def display_name(self) -> str:
        return self.view.display_name

    @property
    def roles(self) -> frozenset[str]:
        return self.view.roles

    def has(self, role: str) -> bool:
        return role in self.view.roles

    @classmethod
    def of(cls, user: User) -> WebUser:
        return cls(UserView.of(user), session_fingerprint(user))
