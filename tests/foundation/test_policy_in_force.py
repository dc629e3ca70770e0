"""The policy in force is the latest recorded version, seen by every process's runtime."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from clearance.policy import load_policy, record_policy_if_new
from clearance.policy.inforce import RECHECK_SECONDS, PolicyInForce
from clearance.runtime import Runtime
from tests.foundation.conftest import ListSink

DEFAULT = Path(__file__).resolve().parents[2] / "clearance" / "policies_default" / "default.yaml"


def test_recorded_policy_reaches_other_runtimes(rt: Runtime, tmp_path: Path) -> None:
    file_policy = load_policy(DEFAULT)
    assert rt.policy.content_hash == file_policy.content_hash  # nothing recorded: the file
    assert record_policy_if_new(rt, actor="operator:test")
    other = Runtime.open(rt.settings, sink=ListSink())
    assert other.policy.content_hash == file_policy.content_hash

    document = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    document["metadata"]["version"] = f"{document['metadata']['version']}-b"
    changed_path = tmp_path / "default.yaml"
    changed_path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    (tmp_path / "screening.yaml").write_text(
        (DEFAULT.parent / "screening.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    changed = load_policy(changed_path)
    assert changed.content_hash != file_policy.content_hash
    assert record_policy_if_new(rt, actor="admin", policy=changed)

    other.policies.expire()  # do not wait for the two-second recheck
    assert other.policy.content_hash == changed.content_hash
    assert other.policy.version.endswith("-b")
    other.close()


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _policy_file(folder: Path, version_suffix: str) -> Path:
    """A copy of the default policy (and its screening file) whose version ends in the suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    document = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    document["metadata"]["version"] = f"{document['metadata']['version']}{version_suffix}"
    path = folder / "default.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    screening = DEFAULT.parent / "screening.yaml"
    (folder / "screening.yaml").write_text(screening.read_text("utf-8"), encoding="utf-8")
    return path


def test_the_runtime_reads_the_policy_through_the_policy_package(rt: Runtime) -> None:
    """``Runtime`` only wires: the loader and its cache are the policy package's."""
    assert isinstance(rt.policies, PolicyInForce)
    assert rt.policy is rt.policies.current()
    pinned = load_policy(DEFAULT)
    rt.use_policy(pinned)
    assert rt.policy is pinned
    rt.use_policy(None)
    assert rt.policy is not pinned and rt.policy.content_hash == pinned.content_hash


def test_before_anything_is_recorded_the_file_is_read_once(rt: Runtime, tmp_path: Path) -> None:
    path = _policy_file(tmp_path / "policies", "-a")
    clock = Clock()
    policies = PolicyInForce(rt.readers, path, clock=clock)
    first = policies.current()
    assert first.version.endswith("-a")
    _policy_file(tmp_path / "policies", "-edited")  # the file changes on disk
    clock.now += RECHECK_SECONDS * 10
    assert policies.current() is first  # read once per process: `clearance init` seeds from it


def test_an_edited_file_never_becomes_the_rules_once_a_version_is_recorded(
    rt: Runtime, tmp_path: Path
) -> None:
    path = _policy_file(tmp_path / "policies", "-a")
    recorded = load_policy(path)
    rt.use_policy(recorded)
    assert record_policy_if_new(rt, actor="operator:test")
    rt.use_policy(None)
    clock = Clock()
    policies = PolicyInForce(rt.readers, path, clock=clock)
    assert policies.current().content_hash == recorded.content_hash
    _policy_file(tmp_path / "policies", "-edited")
    clock.now += RECHECK_SECONDS * 10
    policies.expire()
    assert policies.current().content_hash == recorded.content_hash
    assert not policies.current().version.endswith("-edited")
    # a fresh process, too, takes the recorded version and not the edited file
    assert PolicyInForce(rt.readers, path).current().content_hash == recorded.content_hash


def test_a_newly_recorded_version_is_seen_after_the_recheck_interval(
    rt: Runtime, tmp_path: Path
) -> None:
    assert record_policy_if_new(rt, actor="operator:test")
    clock = Clock()
    policies = PolicyInForce(rt.readers, rt.settings.policy_path, clock=clock)
    old = policies.current()
    newer = load_policy(_policy_file(tmp_path / "policies", "-b"))
    assert record_policy_if_new(rt, actor="admin", policy=newer)  # confirmed elsewhere
    clock.now += RECHECK_SECONDS / 2
    assert policies.current() is old  # still trusted within the interval
    clock.now += RECHECK_SECONDS / 2
    assert policies.current().content_hash == newer.content_hash
    assert policies.current().version.endswith("-b")


def test_expire_asks_the_database_at_once(rt: Runtime, tmp_path: Path) -> None:
    assert record_policy_if_new(rt, actor="operator:test")
    policies = PolicyInForce(rt.readers, rt.settings.policy_path, clock=Clock())
    policies.current()
    newer = load_policy(_policy_file(tmp_path / "policies", "-c"))
    assert record_policy_if_new(rt, actor="admin", policy=newer)
    policies.expire()
    assert policies.current().content_hash == newer.content_hash


def test_a_due_recheck_reads_through_the_callers_snapshot_when_given(rt: Runtime) -> None:
    """A page passes its own read snapshot: the re-check reads there, not in a transaction of
    the cache's own (the page then reads in one snapshot); a check not due reads nothing."""
    assert record_policy_if_new(rt, actor="operator:test")
    opened: list[str] = []

    def own() -> AbstractContextManager[Session]:
        opened.append("own")
        return rt.readers()

    def callers() -> AbstractContextManager[Session]:
        opened.append("caller's")
        return rt.readers()

    clock = Clock()
    policies = PolicyInForce(own, DEFAULT, clock=clock)
    first = policies.current(callers)
    assert opened == ["caller's", "caller's"]  # the latest hash, then that version
    opened.clear()
    clock.now += RECHECK_SECONDS / 2
    assert policies.current(callers) is first and opened == []  # not due: the cache answers
    clock.now += RECHECK_SECONDS
    assert policies.current(callers) is first and opened == ["caller's"]  # same hash: one read
    opened.clear()
    policies.expire()
    assert policies.current() is first and opened == ["own"]  # no snapshot given: its own
