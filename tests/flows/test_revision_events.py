"""What an event about a revision carries (item, revision number, release manifest, policy) is
decided in one place, ``Event.for_revision``: the drift, recall and take-down entries of a
publication carry the same revision fields as its ``publication.published`` entry and are built
through it (a copy of the rule elsewhere could drift from it unnoticed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clearance.auditlog.entry import Entry, parse_leaf
from clearance.auditlog.store import leaf_at, seqs_for_item
from clearance.errors import VerificationError
from clearance.events import Event
from clearance.publishing import check_release, publish_all
from clearance.publishing.monitor import check_live
from clearance.publishing.queue import drive
from clearance.publishing.registry import adapter_for
from clearance.publishing.service import _claim, recall
from clearance.runtime import Runtime
from clearance.services.review import review_revision
from tests.flows.conftest import approve_fully, submit_text
from tests.flows.test_publication_queue import tamper_verdict


@pytest.fixture
def built_through_for_revision(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The kinds of the events ``Event.for_revision`` built while the test ran."""
    kinds: list[str] = []
    original = Event.for_revision.__func__  # type: ignore[attr-defined]

    def spy(cls: type[Event], kind: str, *args: object, **kwargs: object) -> Event:
        kinds.append(kind)
        return original(cls, kind, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Event, "for_revision", classmethod(spy))
    yield kinds


def _entries(rt: Runtime, item: str) -> list[Entry]:
    with rt.sessions() as session:
        return [parse_leaf(leaf_at(session, s)) for s in seqs_for_item(session, item)]


def _fields(entry: Entry) -> tuple[str | None, int | None, str | None, str | None]:
    return entry.item, entry.revision, entry.manifest, entry.policy


def _approved(rt: Runtime) -> str:
    item = submit_text(rt)
    review_revision(rt, item)
    approve_fully(rt, item)
    return item


def test_drift_and_recall_entries_carry_the_published_revision_s_fields(
    rt: Runtime, built_through_for_revision: list[str]
) -> None:
    item = _approved(rt)
    publish_all(rt, item)
    files = rt.settings.published_dir / "items" / item / "files"
    sorted(files.iterdir())[0].write_bytes(b"tampered after approval")
    check_live(rt)
    recall(rt, item, actor="thao.pham", reason="Thông tin cần cập nhật.")
    entries = {e.type: e for e in _entries(rt, item)}
    published = _fields(entries["publication.published"])
    assert published[2] is not None and published[3] is not None
    for kind in ("publication.drifted", "publication.recalled"):
        assert _fields(entries[kind]) == published, kind
    assert {"publication.drifted", "publication.recalled"} <= set(built_through_for_revision)


def test_a_take_down_entry_carries_the_claimed_revision_s_fields(
    rt: Runtime, built_through_for_revision: list[str]
) -> None:
    item = _approved(rt)
    release = check_release(rt, item, "website")
    _claim(rt, release, "website", "website")
    adapter_for(rt, "website").put(release)  # a worker died after the write: a pending row
    tamper_verdict(rt, item)  # after the approval
    with pytest.raises(VerificationError):
        drive(rt, item)
    [removed] = [e for e in _entries(rt, item) if e.type == "publication.removed"]
    assert _fields(removed) == (item, release.revision, release.manifest_hash, release.policy_hash)
    assert "publication.removed" in built_through_for_revision
