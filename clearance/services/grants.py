"""What the audit log grants an account: sign-off roles, unit and signing key, replayed from
the logged account events (``user.registered``, ``user.roles_changed``, the first-run
``admin.roster_set_up``, ``key.registered``, ``key.rotated``) with the offline verifier's own rule (``clearance.auditlog.workflow``).

The ``users`` and ``approver_keys`` tables are a convenience for listing and login; the
release point and sign-off acceptance count only what these logged, service-made events say, so
a role or unit written into a table by anyone holding the database does not count. A mismatch
is refused by the caller and reported here as an ``account.grant_unlogged`` entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from clearance.auditlog.entry import parse_leaf
from clearance.auditlog.models import entries
from clearance.auditlog.note import Verifier
from clearance.auditlog.rfc6962 import leaf_hash
from clearance.auditlog.workflow import Workflow
from clearance.errors import BadInput, VerificationError
from clearance.events import Event
from clearance.runtime import Runtime
from clearance.storage.models import User

ACCOUNT_EVENTS = (
    "user.registered",
    "user.roles_changed",
    "admin.roster_set_up",
    "key.registered",
    "key.rotated",
)
ROSTER_EVENT = "admin.roster_set_up"
UNLOGGED_EVENT = "account.grant_unlogged"


@dataclass(frozen=True, slots=True)
class Grants:
    """An account as the audit log knows it, up to (not including) entry ``before``."""

    username: str
    signoff_roles: frozenset[str]
    unit: str | None
    key: Verifier | None
    known: bool  # the log registered this account at all


def _replay(
    session: Session | Connection, *, only: str | None, before: int | None
) -> tuple[Workflow, set[str]]:
    """Feed the logged account events (of ``only``, or of everyone) to the verifier's rule.

    Each leaf read is checked against its stored hash; a damaged leaf raises
    ``VerificationError`` (``clearance audit verify`` then says where)."""
    query = (
        select(entries.c.seq, entries.c.leaf, entries.c.leaf_hash)
        .where(entries.c.event_type.in_(ACCOUNT_EVENTS))
        .order_by(entries.c.seq)
    )
    if before is not None:
        query = query.where(entries.c.seq < before)
    replay = Workflow()
    registered: set[str] = set()
    for seq, leaf, stored_hash in session.execute(query):
        raw = bytes(leaf)
        if leaf_hash(raw) != bytes(stored_hash):
            raise VerificationError(
                f"audit entry {seq} does not match its recorded hash; run `clearance audit verify`",
                code="grants.entry_hash",
                params={"seq": seq},
            )
        try:
            entry = parse_leaf(raw)
        except BadInput as exc:
            raise VerificationError(
                f"audit entry {seq} is unreadable: {exc}",
                code="grants.entry_unreadable",
                params={"seq": seq, "detail": str(exc)},
            ) from exc
        if entry.seq != seq:
            raise VerificationError(
                f"audit entry {seq} says it is entry {entry.seq}",
                code="grants.entry_seq",
                params={"seq": seq, "found": entry.seq},
            )
        if entry.type == ROSTER_EVENT:  # the first-run roster: many accounts in one entry
            people = entry.body.get("users")
            for person in people if isinstance(people, list) else []:
                if isinstance(person, dict) and isinstance(person.get("username"), str):
                    registered.add(str(person["username"]))
            replay.apply(int(seq), entry)
            continue
        name = entry.body.get("username")
        if only is not None and name != only:
            continue
        if entry.type == "user.registered" and isinstance(name, str):
            registered.add(name)
        replay.apply(int(seq), entry)
    return replay, registered


def _grants(replay: Workflow, registered: set[str], name: str) -> Grants:
    return Grants(
        username=name,
        signoff_roles=replay.roles.get(name, frozenset()),
        unit=replay.units.get(name),
        key=replay.keys.get(name),
        known=name in registered,
    )


def logged_grants(
    session: Session | Connection, username: str, *, before: int | None = None
) -> Grants:
    """Replay the logged account events of ``username`` (those before log entry ``before``)."""
    name = username.strip().lower()
    replay, registered = _replay(session, only=name, before=before)
    return _grants(replay, registered, name)


@dataclass(frozen=True, slots=True)
class Divergence:
    """Where the ``users`` table gives an account more than the log granted."""

    username: str
    unlogged_roles: frozenset[str]
    table_unit: str | None
    logged_unit: str | None

    @property
    def unit_differs(self) -> bool:
        return self.table_unit != self.logged_unit

    def describe(self) -> str:
        parts = []
        if self.unlogged_roles:
            parts.append("sign-off role " + ", ".join(sorted(self.unlogged_roles)))
        if self.unit_differs:
            parts.append(f"unit {self.table_unit or 'none'} (logged: {self.logged_unit or 'none'})")
        return " and ".join(parts)


def divergence(user: User, grants: Grants) -> Divergence | None:
    """What the table says beyond the log for ``user``, or None when they agree."""
    extra = user.signoff_role_set - grants.signoff_roles
    found = Divergence(user.username, frozenset(extra), user.unit, grants.unit)
    return found if extra or found.unit_differs else None


def unlogged_grants(session: Session) -> list[Divergence]:
    """Every account whose table row gives more than the log granted (the admin page)."""
    replay, registered = _replay(session, only=None, before=None)
    found = []
    for user in session.scalars(select(User).order_by(User.username)):
        one = divergence(user, _grants(replay, registered, user.username))
        if one is not None:
            found.append(one)
    return found


def report_unlogged(
    rt: Runtime, found: Divergence, *, where: str, item_id: str | None = None
) -> None:
    """Log that ``where`` (``release`` or ``signoff``) refused an account granted outside the
    service, once per account, what it claims and item (a retried release reports once)."""
    body = {
        "username": found.username,
        "unlogged_roles": sorted(found.unlogged_roles),
        "table_unit": found.table_unit,
        "logged_unit": found.logged_unit,
        "where": where,
    }
    with rt.uow() as uow:
        query = select(entries.c.leaf).where(entries.c.event_type == UNLOGGED_EVENT)
        if item_id is not None:
            query = query.where(entries.c.item_id == item_id)
        for (leaf,) in uow.session.execute(query):
            seen = parse_leaf(bytes(leaf)).body
            if {k: seen.get(k) for k in body if k != "where"} == {
                k: v for k, v in body.items() if k != "where"
            }:
                return
        uow.record(Event(UNLOGGED_EVENT, actor=None, item_id=item_id, body=body))
        uow.commit()
