"""The author's pre-check: screen the text and files before anything is submitted.

Nothing is recorded: the findings are shown on the form so the author can fix them first.
"""

from __future__ import annotations

from typing import Any

from clearance.errors import ClearanceError
from clearance.runtime import Runtime

BODY = "body.txt"


def _allowed_types(rt: Runtime, channels: list[str]) -> frozenset[str]:
    policy = rt.policy
    sets = [policy.channels[c].file_types for c in channels if c in policy.channels]
    if not sets:
        return frozenset()
    allowed = set(sets[0])
    for more in sets[1:]:
        allowed &= more
    return frozenset(allowed)


def run(
    rt: Runtime, text: str, staged: list[dict[str, str]], channels: list[str]
) -> list[dict[str, Any]]:
    """Findings for the body text and every staged file, each with ``file`` naming where."""
    from clearance.services.review import screen_part

    policy = rt.policy
    allowed = _allowed_types(rt, channels)
    inputs: list[tuple[str, bytes, bool]] = []  # name, bytes, is a file
    if text.strip():
        inputs.append((BODY, text.encode("utf-8"), False))
    inputs.extend((s["name"], rt.blobs.read(s["sha256"]), True) for s in staged)
    findings: list[dict[str, Any]] = []
    for name, data, is_file in inputs:
        try:
            result = screen_part(
                rt, policy.screening, name=name, data=data, body=not is_file, allowed=allowed
            )
        except ClearanceError as exc:
            findings.append(
                {"file": name, "rule": "unreadable", "severity": "block", "message": exc.message}
            )
            continue
        findings.extend({"file": name, **f.to_json()} for f in result.findings)
        if result.held_reason:
            findings.append(
                {
                    "file": name,
                    "rule": "held",
                    "severity": str(result.verdict),
                    "message": result.held_reason,
                }
            )
    return findings
