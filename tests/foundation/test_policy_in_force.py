"""The policy in force is the latest recorded version, seen by every process's runtime."""

from __future__ import annotations

from pathlib import Path

import yaml

from clearance.policy import load_policy, record_policy_if_new
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

    other.POLICY_RECHECK_SECONDS = 0.0  # type: ignore[misc]
    assert other.policy.content_hash == changed.content_hash
    assert other.policy.version.endswith("-b")
    other.close()
