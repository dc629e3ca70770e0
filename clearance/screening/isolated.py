"""A hard guard around :func:`screen_file`: the screening runs in a child process with a wall
timeout and an address-space limit, so a parser stuck inside one C call, a runaway allocation or
a crash cannot hang or take down the caller. Any such end becomes a held result with the reason.

The parent sends ``(data, filename, rules, allowed_types)`` pickled on the child's stdin (the
parent trusts its own objects). The child answers with JSON only (never pickle), because the
child is the process that touched hostile bytes: a compromised child can at worst return a wrong
verdict, and anything malformed is itself held.

Cost: one interpreter start (a few hundred milliseconds), so the pipeline uses it per file, not
per text snippet. Run by ``python -m clearance.screening.isolated`` (internal protocol).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import pickle
import subprocess
import sys
from typing import Any

from clearance.screening.rules import ScreeningRules
from clearance.screening.types import Coverage, FileResult, Finding, Severity, Verdict

DEFAULT_MEMORY_BYTES = 2 * 1024 * 1024 * 1024
_GRACE_SECONDS = 10.0  # interpreter start and imports on a loaded machine


def _held(reason: str) -> FileResult:
    finding = Finding(
        "screening.held",
        Severity.REVIEW,
        reason,
        part="file",
        explanation="Anything not fully inspected is held for a human.",
    )
    return FileResult(
        verdict=Verdict.REVIEW,
        detected_type="unknown",
        level=None,
        findings=(finding,),
        held_reason=reason,
    )


def _finding(raw: dict[str, Any]) -> Finding:
    return Finding(
        rule=str(raw["rule"]),
        severity=Severity(raw["severity"]),
        message=str(raw["message"]),
        part=str(raw.get("part", "")),
        location=str(raw.get("location", "")),
        excerpt=str(raw.get("excerpt", "")),
        explanation=str(raw.get("explanation", "")),
        reference=str(raw.get("reference", "")),
        level=None if raw.get("level") is None else str(raw["level"]),
    )


def result_from_json(raw: dict[str, Any], sanitized: bytes | None) -> FileResult:
    """Rebuild a :class:`FileResult` from ``FileResult.to_json()`` and the derivative bytes."""
    return FileResult(
        verdict=Verdict(raw["verdict"]),
        detected_type=str(raw["detected_type"]),
        level=None if raw.get("level") is None else str(raw["level"]),
        findings=tuple(_finding(f) for f in raw["findings"]),
        sanitized=sanitized,
        sanitized_type=None if raw.get("sanitized_type") is None else str(raw["sanitized_type"]),
        held_reason=None if raw.get("held_reason") is None else str(raw["held_reason"]),
        coverage=tuple(Coverage.from_json(c) for c in raw.get("coverage", ())),
    )


def screen_file_isolated(
    data: bytes,
    filename: str,
    rules: ScreeningRules,
    *,
    allowed_types: frozenset[str] | None = None,
    timeout: float | None = None,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> FileResult:
    """:func:`screen_file` in a child process killed after ``timeout`` seconds (default: the
    policy's ``max_seconds`` plus a start-up grace) and limited to ``memory_bytes`` of address
    space. Never raises for bad content; a timeout, a crash or a malformed answer is held."""
    limit = rules.limits.max_seconds + _GRACE_SECONDS if timeout is None else timeout
    request = pickle.dumps((data, filename, rules, allowed_types, memory_bytes))
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "clearance.screening.isolated"],
            input=request,
            capture_output=True,
            timeout=limit,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _held(
            f"screening did not finish within {limit:g} s and was stopped; "
            "a reviewer must inspect the file by hand"
        )
    except OSError as exc:
        return _held(f"the screening process could not be started ({exc.strerror})")
    if completed.returncode != 0:
        how = (
            f"signal {-completed.returncode}"
            if completed.returncode < 0
            else f"exit status {completed.returncode}"
        )
        tail = completed.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return _held(f"the screening process failed ({how}) {tail[0][:200]}".strip())
    try:
        answer = json.loads(completed.stdout)
        sanitized = answer.get("sanitized")
        derivative = None if sanitized is None else base64.b64decode(sanitized, validate=True)
        return result_from_json(answer["result"], derivative)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        return _held(f"the screening process gave a malformed answer ({type(exc).__name__})")


def _child() -> None:  # pragma: no cover - runs in the child process
    import resource

    request = sys.stdin.buffer.read()  # written by our own parent: trusted, never file data
    data, filename, rules, allowed_types, memory_bytes = pickle.loads(request)  # noqa: S301
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    from clearance.screening.engine import screen_file

    result = screen_file(data, filename, rules, allowed_types=allowed_types)
    sanitized = None if result.sanitized is None else base64.b64encode(result.sanitized).decode()
    sys.stdout.write(json.dumps({"result": result.to_json(), "sanitized": sanitized}))


if __name__ == "__main__":  # pragma: no cover
    _child()
