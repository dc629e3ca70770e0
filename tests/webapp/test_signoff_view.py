"""The item pages evaluate sign-off from what they already read (one snapshot, the requests, the
decisions); that must equal the core's ``revision_signoff_state`` at every step of a story."""

from __future__ import annotations

from flask import Flask
from flask_login import login_user

from clearance.policy import SignoffState
from clearance.policy.store import policy_for_item
from clearance.runtime import Runtime
from clearance.services.items import current_revision
from clearance.services.signoff import revision_signoff_state
from clearance.storage.models import Item, User
from tests.webapp.helpers import browser
from tests.webapp.test_story import BODY, decide, submit
from webapp import progress
from webapp.users import WebUser


def _core(rt: Runtime, item_id: str) -> SignoffState:
    with rt.readers() as session:
        item = session.get(Item, item_id)
        assert item is not None
        revision = current_revision(session, item)
        policy = policy_for_item(session, rt.policy, item.policy_hash)
        return revision_signoff_state(session, policy, item, revision)


def _user(rt: Runtime, username: str) -> WebUser:
    with rt.readers() as session:
        return WebUser.of(session.query(User).filter_by(username=username).one())


def _web(app: Flask, rt: Runtime, item_id: str, username: str) -> SignoffState | None:
    with app.test_request_context():
        login_user(_user(rt, username))
        return progress.signoff(item_id)


def _same(app: Flask, rt: Runtime, item_id: str) -> SignoffState:
    core = _core(rt, item_id)
    for who in ("lanh.dao", "phat.ngon", "tac.gia"):
        assert _web(app, rt, item_id, who) == core
    return core


def test_the_pages_sign_off_state_is_the_cores_at_every_step(app: Flask, rt: Runtime) -> None:
    item_id = submit(app)
    assert not _same(app, rt, item_id).decisions
    decide(app, "lanh.dao", item_id, "request_changes", "Bổ sung thời gian tổ chức.")
    author = browser(app, "tac.gia")
    author.get(f"/author/items/{item_id}/revise")
    response = author.post(
        f"/author/items/{item_id}/revise",
        {"title": "Lễ hội mùa xuân", "body": BODY + "\nThời gian: 01/03/2026.",
         "channels": ["website"], "declared_level": "cong_khai", "note": "Đã bổ sung.",
         "submit": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    assert _same(app, rt, item_id).status == "waiting"  # revision 2: nothing counted yet
    decide(app, "lanh.dao", item_id, "approve")
    assert _same(app, rt, item_id).counted
    decide(app, "phat.ngon", item_id, "approve_with_recommendations", "Tốt.")
    _same(app, rt, item_id)


def test_no_sign_off_before_review(app: Flask, rt: Runtime) -> None:
    with app.test_request_context():
        login_user(_user(rt, "lanh.dao"))
        assert progress.signoff("no-such-item") is None
