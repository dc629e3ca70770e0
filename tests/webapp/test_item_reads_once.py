"""The approver's item page reads in one snapshot: one read transaction on the request's
connection (the sign-off state, the publication status and the drifts included), never a
write transaction (on SQLite a ``BEGIN IMMEDIATE`` takes the database's write lock, which
serialised every item page of every worker behind the writers)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.webapp.helpers import browser
from tests.webapp.test_story import decide, submit
from webapp.context import RUNTIME_KEY


@contextmanager
def statements_seen() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()).upper())

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


@pytest.mark.parametrize("policy_recheck_due", [False, True])
def test_the_item_page_reads_in_one_transaction_and_never_takes_the_write_lock(
    app: Flask, policy_recheck_due: bool
) -> None:
    item_id = submit(app, channels=("website",))
    # a decision on record: the page's sign-off state reads it (the next stage is open)
    decide(app, "lanh.dao", item_id, "approve")
    approver = browser(app, "lanh.dao")
    url = f"/approvals/items/{item_id}"
    assert approver.get(url).status_code == 200  # the session is touched on its first page
    if policy_recheck_due:
        # the process's policy cache falls due for its re-check (every 2 s; CI once took longer
        # between two pages): the check reads on the page's snapshot too, not in a second one
        app.extensions[RUNTIME_KEY].policies.expire()
    with statements_seen() as seen:
        response = approver.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="stages"' in html and "✓" in html  # the progress, the first stage done
    begins = [s for s in seen if s.startswith("BEGIN")]
    assert not [s for s in seen if s.startswith("BEGIN IMMEDIATE")], seen
    assert len(begins) == 1, begins
    writes = ("INSERT", "UPDATE", "DELETE", "REPLACE")
    assert not [s for s in seen if s.startswith(writes)], seen
