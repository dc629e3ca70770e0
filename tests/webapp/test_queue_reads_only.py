"""Only POST changes state: the queue's search reads an index kept on write (in the transaction
that adds the revision) and filled for older rows by a migration; no GET ever writes it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from clearance.runtime import Runtime
from clearance.storage.models import Revision, SearchEntry
from tests.webapp.helpers import browser
from tests.webapp.test_story import submit

_WRITES = ("insert", "update", "delete", "replace", "create", "drop", "alter")


@contextmanager
def writes_seen() -> Iterator[list[str]]:
    """Every writing statement any engine runs inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().lower().startswith(_WRITES):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _indexed(rt: Runtime) -> tuple[int, int]:
    with rt.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(Revision)) or 0,
            s.scalar(select(func.count()).select_from(SearchEntry)) or 0,
        )


def test_a_submitted_title_is_indexed_in_the_transaction_that_adds_it(
    app: Flask, rt: Runtime
) -> None:
    item_id = submit(app, title="Đón Tết Nguyên Đán")
    revisions, indexed = _indexed(rt)
    assert revisions == indexed > 0
    with rt.sessions() as s:
        folded = s.scalar(select(SearchEntry.folded).where(SearchEntry.item_id == item_id))
    assert folded == "don tet nguyen dan"


def test_searching_the_queue_never_writes(app: Flask, rt: Runtime) -> None:
    item_id = submit(app, title="Đón Tết Nguyên Đán")
    approver = browser(app, "lanh.dao")
    before = _indexed(rt)
    with writes_seen() as seen:
        for url in ("/approvals/?q=don+tet", "/approvals/?q=khong+co", "/approvals/"):
            response = approver.get(url)
            assert response.status_code == 200
        html = approver.get("/approvals/?q=nguyen+dan").get_data(as_text=True)
    assert f'href="/approvals/items/{item_id}"' in html
    assert seen == []
    assert _indexed(rt) == before
