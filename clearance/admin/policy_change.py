"""Staging a proposed policy text on disk, validating it, and putting it in force on confirmation.

Proposed files live under ``home/policies/<hash>.yaml`` beside copies of the files the policy in
force includes (``screening.yaml``), so ``screening: {include: ...}`` resolves the same way.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from clearance.errors import BadInput, Conflict
from clearance.policy import Policy, load_policy
from clearance.runtime import Runtime

MAX_POLICY_BYTES = 1024 * 1024


def staging_dir(rt: Runtime) -> Path:
    folder = rt.settings.home / "policies"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def stage_policy(rt: Runtime, text: str) -> tuple[Policy, Path]:
    """Write ``text`` to the staging folder and load it (``PolicyInvalid`` lists every problem)."""
    data = text.replace("\r\n", "\n").encode("utf-8")
    if len(data) > MAX_POLICY_BYTES:
        raise BadInput(f"the policy is {len(data)} bytes; keep it under {MAX_POLICY_BYTES}")
    folder = staging_dir(rt)
    source_dir = rt.settings.policy_path.resolve().parent
    for included in source_dir.glob("*.yaml"):
        if included.resolve() != rt.settings.policy_path.resolve():
            target = folder / included.name
            if not target.exists():
                shutil.copyfile(included, target)
    path = folder / f"proposed-{hashlib.sha256(data).hexdigest()[:16]}.yaml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return load_policy(path), path


def apply_policy(rt: Runtime, admin: str, payload: dict[str, Any]) -> None:
    """Put a confirmed proposal in force in this runtime and record it in the log."""
    from clearance.policy.store import record_policy_if_new

    path = Path(str(payload["path"]))
    policy = load_policy(path)
    if policy.content_hash != payload.get("policy_hash"):
        raise Conflict(
            "the staged policy file changed after it was proposed; propose it again",
            code="change.stale_policy_file",
        )
    record_policy_if_new(rt, actor=admin, policy=policy)
