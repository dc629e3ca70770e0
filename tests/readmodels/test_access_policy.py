"""One object-level access policy, in the core: who reads which item, and whose queue an open
request is in, asked the same way by every adapter (the web only turns a refusal into 404).

- an author reads their own items only;
- an approver reads the items routed to their scope (a stage's role *and* its unit rule), and
  those they decided on; never the uploaded originals;
- an auditor reads every item; nobody else reads any.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clearance.readmodels.access import capacity, item_head
from clearance.readmodels.queue import QueueFilter, queue
from clearance.runtime import Runtime
from clearance.services.access import Reader, reads_originals
from clearance.services.users import get_user
from tests.webapp.conftest import build_world, settings_for
from tests.webapp.helpers import add_person, add_units, submit_reviewed


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime = add_units(build_world(settings_for(tmp_path / "home")))
    add_person(runtime, "tg.ld.so.a", "author approver", "so-a", "unit_head")
    yield runtime
    runtime.close()


def _reader(rt: Runtime, name: str) -> Reader:
    with rt.sessions() as session:
        user = get_user(session, name)
        return Reader(
            user.id,
            frozenset((user.roles or "").split()),
            frozenset((user.signoff_roles or "").split()),
            user.unit,
        )


_item = submit_reviewed


def _capacity(rt: Runtime, name: str, item_id: str) -> str | None:
    reader = _reader(rt, name)
    with rt.engine.connect() as connection:
        return capacity(rt.policy, reader, item_head(connection, item_id, reader.id))


def _queued(rt: Runtime, name: str) -> list[str]:
    with rt.engine.connect() as connection:
        rows, _next = queue(connection, policy=rt.policy, reader=_reader(rt, name), f=QueueFilter())
    return [row.item_id for row in rows]


def test_an_author_reads_their_own_items_only(rt: Runtime) -> None:
    mine, theirs = _item(rt, "tg.so.a"), _item(rt, "tg.so.b")
    assert _capacity(rt, "tg.so.a", mine) == "author"
    assert _capacity(rt, "tg.so.a", theirs) is None
    assert reads_originals("author")


def test_an_approver_reads_what_is_routed_to_their_unit_only(rt: Runtime) -> None:
    item = _item(rt, "tg.so.a")
    assert _capacity(rt, "ld.so.a", item) == "approver"
    assert item in _queued(rt, "ld.so.a")
    assert _capacity(rt, "ld.so.b", item) is None  # another unit's head
    assert item not in _queued(rt, "ld.so.b")
    assert not reads_originals("approver")


def test_an_approver_never_has_their_own_item_in_the_queue(rt: Runtime) -> None:
    item = _item(rt, "tg.ld.so.a")
    assert item not in _queued(rt, "tg.ld.so.a")
    assert _capacity(rt, "tg.ld.so.a", item) == "author"
    assert item in _queued(rt, "ld.so.a")


def test_an_auditor_reads_every_item_and_nobody_else_any(rt: Runtime) -> None:
    item = _item(rt, "tg.so.a")
    assert _capacity(rt, "kiem.toan", item) == "auditor"
    assert reads_originals("auditor")
    assert _capacity(rt, "tg.so.b", item) is None
    assert _capacity(rt, "kiem.toan", "no-such-item") is None


def test_a_capacity_not_allowed_is_not_granted(rt: Runtime) -> None:
    item = _item(rt, "tg.so.a")
    reader = _reader(rt, "ld.so.a")
    with rt.engine.connect() as connection:
        head = item_head(connection, item, reader.id)
    assert capacity(rt.policy, reader, head, allow=("author", "auditor")) is None
    assert _queued(rt, "tg.so.a") == []  # no approver role, no queue
