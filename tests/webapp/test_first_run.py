"""First-run setup: the single first administrator builds the roster in one reviewed step,
applied in one transaction, logged as one event whose grants the release point replays; it
cannot run twice and cannot give the admin roles of their own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from clearance.admin import service as changes
from clearance.admin import setup as roster_setup
from clearance.auditlog import models as log_models
from clearance.errors import BadInput, Conflict, PolicyRefusal
from clearance.runtime import Runtime
from clearance.services import users as user_service
from clearance.services.grants import logged_grants, unlogged_grants
from tests.webapp.conftest import init_home, settings_for
from tests.webapp.helpers import PASSWORD, browser
from webapp import create_app

P = roster_setup.Person


def roster(*extra: roster_setup.Person) -> roster_setup.Roster:
    return roster_setup.Roster(
        units=("vp", "bm"),
        people=(
            P("lanh.dao", "Nguyễn Văn Lãnh", ("approver",), ("unit_head",), "vp"),
            P("bao.mat", "Trần Thị Bảo", ("approver",), ("security_officer",), "bm"),
            P("kiem.toan", "Lê Kiểm", ("auditor",)),
            P("quan.tri.2", "Phạm Quản", ("admin",)),
            *extra,
        ),
    )


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Runtime]:
    """A new installation: the policy and the one administrator init creates, nothing else."""
    runtime = init_home(settings_for(tmp_path / "home"))
    user_service.add_user(
        runtime, actor=None, username="quan.tri", roles=["admin"], password=PASSWORD
    )
    yield runtime
    runtime.close()


def count(rt: Runtime, event_type: str) -> int:
    with rt.readers() as session:
        query = select(func.count()).where(log_models.entries.c.event_type == event_type)
        return int(session.scalar(query) or 0)


def test_the_roster_is_created_in_one_logged_step_the_release_point_trusts(
    fresh: Runtime,
) -> None:
    assert roster_setup.is_open(fresh)
    created = roster_setup.apply(fresh, admin="quan.tri", password=PASSWORD, roster=roster())
    assert sorted(c.username for c in created) == [
        "bao.mat", "kiem.toan", "lanh.dao", "quan.tri.2",
    ]  # fmt: skip
    assert all(len(c.one_time_password) >= 12 for c in created)
    assert count(fresh, "admin.roster_set_up") == 1
    assert count(fresh, "user.registered") == 1  # only init's admin: the roster is one event
    with fresh.readers() as session:
        grants = logged_grants(session, "lanh.dao")
        assert grants.known and grants.signoff_roles == {"unit_head"} and grants.unit == "vp"
        assert logged_grants(session, "bao.mat").signoff_roles == {"security_officer"}
        assert unlogged_grants(session) == []  # table and log agree for every account
    assert not roster_setup.is_open(fresh)
    # dual control from now on: the command line refuses, a proposal needs the second admin
    with pytest.raises(PolicyRefusal, match="2 administrators"):
        user_service.refuse_when_dual_controlled(fresh)


def test_the_setup_cannot_run_twice(fresh: Runtime) -> None:
    roster_setup.apply(fresh, admin="quan.tri", password=PASSWORD, roster=roster())
    again = roster_setup.Roster(units=(), people=(P("khac", "Khác", ("admin",)),))
    with pytest.raises(Conflict, match="already set up"):
        roster_setup.apply(fresh, admin="quan.tri", password=PASSWORD, roster=again)
    with pytest.raises(Conflict):
        roster_setup.plan(fresh, admin="quan.tri.2", roster=again)
    assert count(fresh, "admin.roster_set_up") == 1


def test_the_setup_is_closed_once_anyone_holds_a_roster_role(fresh: Runtime) -> None:
    user_service.add_user(
        fresh, actor=None, username="ai.do", roles=["approver"], signoff_roles=["unit_head"]
    )
    with pytest.raises(Conflict, match="roster role"):
        roster_setup.apply(fresh, admin="quan.tri", password=PASSWORD, roster=roster())


@pytest.mark.parametrize(
    ("people", "message"),
    [
        ((P("quan.tri", "Tôi", ("approver",), ("unit_head",)),), "your own account"),
        ((P("a.b", "A", ("approver",), ("unit_head",)),), "second administrator"),
        ((P("a.b", "A", ("approver", "admin"), ("unit_head",)), P("c.d", "C", ("admin",))),
         "both grant roles and sign off"),
        ((P("a.b", "A", ("approver",)), P("c.d", "C", ("admin",))), "at least one sign-off"),
        ((P("a.b", "A", ("auditor",), ("unit_head",)), P("c.d", "C", ("admin",))),
         "need the approver role"),
        ((P("a.b", "A", ("approver",), ("chief",)), P("c.d", "C", ("admin",))),
         "unknown sign-off role"),
        ((P("a.b", "A", ("approver",), ("unit_head",), "xx"), P("c.d", "C", ("admin",))),
         "not in the list of units"),
        ((P("a.b", "A", ("admin",)), P("A.B", "B", ("auditor",))), "listed twice"),
        ((), "empty"),
    ],
)  # fmt: skip
def test_a_bad_roster_is_refused_and_nothing_is_written(
    fresh: Runtime, people: tuple[roster_setup.Person, ...], message: str
) -> None:
    bad = roster_setup.Roster(units=("vp",), people=people)
    with pytest.raises(BadInput, match=message):
        roster_setup.plan(fresh, admin="quan.tri", roster=bad)
    with pytest.raises(BadInput, match=message):
        roster_setup.apply(fresh, admin="quan.tri", password=PASSWORD, roster=bad)
    assert [u.username for u in user_service.list_users(fresh)] == ["quan.tri"]
    assert roster_setup.is_open(fresh)


def test_a_wrong_password_creates_nothing(fresh: Runtime) -> None:
    with pytest.raises(PolicyRefusal, match="password"):
        roster_setup.apply(fresh, admin="quan.tri", password="wrong " * 3, roster=roster())
    assert count(fresh, "admin.roster_set_up") == 0


def test_a_failure_midway_leaves_no_account(fresh: Runtime) -> None:
    clash = roster(P("Bad Name!", "X", ("author",)))  # the last row is invalid
    with pytest.raises(BadInput, match="not valid"):
        roster_setup.apply(fresh, admin="quan.tri", password=PASSWORD, roster=clash)
    assert [u.username for u in user_service.list_users(fresh)] == ["quan.tri"]


def _fields(people: list[tuple[str, str, str, list[str], str]]) -> dict[str, object]:
    data: dict[str, object] = {"units": "vp\nbm"}
    for i, (name, shown, role, signoff, unit) in enumerate(people):
        data[f"people-{i}-username"] = name
        data[f"people-{i}-display_name"] = shown
        data[f"people-{i}-role"] = role
        data[f"people-{i}-signoff_roles"] = signoff
        data[f"people-{i}-unit"] = unit
    return data


def test_the_browser_flow_reviews_then_confirms_once(fresh: Runtime) -> None:
    app: Flask = create_app(fresh.settings, runtime=fresh)
    app.config.update(TESTING=True)
    admin = browser(app, "quan.tri")
    users_page = admin.get("/admin/users").get_data(as_text=True)
    assert "/admin/setup/" in users_page and "clearance users set-role" in users_page
    people = [
        ("lanh.dao", "Nguyễn Văn Lãnh", "approver", ["unit_head"], "vp"),
        ("kiem.toan", "Lê Kiểm", "auditor", [], ""),
        ("quan.tri.2", "Phạm Quản", "admin", [], ""),
    ]
    review = admin.post("/admin/setup/", _fields(people), form_page="/admin/setup/")
    assert review.status_code == 200, review.get_data(as_text=True)[:3000]
    page = review.get_data(as_text=True)
    assert "Nguyễn Văn Lãnh" in page and "Lãnh đạo đơn vị soạn thảo" in page
    assert [u.username for u in user_service.list_users(fresh)] == ["quan.tri"]  # not yet
    plan = re.search(r'name="plan" type="hidden" value="([^"]+)"', page)
    assert plan
    wrong = admin.post("/admin/setup/confirm", {"plan": plan.group(1), "password": "x" * 20})
    assert wrong.status_code == 400
    done = admin.post("/admin/setup/confirm", {"plan": plan.group(1), "password": PASSWORD})
    assert done.status_code == 200, done.get_data(as_text=True)[:3000]
    assert count(fresh, "admin.roster_set_up") == 1
    # replaying the reviewed roster is refused with a clear message, nothing more is written
    again = admin.post("/admin/setup/confirm", {"plan": plan.group(1), "password": PASSWORD})
    assert again.status_code == 303
    closed = admin.get("/admin/users").get_data(as_text=True)
    assert "dual-control" in closed and "/admin/setup/" not in closed
    assert admin.get("/admin/setup/").status_code == 302
    assert count(fresh, "admin.roster_set_up") == 1
    # and a role change now waits for the second administrator
    change = changes.propose_roles(
        fresh, admin="quan.tri", username="kiem.toan", roles=["auditor", "author"],
        signoff_roles=[], unit=None,
    )  # fmt: skip
    with pytest.raises(PolicyRefusal):
        changes.confirm(fresh, admin="quan.tri", change_id=change.id)
