"""policy_versions: recording a policy once, with its policy.loaded event, and rebuilding it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from clearance.errors import NotFound, VerificationError
from clearance.events import Event
from clearance.policy import (
    POLICY_LOADED,
    load_policy,
    policy_for_item,
    record_policy_if_new,
    stored_policy,
)
from clearance.policy.models import PolicyVersion
from clearance.runtime import Runtime
from clearance.settings import Settings
from clearance.storage.db import make_engine
from clearance.storage.migrate import upgrade
from tests.policy.policy_support import DEFAULT, default_document, write_policy


class ListSink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def append(self, session: Session, events: Sequence[Event], *, now: datetime) -> None:
        self.events.extend(events)


@pytest.fixture
def sink() -> ListSink:
    return ListSink()


@pytest.fixture
def rt(settings: Settings, sink: ListSink) -> Iterator[Runtime]:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    runtime = Runtime.open(settings, sink=sink)
    runtime.use_policy(load_policy(DEFAULT))
    yield runtime
    runtime.close()


def test_a_policy_is_recorded_once_with_its_event(rt: Runtime, sink: ListSink) -> None:
    assert record_policy_if_new(rt, actor="operator:test")
    assert not record_policy_if_new(rt, actor="operator:test")
    assert [e.event_type for e in sink.events] == [POLICY_LOADED]
    event = sink.events[0]
    assert event.policy_hash == rt.policy.content_hash
    assert event.body["policy_hash"] == rt.policy.content_hash
    with rt.sessions() as session:
        again = stored_policy(session, rt.policy.content_hash)
    assert again.content_hash == rt.policy.content_hash


def test_items_keep_their_policy_unless_the_new_one_is_stricter(
    rt: Runtime, tmp_path: Path
) -> None:
    record_policy_if_new(rt, actor="operator:test")
    started = rt.policy
    doc = default_document()
    doc["chains"]["public_release"]["stages"][2]["quorum"] = 2
    stricter = load_policy(write_policy(tmp_path, doc, "stricter.yaml"))
    doc = default_document()
    doc["channels"]["website"]["levels"].append("noi_bo")
    looser = load_policy(write_policy(tmp_path, doc, "looser.yaml"))
    with rt.sessions() as session:
        assert policy_for_item(session, stricter, started.content_hash) is stricter
        kept = policy_for_item(session, looser, started.content_hash)
        assert kept.content_hash == started.content_hash
        assert policy_for_item(session, looser, None) is looser
        with pytest.raises(NotFound):
            stored_policy(session, "f" * 64)


def test_a_modified_stored_policy_is_detected(rt: Runtime) -> None:
    record_policy_if_new(rt, actor="operator:test")
    digest = rt.policy.content_hash
    with rt.sessions() as session:
        row = session.query(PolicyVersion).one()
        content = row.content.replace('"quorum":1', '"quorum":5', 1)
        session.execute(update(PolicyVersion).values(content=content))
        session.commit()
    with rt.sessions() as session, pytest.raises(VerificationError, match="may have been modified"):
        stored_policy(session, digest)
