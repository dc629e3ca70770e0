"""The logged grants are a pure function of the account entries read: an item page asks for
them on every request, so a replay is remembered while those entries are unchanged, and is
done again (each leaf hash-checked) as soon as one is added, removed or altered."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from clearance.auditlog.models import entries
from clearance.errors import VerificationError
from clearance.runtime import Runtime
from clearance.services import grants as grants_module
from clearance.services.grants import ACCOUNT_EVENTS, logged_grants
from tests.flows.conftest import grant_by_two_admins


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    parsed: list[int] = []
    real = grants_module.parse_leaf

    def counting(raw: bytes):  # type: ignore[no-untyped-def]
        parsed.append(1)
        return real(raw)

    monkeypatch.setattr(grants_module, "parse_leaf", counting)
    return parsed


def test_an_unchanged_account_log_is_not_replayed_again(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = _count_parses(monkeypatch)
    # a process that has replayed nothing yet (another test on this worker may have replayed
    # a world with the very same entries: the memo would rightly answer it)
    monkeypatch.setattr(grants_module, "_REMEMBERED", grants_module._Remembered())
    with rt.sessions() as session:
        first = logged_grants(session, "hung.le")
        assert parsed  # the first replay reads the account entries
        parsed.clear()
        assert logged_grants(session, "hung.le") == first
        assert logged_grants(session, "HUNG.LE ") == first
    with rt.readers() as session:  # another session, the same entries
        assert logged_grants(session, "hung.le") == first
    assert parsed == []


def test_a_grant_logged_since_is_replayed(rt: Runtime) -> None:
    with rt.sessions() as session:
        assert "provincial_leader" not in logged_grants(session, "ha.dang").signoff_roles
    grant_by_two_admins(rt)
    with rt.sessions() as session:
        now = logged_grants(session, "ha.dang")
        assert now.signoff_roles == {"provincial_leader"} and now.unit == "van-phong-ubnd"
        last = (
            session.execute(
                select(entries.c.seq)
                .where(entries.c.event_type == "user.roles_changed")
                .order_by(entries.c.seq.desc())
            )
            .scalars()
            .first()
        )
        # the grants as they stood before that entry, and after it again: neither is mixed up
        assert (
            "provincial_leader" not in logged_grants(session, "ha.dang", before=last).signoff_roles
        )
        assert logged_grants(session, "ha.dang") == now


def test_an_altered_account_entry_is_refused_after_a_remembered_replay(rt: Runtime) -> None:
    with rt.sessions() as session:
        logged_grants(session, "hung.le")
        seq, leaf = session.execute(
            select(entries.c.seq, entries.c.leaf)
            .where(entries.c.event_type.in_(ACCOUNT_EVENTS))
            .order_by(entries.c.seq)
        ).first()  # type: ignore[misc]
    with rt.sessions.begin() as session:  # someone with the database: triggers are no obstacle
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("DROP TRIGGER audit_entries_append_only ON audit_entries"))
        else:
            session.execute(text("DROP TRIGGER audit_entries_no_update"))
        # the leaf changed, not its recorded hash
        session.execute(update(entries).where(entries.c.seq == seq).values(leaf=bytes(leaf) + b" "))
    with rt.sessions() as session, pytest.raises(VerificationError, match="recorded hash"):
        logged_grants(session, "hung.le")
