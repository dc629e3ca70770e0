"""A signed-in page reads its session and its account in one statement (the session row joined
to the user), not two; the account is still checked as before: a password changed since the
session began, or a deactivated account, signs the session out."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import update

from clearance.runtime import Runtime
from clearance.storage.models import User
from tests.webapp.helpers import browser
from tests.webapp.test_item_reads_once import statements_seen


def test_a_page_reads_its_session_and_account_in_one_statement(app: Flask) -> None:
    approver = browser(app, "lanh.dao")
    assert approver.get("/approvals/").status_code == 200  # the session is touched once
    with statements_seen() as seen:
        assert approver.get("/approvals/").status_code == 200
    reads = [s for s in seen if "FROM WEB_SESSIONS" in s or "FROM USERS" in s]
    assert len(reads) == 1, reads
    assert "JOIN USERS" in reads[0]


def test_a_deactivated_account_is_signed_out_on_its_next_page(app: Flask, rt: Runtime) -> None:
    approver = browser(app, "lanh.dao")
    assert approver.get("/approvals/").status_code == 200
    with rt.uow() as uow:
        uow.session.execute(update(User).where(User.username == "lanh.dao").values(active=False))
        uow.commit()
    response = approver.get("/approvals/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_password_changed_elsewhere_signs_the_session_out(app: Flask, rt: Runtime) -> None:
    approver = browser(app, "lanh.dao")
    assert approver.get("/approvals/").status_code == 200
    with rt.uow() as uow:  # the fingerprint in the session no longer matches
        uow.session.execute(
            update(User).where(User.username == "lanh.dao").values(password_hash="$argon2id$x")
        )
        uow.commit()
    response = approver.get("/approvals/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
