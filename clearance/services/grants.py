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

from sqlalchemy import Connection, bindparam, select
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


#: the account entries, in log order (each row: seq, leaf, recorded leaf hash); built once
_ACCOUNT_ROWS = (
    select(entries.c.seq, entries.c.leaf, entries.c.leaf_hash)
    .where(entries.c.event_type.in_(ACCOUNT_EVENTS))
    .order_by(entries.c.seq)
)
_ACCOUNT_ROWS_BEFORE = _ACCOUNT_ROWS.where(entries.c.seq < bindparam("before"))

#: the account entries as read: (seq, leaf, recorded hash) in log order
Rows = tuple[tuple[int, bytes, bytes], ...]


def _account_rows(session: Session | Connection, before: int | None) -> Rows:
    if before is None:
        found = session.execute(_ACCOUNT_ROWS)
    else:
        found = session.execute(_ACCOUNT_ROWS_BEFORE, {"before": before})
    return tuple((int(seq), bytes(leaf), bytes(stored)) for seq, leaf, stored in found)


def _replay(
    session: Session | Connection, *, only: str | None, before: int | None
) -> tuple[Workflow, set[str]]:
    """Feed the logged account events (of ``only``, or of everyone) to the verifier's rule."""
    return _replay_rows(_account_rows(session, before), only=only)


def _replay_rows(rows: Rows, *, only: str | None) -> tuple[Workflow, set[str]]:
    """Feed the account entries ``rows`` (of ``only``, or of everyone) to the verifier's rule.

    Each leaf is checked against its recorded hash; a damaged leaf raises
    ``VerificationError`` (``clearance audit verify`` then says where)."""
    replay = Workflow()
    registered: set[str] = set()
    for seq, raw, stored_hash in rows:
        if leaf_hash(raw) != stored_hash:
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
    """Replay the logged account events of ``username`` (those before log entry ``before``).

    The replay is a pure function of the account entries read (their seq, leaf and recorded
    hash), so while they are the same as at the last replay the grants found then are given
    again without parsing, hashing or replaying a leaf (``_Remembered``); any entry added,
    removed or altered since makes the rows differ, and the replay runs again."""
    name = username.strip().lower()
    rows = _account_rows(session, before)
    return _REMEMBERED.grants(rows, name, before)


class _Remembered:
    """The account entries last read, per ``before``, and the grants replayed from them per
    account: an item page asks for its author's grants on every request. Bounded; a process
    holds one copy of the rows per ``before`` it was asked about recently."""

    MAX_BEFORE = 8
    MAX_ACCOUNTS = 4096

    def __init__(self) -> None:
        self._by_before: dict[int | None, tuple[Rows, dict[str, Grants]]] = {}

    def grants(self, rows: Rows, name: str, before: int | None) -> Grants:
        slot = self._by_before.get(before)
        if slot is None or slot[0] != rows:
            if len(self._by_before) >= self.MAX_BEFORE:
                self._by_before.clear()
            slot = self._by_before[before] = (rows, {})
        found = slot[1].get(name)
        if found is None:
            replay, registered = _replay_rows(rows, only=name)
            found = _grants(replay, registered, name)
            if len(slot[1]) >= self.MAX_ACCOUNTS:
                slot[1].clear()
            slot[1][name] = found
        return found


_REMEMBERED = _Remembered()


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
