"""The web app on PostgreSQL: log in, submit, queue, decide, the auditor's pages (skips with a
reason without CLEARANCE_TEST_POSTGRES_URL; CI sets it)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.webapp.helpers import browser
from tests.webapp.test_story import decide, submit

pytestmark = pytest.mark.slow  # one world on PostgreSQL: argon2 and key enrolment take seconds


def test_story_on_postgresql(pg_app: Flask) -> None:
    login = browser(pg_app).login("tac.gia", "wrong password")
    assert login.status_code == 401
    item_id = submit(pg_app)

    author = browser(pg_app, "tac.gia")
    assert "Lễ hội mùa xuân" in author.get(f"/author/items/{item_id}").get_data(as_text=True)
    assert item_id in author.get("/author/").get_data(as_text=True)

    approver = browser(pg_app, "lanh.dao")
    assert item_id in approver.get("/approvals/").get_data(as_text=True)
    assert item_id in approver.get("/approvals/?q=le+hoi").get_data(as_text=True)  # no diacritics
    assert item_id not in approver.get("/approvals/?q=bao+cao").get_data(as_text=True)

    decide(pg_app, "lanh.dao", item_id, "approve")
    assert item_id not in browser(pg_app, "lanh.dao").get("/approvals/").get_data(as_text=True)
    decide(pg_app, "phat.ngon", item_id, "approve")
    page = author.get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "state-approved" in page or "state-published" in page

    auditor = browser(pg_app, "kiem.toan")
    log = auditor.get(f"/audit/?item={item_id}")
    assert log.status_code == 200 and item_id in log.get_data(as_text=True)
    evidence = auditor.get(f"/audit/items/{item_id}").get_data(as_text=True)
    assert "lanh.dao" in evidence and "phat.ngon" in evidence
    assert auditor.get(f"/approvals/items/{item_id}/receipt").status_code == 200
    # an auditor reads and changes nothing
    assert auditor.post(f"/approvals/items/{item_id}/decide", {}).status_code in (403, 404)


def test_approver_views_and_author_search_on_postgresql(pg_app: Flask) -> None:
    spring = submit(pg_app, title="Lễ hội mùa xuân")
    report = submit(pg_app, title="Báo cáo tài chính quý")
    decide(pg_app, "lanh.dao", report, "reject", "Không phù hợp.")
    approver = browser(pg_app, "lanh.dao")
    decided = approver.get("/approvals/decided").get_data(as_text=True)
    assert report in decided and spring not in decided
    assert report in approver.get("/approvals/decided?q=bao+cao").get_data(as_text=True)
    every = approver.get("/approvals/all").get_data(as_text=True)
    assert spring in every and report in every
    rejected = approver.get("/approvals/all?state=rejected&q=bao+cao&channel=website")
    assert report in rejected.get_data(as_text=True)
    assert spring not in rejected.get_data(as_text=True)
    author = browser(pg_app, "tac.gia").get("/author/?q=le+hoi").get_data(as_text=True)
    assert spring in author and report not in author
