"""The replayed history persisted with the log position it covers: a new process replays only the
entries after it, gets the figures a full replay gets, and refuses a state that was edited,
sealed with another key or computed over another log."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update

from clearance.auditlog.models import entries
from clearance.errors import VerificationError
from clearance.events import Event
from clearance.reports.figures import compute, parse_period
from clearance.reports.snapshot import StateFile, decode, encode, state_key
from clearance.reports.source import LiveHistory
from clearance.runtime import Runtime
from clearance.settings import Settings
from tests.webapp.conftest import init_home

NOW = datetime(2026, 11, 3, 3, tzinfo=UTC)
KEY = state_key("a secret key for the tests")


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = init_home(settings)
    yield runtime
    runtime.close()


def _write(rt: Runtime, first: int, count: int, *, hours: int = 0) -> None:
    """``count`` items submitted, screened and (every third) published, one commit each."""
    for n in range(first, first + count):
        item = f"item-{n}"
        body = {"author": "an", "channels": ["website"], "language": "vi",
                "themes": ["bien_dao"] if n % 2 else []}  # fmt: skip
        events = [
            Event("item.submitted", "an", item, body=body),
            Event("revision.screened", None, item, body={"to": "awaiting_signoff"}),
        ]
        if n % 3 == 0:
            events.append(Event("publication.published", None, item, body={"channel": "website"}))
        with rt.sessions.begin() as session:
            rt.sink.append(session, events, now=NOW + timedelta(hours=hours, minutes=n))


def _figures(history: object) -> dict[str, object]:
    return compute(history, parse_period("2026-11")).to_json()  # type: ignore[arg-type]


def _full(rt: Runtime) -> dict[str, object]:
    with rt.readers() as session:
        return _figures(LiveHistory().current(session))


def test_a_new_process_replays_only_the_new_entries(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "state"
    _write(rt, 0, 12)
    first = LiveHistory(StateFile(path, KEY))
    with rt.readers() as session:
        history = first.current(session)
    assert first.started_from == "replay" and path.is_file()
    saved = history.size
    _write(rt, 12, 7, hours=1)
    second = LiveHistory(StateFile(path, KEY))
    second.SAVE_AFTER = 1_000_000
    with rt.readers() as session:
        resumed = second.current(session)
    assert second.started_from == "state"
    assert resumed.size > saved
    assert _figures(resumed) == _full(rt)
    # the same process goes on from memory
    _write(rt, 19, 2, hours=2)
    with rt.readers() as session:
        again = second.current(session)
    assert second.started_from == "memory" and _figures(again) == _full(rt)


def test_the_state_round_trips_every_fact(rt: Runtime) -> None:
    _write(rt, 0, 9)
    with rt.readers() as session:
        live = LiveHistory()
        history = live.current(session)
    assert live._state is not None
    back = decode(encode(live._state, KEY), KEY)
    assert back.edge == live._state.edge
    assert back.history.items == history.items
    assert (back.history.units, back.history.labels, back.history.issuer) == (
        history.units,
        history.labels,
        history.issuer,
    )


def _state_after(rt: Runtime, path: Path, key: bytes = KEY) -> None:
    with rt.readers() as session:
        LiveHistory(StateFile(path, key)).current(session)


def test_an_edited_state_is_refused_and_the_log_replayed(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "state"
    _write(rt, 0, 6)
    _state_after(rt, path)
    seal, _, payload = path.read_bytes().partition(b"\n")
    doc = json.loads(payload)
    doc["items"] = doc["items"][:1]  # someone removes items from the persisted figures
    path.write_bytes(seal + b"\n" + json.dumps(doc).encode())
    live = LiveHistory(StateFile(path, KEY))
    with rt.readers() as session:
        history = live.current(session)
    assert live.started_from == "replay" and _figures(history) == _full(rt)


def test_a_state_sealed_with_another_key_is_refused(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "state"
    _write(rt, 0, 4)
    _state_after(rt, path, state_key("another installation"))
    live = LiveHistory(StateFile(path, KEY))
    with rt.readers() as session:
        live.current(session)
    assert live.started_from == "replay"


def test_a_state_of_another_log_is_refused(rt: Runtime, tmp_path: Path, settings: Settings) -> None:
    """A state computed over another log (a restored backup, another database) does not match
    this log's checkpoint at its size, even when sealed with the right key."""
    path = tmp_path / "state"
    other_home = tmp_path / "other"
    url = f"sqlite:///{other_home / 'c.db'}"
    other = init_home(dataclasses.replace(settings, home=other_home, database_url=url))
    try:
        _write(other, 100, 5)
        _state_after(other, path)
    finally:
        other.close()
    _write(rt, 0, 5)
    live = LiveHistory(StateFile(path, KEY))
    with rt.readers() as session:
        history = live.current(session)
    assert live.started_from == "replay" and "item-100" not in history.items


def test_entries_that_do_not_hash_to_the_checkpoint_fail_closed(rt: Runtime) -> None:
    _write(rt, 0, 3)
    with rt.sessions.begin() as session:  # someone with the database: triggers are no obstacle
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("DROP TRIGGER audit_entries_append_only ON audit_entries"))
        else:
            session.execute(text("DROP TRIGGER audit_entries_no_update"))
        leaf = session.execute(entries.select().where(entries.c.seq == 2)).one().leaf
        altered = bytes(leaf).replace(b"awaiting_signoff", b"published_later_")
        session.execute(update(entries).where(entries.c.seq == 2).values(leaf=altered))
    with rt.readers() as session, pytest.raises(VerificationError, match="audit verify"):
        LiveHistory().current(session)
