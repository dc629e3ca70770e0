"""User accounts: add, list, change roles, authenticate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

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
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


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
        raise NotFound(f"there is no user {username!r}; list users with `clearance users list`")
    return user


def require_role(user: User, role: Role) -> None:
    if role.value not in user.role_set or not user.active:
        raise NotPermitted(
            f"user {user.username!r} does not have the {role.value} role; "
            f"an administrator can grant it with `clearance users set-role`"
        )


def _parse_signoff_roles(raw: str | list[str] | None) -> frozenset[str]:
    if raw is None:
        return frozenset()
    names = raw.replace(",", " ").split() if isinstance(raw, str) else raw
    for name in names:
        if not _SIGNOFF_ROLE.match(name):
            raise BadInput(
                f"sign-off role {name!r} is not a valid name; use lowercase letters, digits and _"
            )
    return frozenset(names)


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(
            f"the password is too short ({len(password)} characters); "
            f"use at least {MIN_PASSWORD_LENGTH}"
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
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise BadInput(
            f"username {username!r} is not valid; use 2-64 lowercase letters, digits, . _ -"
        )
    role_set = parse_roles(roles)
    sign_roles = _parse_signoff_roles(signoff_roles)
    if sign_roles and Role.APPROVER not in role_set:
        raise BadInput("sign-off roles can only be given to a user with the approver role")
    generated = None
    if password is None:
        generated = password = one_time_password()
    else:
        validate_password(password)
    with rt.uow() as uow:
        if uow.session.scalar(select(User.id).where(User.username == name)) is not None:
            raise BadInput(f"user {name!r} already exists; choose another username")
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
        uow.session.add(user)
        uow.session.flush()
        uow.record(
            Event(
                "user.registered",
                actor=actor,
                body={
                    "username": name,
                    "roles": sorted(r.value for r in role_set),
                    "signoff_roles": sorted(sign_roles),
                    "unit": unit,
                },
            )
        )
        view = UserView.of(user)
        uow.commit()
    return view, generated


def list_users(rt: Runtime) -> list[UserView]:
    with rt.readers() as session:
        return [UserView.of(u) for u in session.scalars(select(User).order_by(User.username))]


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
            raise BadInput("sign-off roles can only be given to a user with the approver role")
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
        user.failed_logins = 0
        user.locked_until = None
        uow.record(Event("user.password_reset", actor=actor, body={"username": user.username}))
        uow.commit()
    return password


def authenticate(rt: Runtime, username: str, password: str) -> UserView:
    """Check a password with lockout after repeated failures. Raises PolicyRefusal on failure."""
    now = datetime.now(UTC)
    refused = PolicyRefusal("the username or password is wrong; try again")
    with rt.uow() as uow:
        user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None or not user.active:
            verify_password(hash_password("timing-equaliser"), password)
            raise refused
        if user.locked_until is not None and user.locked_until > now:
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            raise PolicyRefusal(
                f"the account is locked after repeated failed logins; try again in {minutes} min"
            )
        if not verify_password(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
            uow.commit()
            raise refused
        user.failed_logins = 0
        user.locked_until = None
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        view = UserView.of(user)
        uow.commit()
    return view


def change_password(rt: Runtime, *, username: str, old: str, new: str) -> None:
    validate_password(new)
    with rt.uow() as uow:
        user = get_user(uow.session, username)
        if not verify_password(user.password_hash, old):
            raise PolicyRefusal("the current password is wrong; try again")
        user.password_hash = hash_password(new)
        user.must_change_password = False
        uow.commit()
