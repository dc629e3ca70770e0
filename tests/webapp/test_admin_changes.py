"""Two-admin confirmation in ``clearance.admin``: who may confirm, staleness, applied and logged once."""

from __future__ import annotations

import re
import threading

import pytest
from flask import Flask
from sqlalchemy import func, select

from clearance.admin import service as changes
from clearance.admin.policy_change import apply_policy, stage_policy
from clearance.auditlog import models as log_models
from clearance.errors import BadInput, Conflict, PolicyRefusal
from clearance.runtime import Runtime
from clearance.services import users as user_service


def logged(rt: Runtime, event_type: str) -> int:
    table = log_models.entries
    with rt.readers() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(table).where(table.c.event_type == event_type)
            )
            or 0
        )


def roles_of(rt: Runtime, username: str) -> tuple[list[str], list[str], str | None]:
    with rt.readers() as session:
        user = user_service.get_user(session, username)
        return sorted(user.role_set), sorted(user.signoff_role_set), user.unit


def propose_auditor(rt: Runtime, *, admin: str = "quan.tri", username: str = "tac.gia.b") -> int:
    return changes.propose_roles(
        rt, admin=admin, username=username, roles=["author", "auditor"], signoff_roles=[], unit="vp"
    ).id


def test_a_proposal_changes_nothing_until_another_admin_confirms(rt: Runtime) -> None:
    before = roles_of(rt, "tac.gia.b")
    change_id = propose_auditor(rt)
    assert roles_of(rt, "tac.gia.b") == before
    assert logged(rt, "admin.change_confirmed") == 0

    view = changes.confirm(rt, admin="quan.tri.2", change_id=change_id)

    assert view.status is changes.ChangeStatus.CONFIRMED
    assert (view.proposed_by, view.decided_by) == ("quan.tri", "quan.tri.2")
    assert roles_of(rt, "tac.gia.b") == (["auditor", "author"], [], "vp")
    assert logged(rt, "admin.change_confirmed") == 1
    assert logged(rt, "user.roles_changed") >= 1


def test_the_proposer_cannot_confirm_their_own_proposal(rt: Runtime) -> None:
    change_id = propose_auditor(rt)
    with pytest.raises(PolicyRefusal, match="proposed"):
        changes.confirm(rt, admin="quan.tri", change_id=change_id)
    assert roles_of(rt, "tac.gia.b")[0] == ["author"]
    assert changes.list_changes(rt, status=changes.ChangeStatus.PENDING)[0].id == change_id


def test_the_subject_of_a_role_change_cannot_confirm_it(rt: Runtime) -> None:
    change_id = changes.propose_roles(
        rt, admin="quan.tri", username="quan.tri.2", roles=["admin", "auditor"], signoff_roles=[],
        unit=None,
    ).id  # fmt: skip
    with pytest.raises(PolicyRefusal, match="own roles"):
        changes.confirm(rt, admin="quan.tri.2", change_id=change_id)
    assert roles_of(rt, "quan.tri.2")[0] == ["admin"]


def test_only_admins_confirm(rt: Runtime) -> None:
    change_id = propose_auditor(rt)
    with pytest.raises(PolicyRefusal):
        changes.confirm(rt, admin="kiem.toan", change_id=change_id)


def test_a_stale_role_proposal_is_a_conflict(rt: Runtime) -> None:
    change_id = propose_auditor(rt)
    user_service.set_roles(rt, actor="quan.tri", username="tac.gia.b", roles=["author"], unit="kt")
    with pytest.raises(Conflict, match="changed after it"):
        changes.confirm(rt, admin="quan.tri.2", change_id=change_id)
    assert roles_of(rt, "tac.gia.b") == (["author"], [], "kt")
    assert logged(rt, "admin.change_confirmed") == 0


def test_a_decided_change_cannot_be_decided_again(rt: Runtime) -> None:
    change_id = propose_auditor(rt)
    changes.confirm(rt, admin="quan.tri.2", change_id=change_id)
    with pytest.raises(Conflict):
        changes.confirm(rt, admin="quan.tri.2", change_id=change_id)
    with pytest.raises(Conflict):
        changes.reject(rt, admin="quan.tri", change_id=change_id, reason="too late")
    assert logged(rt, "admin.change_confirmed") == 1


def test_concurrent_confirmations_apply_and_log_once(rt: Runtime) -> None:
    change_id = propose_auditor(rt)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def confirm() -> None:
        start.wait()
        try:
            changes.confirm(rt, admin="quan.tri.2", change_id=change_id)
            outcomes.append("confirmed")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["confirmed", "conflict"]
    assert logged(rt, "admin.change_confirmed") == 1


def test_rejecting_needs_a_reason_and_applies_nothing(rt: Runtime) -> None:
    change_id = propose_auditor(rt)
    with pytest.raises(BadInput):
        changes.reject(rt, admin="quan.tri.2", change_id=change_id, reason="  ")
    view = changes.reject(rt, admin="quan.tri", change_id=change_id, reason="wrong person")
    assert view.status is changes.ChangeStatus.REJECTED
    assert roles_of(rt, "tac.gia.b")[0] == ["author"]
    assert logged(rt, "admin.change_confirmed") == 0


def test_a_proposal_identical_to_the_current_roles_is_refused(rt: Runtime) -> None:
    with pytest.raises(BadInput, match="already"):
        changes.propose_roles(
            rt, admin="quan.tri", username="tac.gia", roles=["author"], signoff_roles=[], unit="vp"
        )


def edited_policy(rt: Runtime, version: str) -> str:
    text = rt.settings.policy_path.read_text(encoding="utf-8")
    assert '  version: "' in text
    return re.sub(r'(?m)^  version: "[^"]*"', f'  version: "{version}"', text, count=1)


def test_a_policy_change_takes_effect_only_when_confirmed(rt: Runtime) -> None:
    text = edited_policy(rt, "2099.01.1")
    proposed, path = stage_policy(rt, text)
    old_hash = rt.policy.content_hash
    assert proposed.content_hash != old_hash
    change_id = changes.propose_policy(
        rt, admin="quan.tri", policy_hash=proposed.content_hash, summary="comment",
        payload={"path": str(path), "policy_hash": proposed.content_hash},
    ).id  # fmt: skip
    with pytest.raises(PolicyRefusal):
        changes.confirm(rt, admin="quan.tri", change_id=change_id, apply_policy=apply_policy)
    assert rt.policy.content_hash == old_hash

    changes.confirm(rt, admin="quan.tri.2", change_id=change_id, apply_policy=apply_policy)
    rt.policies.expire()  # do not wait for the two-second recheck
    assert rt.policy.content_hash == proposed.content_hash
    assert logged(rt, "admin.change_confirmed") == 1


def test_a_stale_policy_proposal_is_a_conflict(rt: Runtime) -> None:
    first, first_path = stage_policy(rt, edited_policy(rt, "2099.01.1"))
    second, second_path = stage_policy(rt, edited_policy(rt, "2099.01.2"))
    ids = [
        changes.propose_policy(
            rt, admin="quan.tri", policy_hash=p.content_hash, summary=s,
            payload={"path": str(path), "policy_hash": p.content_hash},
        ).id
        for p, path, s in ((first, first_path, "first"), (second, second_path, "second"))
    ]  # fmt: skip
    changes.confirm(rt, admin="quan.tri.2", change_id=ids[0], apply_policy=apply_policy)
    rt.policies.expire()
    with pytest.raises(Conflict):
        changes.confirm(rt, admin="quan.tri.2", change_id=ids[1], apply_policy=apply_policy)
    assert rt.policy.content_hash == first.content_hash


def test_a_role_written_into_the_table_is_shown_to_the_admins(app: Flask, rt: Runtime) -> None:
    from sqlalchemy import update

    from clearance.storage.models import User
    from tests.webapp.helpers import browser

    page = browser(app, "quan.tri").get("/admin/users").get_data(as_text=True)
    assert 'id="unlogged-grants"' not in page  # every account as the log granted it
    with rt.sessions() as db:
        db.execute(
            update(User)
            .where(User.username == "bao.mat")
            .values(signoff_roles="provincial_leader security_officer")
        )
        db.commit()
    page = browser(app, "quan.tri").get("/admin/users").get_data(as_text=True)
    section = page.split('id="unlogged-grants"')[1].split("</section>")[0]
    assert "bao.mat" in section and "provincial_leader" in section
    assert "security_officer" not in section  # that one the log did grant


def test_a_proposal_overtaken_by_the_command_line_is_listed_stale(rt: Runtime) -> None:
    change_id = propose_auditor(rt)
    (fresh,) = changes.list_changes(rt, status=changes.ChangeStatus.PENDING)
    assert fresh.id == change_id and not fresh.stale
    # the single-admin CLI path (set-role) applied other roles meanwhile
    user_service.set_roles(rt, actor="cli", username="tac.gia.b", roles=["author", "auditor"])
    (stale,) = changes.list_changes(rt, status=changes.ChangeStatus.PENDING)
    assert stale.id == change_id and stale.stale
    with pytest.raises(Conflict, match="stale"):
        changes.confirm(rt, admin="quan.tri.2", change_id=change_id)
    assert roles_of(rt, "tac.gia.b")[0] == ["auditor", "author"]


def test_confirming_one_proposal_makes_an_older_one_for_the_same_user_stale(rt: Runtime) -> None:
    older = propose_auditor(rt)
    newer = changes.propose_roles(
        rt, admin="quan.tri", username="tac.gia.b", roles=["author"], signoff_roles=[], unit="kt"
    ).id
    changes.confirm(rt, admin="quan.tri.2", change_id=newer)
    pending = {c.id: c for c in changes.list_changes(rt, status=changes.ChangeStatus.PENDING)}
    assert pending[older].stale
    with pytest.raises(Conflict, match="stale"):
        changes.confirm(rt, admin="quan.tri.2", change_id=older)
    assert roles_of(rt, "tac.gia.b") == (["author"], [], "kt")  # the newer roles stand


def test_the_changes_page_marks_a_stale_proposal_and_offers_no_confirm(
    app: Flask, rt: Runtime
) -> None:
    from tests.webapp.helpers import browser

    change_id = propose_auditor(rt)
    user_service.set_roles(rt, actor="cli", username="tac.gia.b", roles=["author"], unit="kt")
    page = browser(app, "quan.tri.2").get("/admin/changes").get_data(as_text=True)
    assert "stale" in page
    assert f"/admin/changes/{change_id}/confirm" not in page
    assert f"/admin/changes/{change_id}/reject" in page
