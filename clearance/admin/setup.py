"""First-run setup: while the installation has one administrator and no roster, that
administrator builds the initial roster (units, approvers with their sign-off roles, auditors,
a second administrator) in one reviewed step.

``plan`` checks a roster and changes nothing (the review page shows it); ``apply`` checks it
again with the administrator's password, creates every account in one transaction and logs one
``admin.roster_set_up`` event whose grants the release point replays like ``user.registered``
(``clearance.services.grants``). Once it is applied the installation has two administrators and
a roster, so the step can never run again: every later role change is a proposal another
administrator confirms.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.auditlog.models import entries
from clearance.domain.roles import Role, parse_roles
from clearance.errors import BadInput, Conflict
from clearance.events import Event
from clearance.runtime import Runtime
from clearance.services import users as user_service
from clearance.storage.models import User

ROSTER_EVENT = "admin.roster_set_up"
MAX_PEOPLE = 200
#: roles that make up a roster: once anyone holds one, the installation is set up
ROSTER_ROLES = frozenset({Role.APPROVER.value, Role.AUDITOR.value})


@dataclass(frozen=True, slots=True)
class Person:
    username: str
    display_name: str
    roles: tuple[str, ...]
    signoff_roles: tuple[str, ...] = ()
    unit: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Roster:
    units: tuple[str, ...]
    people: tuple[Person, ...]


@dataclass(frozen=True, slots=True)
class Created:
    username: str
    display_name: str
    one_time_password: str


def _admins(session: Session) -> list[User]:
    return [
        u
        for u in session.scalars(select(User).where(User.active.is_(True)))
        if Role.ADMIN.value in u.role_set
    ]


def closed_reason(session: Session) -> str | None:
    """Why the setup cannot run now (None: it can). Fails closed on any sign of a roster."""
    logged = session.scalar(select(entries.c.seq).where(entries.c.event_type == ROSTER_EVENT))
    if logged is not None:
        return "the initial roster was already set up; change roles on the admin page instead"
    admins = _admins(session)
    if len(admins) != 1:
        return (
            f"the installation has {len(admins)} administrators; the first-run setup is only for "
            "the single first administrator, change roles on the admin page instead"
        )
    for user in session.scalars(select(User)):
        if user.role_set & ROSTER_ROLES or user.signoff_role_set:
            return (
                f"user {user.username!r} already holds a roster role; the first-run setup is "
                "closed, change roles on the admin page instead"
            )
    return None


def is_open(rt: Runtime) -> bool:
    with rt.readers() as session:
        return closed_reason(session) is None


def _check(rt: Runtime, session: Session, admin: str, roster: Roster) -> None:
    reason = closed_reason(session)
    if reason is not None:
        raise Conflict(reason, code="setup.closed")
    actor = user_service.get_user(session, admin)
    user_service.require_role(actor, Role.ADMIN)
    units = [u.strip() for u in roster.units if u.strip()]
    if len(set(units)) != len(units):
        raise BadInput("a unit is listed twice; list each unit once", code="setup.unit_twice")
    if not roster.people:
        raise BadInput(
            "the roster is empty; add the approvers, an auditor and a second admin",
            code="setup.roster_empty",
        )
    if len(roster.people) > MAX_PEOPLE:
        raise BadInput(
            f"the roster has {len(roster.people)} people; set up at most {MAX_PEOPLE}",
            code="setup.roster_too_large",
            params={"count": len(roster.people), "maximum": MAX_PEOPLE},
        )
    names = [p.username.strip().lower() for p in roster.people]
    if len(set(names)) != len(names):
        raise BadInput(
            "a username is listed twice; give each person one username", code="setup.username_twice"
        )
    if actor.username in names:
        raise BadInput(
            "the setup cannot change your own account; give the roles to other people "
            "(a second administrator confirms any change to yours)",
            code="setup.own_account",
        )
    known = set(rt.policy.signoff_roles)
    admins = 0
    for person in roster.people:
        roles = parse_roles(list(person.roles))
        if Role.ADMIN in roles:
            admins += 1
        unknown = sorted(set(person.signoff_roles) - known)
        if unknown:
            raise BadInput(
                f"{person.username}: unknown sign-off role {unknown[0]!r}; "
                f"use one of {', '.join(sorted(known))}",
                code="setup.unknown_signoff_role",
                params={
                    "username": person.username,
                    "role": unknown[0],
                    "allowed": ", ".join(sorted(known)),
                },
            )
        if person.signoff_roles and Role.APPROVER not in roles:
            raise BadInput(
                f"{person.username}: sign-off roles need the approver role",
                code="setup.signoff_needs_approver",
                params={"username": person.username},
            )
        if Role.APPROVER in roles and not person.signoff_roles:
            raise BadInput(
                f"{person.username}: an approver needs at least one sign-off role",
                code="setup.approver_needs_signoff_role",
                params={"username": person.username},
            )
        if Role.APPROVER in roles and Role.ADMIN in roles:
            raise BadInput(
                f"{person.username}: one person cannot both grant roles and sign off; "
                "give the approver and the administrator roles to different people",
                code="setup.approver_and_admin",
                params={"username": person.username},
            )
        if person.unit and units and person.unit not in units:
            raise BadInput(
                f"{person.username}: unit {person.unit!r} is not in the list of units",
                code="setup.unit_unknown",
                params={"username": person.username, "unit": person.unit},
            )
    if admins < 1:
        raise BadInput(
            "the roster needs a second administrator (dual control starts with them)",
            code="setup.second_admin_missing",
        )


def plan(rt: Runtime, *, admin: str, roster: Roster) -> Roster:
    """Check ``roster`` for the review page; nothing is written."""
    with rt.readers() as session:
        _check(rt, session, admin, roster)
    return roster


def apply(rt: Runtime, *, admin: str, password: str, roster: Roster) -> list[Created]:
    """Create the roster in one transaction, logged as one event; the one-time passwords are
    returned (shown once). Refused once the setup has run, or with a wrong password."""
    user_service.confirm_password(rt, admin, password)
    created: list[Created] = []
    with rt.uow() as uow:
        # one setup at a time: the admin's row is locked (PostgreSQL; SQLite serialises writers)
        uow.session.execute(select(User.id).where(User.username == admin).with_for_update())
        _check(rt, uow.session, admin, roster)
        grants = []
        for person in roster.people:
            user, generated = user_service.create_in(
                uow.session,
                username=person.username,
                display_name=person.display_name,
                roles=list(person.roles),
                unit=person.unit or None,
                email=person.email or None,
                signoff_roles=list(person.signoff_roles),
            )
            grants.append(user_service.grant_body(user))
            created.append(Created(user.username, user.display_name, generated or ""))
        uow.record(
            Event(
                ROSTER_EVENT,
                actor=admin,
                body={
                    "set_up_by": admin,
                    "units": sorted({u.strip() for u in roster.units if u.strip()}),
                    "users": grants,
                },
            )
        )
        uow.commit()
    return created
