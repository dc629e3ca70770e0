"""User accounts: add, list, change roles, authenticate."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.accounts import sessions, throttle
from clearance.domain.roles import Role, format_roles, parse_roles
from clearance.errors import BadInput, NotFound, NotPermitted, PolicyRefusal
from clearance.events import Event
from clearance.runtime import Runtime
from clearance.services.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    one_time_password,
    verify_password,
)
from clearance.storage.models import User
from clearance.storage.uow import UnitOfWork

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_SIGNOFF_ROLE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    username: str
    display_name: str
    email: str | None
    unit: str | None
    roles: frozenset[str]
    signoff_roles: frozenset[str]
    active: bool
    must_change_password: bool

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            unit=user.unit,
            roles=user.role_set,
            signoff_roles=user.signoff_role_set,
            active=user.active,
            must_change_password=user.must_change_password,
        )


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(
            f"there is no user {username!r}; list users with `clearance users list`",
            code="user.not_found",
            params={"username": username},
        )
    return user


def require_role(user: User, role: Role) -> None:
    if role.value not in user.role_set or not user.active:
        raise NotPermitted(
            f"user {user.username!r} does not have the {role.value} role; "
            f"an administrator can grant it with `clearance users set-role`",
            code="user.lacks_role",
            params={"username": user.username, "role": role.value},
        )


def _parse_signoff_roles(raw: str | list[str] | None) -> frozenset[str]:
    if raw is None:
        return frozenset()
    names = raw.replace(",", " ").split() if isinstance(raw, str) else raw
    for name in names:
        if not _SIGNOFF_ROLE.match(name):
            raise BadInput(
                f"sign-off role {name!r} is not a valid name; use lowercase letters, digits and _",
                code="roles.signoff_role_invalid",
                params={"role": name},
            )
    return frozenset(names)


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(
            f"the password is too short ({len(password)} characters); "
            f"use at least {MIN_PASSWORD_LENGTH}",
            code="password.too_short",
            params={"length": len(password), "minimum": MIN_PASSWORD_LENGTH},
        )


def add_user(
    rt: Runtime,
    *,
    actor: str | None,
    username: str,
    display_name: str | None = None,
    roles: str | list[str],
    unit: str | None = None,
    email: str | None = None,
    signoff_roles: str | list[str] | None = None,
    password: str | None = None,
) -> tuple[UserView, str | None]:
    """Create a user. Returns the user and the one-time password when none was given."""
    if password is not None:
        validate_password(password)
    with rt.uow() as uow:
        user, generated = create_in(
            uow.session,
            username=username,
            display_name=display_name,
            roles=roles,
            unit=unit,
            email=email,
            signoff_roles=signoff_roles,
            password=password,
        )
        uow.record(Event("user.registered", actor=actor, body=grant_body(user)))
        view = UserView.of(user)
        uow.commit()
    return view, generated


def grant_body(user: User) -> dict[str, object]:
    """What the log records of a new account's grants (``user.registered``, the roster)."""
    return {
        "username": user.username,
        "roles": sorted(user.role_set),
        "signoff_roles": sorted(user.signoff_role_set),
        "unit": user.unit,
    }


def create_in(
    session: Session,
    *,
    username: str,
    display_name: str | None,
    roles: str | list[str],
    unit: str | None,
    email: str | None,
    signoff_roles: str | list[str] | None,
    password: str | None = None,
) -> tuple[User, str | None]:
    """Add a user row in the caller's transaction (the caller logs it); returns the row and its
    one-time password when none was given."""
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise BadInput(
            f"username {username!r} is not valid; use 2-64 lowercase letters, digits, . _ -",
            code="user.username_invalid",
            params={"username": username},
        )
    role_set = parse_roles(roles)
    sign_roles = _parse_signoff_roles(signoff_roles)
    if sign_roles and Role.APPROVER not in role_set:
        raise BadInput(
            "sign-off roles can only be given to a user with the approver role",
            code="roles.signoff_needs_approver",
        )
    generated = None
    if password is None:
        generated = password = one_time_password()
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise BadInput(
            f"user {name!r} already exists; choose another username",
            code="user.exists",
            params={"username": name},
        )
    user = User(
        username=name,
        display_name=(display_name or name).strip(),
        email=email,
        unit=unit,
        roles=format_roles({r.value for r in role_set}),
        signoff_roles=format_roles(set(sign_roles)),
        password_hash=hash_password(password),
        must_change_password=generated is not None,
    )
    session.add(user)
    session.flush()
    return user, generated


def list_users(rt: Runtime) -> list[UserView]:
    with rt.readers() as session:
        return [UserView.of(u) for u in session.scalars(select(User).order_by(User.username))]


def refuse_when_dual_controlled(rt: Runtime) -> None:
    """A role change applied by one operator (the command line) is allowed only while the
    installation has fewer than two active administrators (setting it up); from the second
    administrator on, every grant goes through a proposal that another administrator confirms
    (the admin page), so no single person can grant a role that counts at the release point."""
    with rt.readers() as session:
        admins = [
            u
            for u in session.scalars(select(User).where(User.active.is_(True))).all()
            if Role.ADMIN.value in u.role_set
        ]
    if len(admins) >= 2:
        raise PolicyRefusal(
            f"this installation has {len(admins)} administrators, so a role change needs a "
            "second administrator's confirmation: propose it on the admin page (Users) and have "
            "another administrator confirm it",
            code="roles.dual_control",
            params={"admins": len(admins)},
        )


def set_roles(
    rt: Runtime,
    *,
    actor: str | None,
    username: str,
    roles: str | list[str],
    signoff_roles: str | list[str] | None = None,
    unit: str | None = None,
) -> UserView:
    """Replace a user's roles in a transaction of its own."""
    with rt.uow() as uow:
        view = set_roles_in(
            uow,
            actor=actor,
            username=username,
            roles=roles,
            signoff_roles=signoff_roles,
            unit=unit,
        )
        uow.commit()
    return view


def set_roles_in(
    uow: UnitOfWork,
    *,
    actor: str | None,
    username: str,
    roles: str | list[str],
    signoff_roles: str | list[str] | None = None,
    unit: str | None = None,
) -> UserView:
    """Replace a user's roles inside the caller's unit of work (e.g. an admin confirmation)."""
    role_set = parse_roles(roles)
    user = get_user(uow.session, username)
    before = {"roles": sorted(user.role_set), "signoff_roles": sorted(user.signoff_role_set)}
    user.roles = format_roles({r.value for r in role_set})
    if signoff_roles is not None:
        sign_roles = _parse_signoff_roles(signoff_roles)
        if sign_roles and Role.APPROVER not in role_set:
            raise BadInput(
                "sign-off roles can only be given to a user with the approver role",
                code="roles.signoff_needs_approver",
            )
        user.signoff_roles = format_roles(set(sign_roles))
    elif Role.APPROVER not in role_set:
        user.signoff_roles = ""
    if unit is not None:
        user.unit = unit or None
    uow.record(
        Event(
            "user.roles_changed",
            actor=actor,
            body={
                "username": user.username,
                "before": before,
                "after": {
                    "roles": sorted(user.role_set),
                    "signoff_roles": sorted(user.signoff_role_set),
                },
                "unit": user.unit,
            },
        )
    )
    return UserView.of(user)


def reset_password(rt: Runtime, *, actor: str | None, username: str) -> str:
    """Give a user a new one-time password (changed at next login); returns it, shown once."""
    password = one_time_password()
    with rt.uow() as uow:
        user = get_user(uow.session, username)
        user.password_hash = hash_password(password)
        user.must_change_password = True
        sessions.revoke_user(uow.session, user.id)
        uow.record(Event("user.password_reset", actor=actor, body={"username": user.username}))
        uow.commit()
    return password


class LoginRefused(PolicyRefusal):
    """Every failed login, whatever the reason: one message, so it reveals nothing."""

    def __init__(self) -> None:
        super().__init__(
            "the username or password is wrong, or there were too many attempts from here; "
            "check them and try again in a few minutes",
            code="login.refused",
        )


@cache
def _dummy_hash() -> str:
    """An argon2 hash with the current parameters, verified for missing or inactive users
    so that every login costs one verification (made once per process: ``prepare_login``)."""
    return hash_password(secrets.token_urlsafe(24))


def prepare_login() -> None:
    """Make the dummy hash now (the web app calls it at start), so not even the first login
    of a missing user in this process pays for a hash."""
    _dummy_hash()


def authenticate(rt: Runtime, username: str, password: str, *, address: str = "local") -> UserView:
    """Check a password, throttled per (``address``, username). Raises ``LoginRefused``.

    Every attempt runs exactly one argon2 verification and writes the throttle row, whether
    the username exists, is inactive, or its pair is waiting; only success is different."""
    now = datetime.now(UTC)
    name = username.strip().lower()
    with rt.uow() as uow:
        session = uow.session
        user = session.scalar(select(User).where(User.username == name))
        waiting = throttle.blocked(session, address, name, now)
        usable = user is not None and user.active
        stored = user.password_hash if usable and user is not None else _dummy_hash()
        matches = verify_password(stored, password)
        if not (matches and usable and not waiting) or user is None:
            throttle.record_failure(session, address, name, now, rt.settings)
            uow.commit()
            raise LoginRefused()
        throttle.clear(session, address, name)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        view = UserView.of(user)
        uow.commit()
    return view


def confirm_password(rt: Runtime, username: str, password: str) -> None:
    """The step-up of a signed-in user before signing: the password again, checked without any
    lock (failed logins by others never stop the owner signing). Raises ``PolicyRefusal``."""
    with rt.readers() as session:
        user = get_user(session, username)
        stored = user.password_hash if user.active else _dummy_hash()
        ok = verify_password(stored, password) and user.active
    if not ok:
        raise PolicyRefusal(
            "the password is wrong; enter your own password to sign", code="password.wrong_to_sign"
        )


def change_password(rt: Runtime, *, username: str, old: str, new: str) -> None:
    validate_password(new)
    with rt.uow() as uow:
        user = get_user(uow.session, username)
        if not verify_password(user.password_hash, old):
            raise PolicyRefusal(
                "the current password is wrong; try again", code="password.current_wrong"
            )
        user.password_hash = hash_password(new)
        user.must_change_password = False
        sessions.revoke_user(uow.session, user.id)
        uow.record(Event("user.password_changed", actor=user.username,
                         body={"username": user.username}))  # fmt: skip
        uow.commit()
