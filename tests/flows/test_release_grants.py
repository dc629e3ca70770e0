"""The release point and sign-off acceptance trust only the signed record: sign-off roles and
units written into the ``users`` table outside the service (no dual control, nothing logged)
are refused, with a clear reason, and reported in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from clearance.auditlog.entry import parse_leaf
from clearance.auditlog.models import entries
from clearance.errors import PolicyRefusal, VerificationError
from clearance.publishing import publish
from clearance.runtime import Runtime
from clearance.services.grants import UNLOGGED_EVENT, logged_grants
from clearance.services.review import review_revision
from clearance.services.signoff import decide
from clearance.services.users import add_user
from clearance.storage.models import User
from flows.people import Person, ensure_person
from tests.flows.conftest import PASSWORD, grant_by_two_admins, submit_text
from tests.flows.test_publishing import _force


def _edit_table(rt: Runtime, username: str, **values: object) -> None:
    """What anyone holding the database can do: no service, no log, no second admin."""
    with rt.uow() as uow:
        uow.session.execute(update(User).where(User.username == username).values(**values))
        uow.commit()


def _reports(rt: Runtime) -> list[dict[str, object]]:
    with rt.sessions() as session:
        rows = session.execute(
            entries.select().where(entries.c.event_type == UNLOGGED_EVENT).order_by(entries.c.seq)
        )
        return [dict(parse_leaf(bytes(r.leaf)).body) for r in rows]


def test_a_role_written_into_the_users_table_is_refused_at_the_release_point(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    _edit_table(rt, "ha.dang", signoff_roles="provincial_leader security_officer")
    # a signature that reached the record anyway (a bug, or the database writer again)
    _force(rt, item, "ha.dang", "provincial_leader", "leadership_release", 2)
    with pytest.raises(VerificationError, match="outside the service"):
        publish(rt, item, "website")
    assert not (rt.settings.published_dir / "items" / item).exists()
    with pytest.raises(VerificationError, match="provincial_leader"):
        publish(rt, item, "website")  # a retried release refuses again, and reports once
    [report] = _reports(rt)
    assert report["username"] == "ha.dang" and report["where"] == "release"
    assert report["unlogged_roles"] == ["provincial_leader"]


def test_a_role_written_into_the_users_table_cannot_sign(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    _edit_table(rt, "ha.dang", signoff_roles="provincial_leader security_officer")
    with pytest.raises(PolicyRefusal, match="outside the service"):
        decide(rt, item_id=item, approver="ha.dang", password=PASSWORD, decision="approve")
    [report] = _reports(rt)
    assert report["where"] == "signoff" and report["unlogged_roles"] == ["provincial_leader"]


def test_a_unit_written_into_the_users_table_cannot_sign_a_same_unit_stage(rt: Runtime) -> None:
    add_user(rt, actor="test", username="khac.donvi", roles="approver",
             signoff_roles="unit_head", unit="so-tai-chinh", password=PASSWORD)  # fmt: skip
    ensure_person(rt, Person("khac.donvi", "Khác", ("approver",), "so-tai-chinh"), PASSWORD,
                  actor="test")  # enrols the key  # fmt: skip
    item = submit_text(rt)  # drafted in so-ngoai-vu
    review_revision(rt, item)
    _edit_table(rt, "khac.donvi", unit="so-ngoai-vu")
    with pytest.raises(PolicyRefusal, match="unit so-ngoai-vu"):
        decide(rt, item_id=item, approver="khac.donvi", password=PASSWORD, decision="approve")
    _force(rt, item, "khac.donvi", "unit_head", "unit_review", 1)
    _force(rt, item, "quan.vo", "spokesperson", "leadership_release", 2)
    with pytest.raises(VerificationError, match="outside the service"):
        publish(rt, item, "website")


def test_a_role_granted_by_two_admins_counts(rt: Runtime) -> None:
    grant_by_two_admins(rt)
    with rt.sessions() as session:
        assert logged_grants(session, "ha.dang").signoff_roles == {"provincial_leader"}
    item = submit_text(rt)
    review_revision(rt, item)
    decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    out = decide(rt, item_id=item, approver="ha.dang", password=PASSWORD, decision="approve")
    assert out.publish
    assert publish(rt, item, "website").status.value == "published"
    assert _reports(rt) == []


def test_a_role_removed_in_the_table_only_still_counts_no_more_than_logged(rt: Runtime) -> None:
    """The table may only narrow: revoking there (or deactivating) stops a signature."""
    item = submit_text(rt)
    review_revision(rt, item)
    decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    decide(rt, item_id=item, approver="quan.vo", password=PASSWORD, decision="approve")
    _edit_table(rt, "quan.vo", active=False)
    with pytest.raises(VerificationError, match="do not satisfy"):
        publish(rt, item, "website")


def test_a_key_swapped_in_the_key_table_cannot_sign_and_does_not_count(rt: Runtime) -> None:
    """A key written into ``approver_keys`` without its ``key.registered`` entry."""
    from datetime import UTC, datetime

    from clearance.signing.approver import enroll_approver_key
    from clearance.signing.models import approver_keys

    item = submit_text(rt)
    review_revision(rt, item)
    decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    with rt.uow() as uow:  # enrol, but drop the log entry: what a database writer can do
        now = datetime.now(UTC)
        uow.session.execute(
            update(approver_keys)
            .where(approver_keys.c.username == "quan.vo")
            .values(retired_at=now)
        )
        enroll_approver_key(uow.session, username="quan.vo", password=PASSWORD, now=now)
        uow.commit()
    with pytest.raises(PolicyRefusal, match="not the one registered in the audit log"):
        decide(rt, item_id=item, approver="quan.vo", password=PASSWORD, decision="approve")
    _force(rt, item, "quan.vo", "spokesperson", "leadership_release", 2)  # signed with it
    with pytest.raises(VerificationError, match="do not satisfy"):
        publish(rt, item, "website")
