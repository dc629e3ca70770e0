"""The author's pre-check: screen the text and files before anything is submitted.

Nothing is recorded: the findings are shown on the form so the author can fix them first.
``summary`` sorts them into what will block the item (said plainly, with why) and what is
only a note for the approvers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clearance.errors import ClearanceError
from clearance.runtime import Runtime
from clearance.services.items import LanguageVersion
from clearance.services.uploads import version_name

BODY = "body.txt"
#: the pre-check's own rule ids: a file the screening could not read, or held
UNREADABLE = "unreadable"
HELD = "held"
#: finding severities and verdicts that block the item when it is submitted
BLOCKING = frozenset({"block", "blocked"})


def _allowed_types(rt: Runtime, channels: list[str]) -> frozenset[str]:
    policy = rt.policy
    return policy.accepted_file_types([c for c in channels if c in policy.channels])


def run(
    rt: Runtime,
    text: str,
    staged: list[dict[str, str]],
    channels: list[str],
    versions: Sequence[LanguageVersion] = (),
    version_files: Sequence[tuple[str, dict[str, str]]] = (),
) -> list[dict[str, Any]]:
    """Findings for the body text, every language version (its title and body, as the review
    screens it), every staged file and every staged file of a version (``version_files``:
    the version's language and the file), each with ``file`` naming where and, as the
    review's findings do, ``version`` naming the language version it is in."""
    from clearance.services.items import file_type_refusal
    from clearance.services.review import screen_part, version_text
    from webapp.publishing import user_message

    policy = rt.policy
    known = [c for c in channels if c in policy.channels]
    allowed = _allowed_types(rt, channels)
    inputs: list[tuple[str, bytes, bool, str]] = []  # name, bytes, is a file, version
    if text.strip():
        inputs.append((BODY, text.encode("utf-8"), False, ""))
    for version in versions:
        data = version_text(version.title, version.body_text.encode("utf-8"))
        inputs.append((version_name(version.language or "_"), data, False, version.language))
    inputs.extend((s["name"], rt.blobs.read(s["sha256"]), True, "") for s in staged)
    inputs.extend(
        (s["name"], rt.blobs.read(s["sha256"]), True, language) for language, s in version_files
    )
    findings: list[dict[str, Any]] = []
    for name, data, is_file, language in inputs:
        where: dict[str, Any] = {"file": name, **({"version": language} if language else {})}
        refusal = file_type_refusal(rt, known, name, data) if is_file else None
        if refusal is not None:
            findings.append(
                {
                    **where,
                    "rule": refusal.code,
                    "severity": "block",
                    "message": user_message(refusal),
                    "detail": user_message(refusal),  # in the user's language already
                }
            )
            continue  # the screening would only repeat it, in other words
        try:
            result = screen_part(
                rt, policy.screening, name=name, data=data, body=not is_file, allowed=allowed
            )
        except ClearanceError as exc:
            findings.append(
                {**where, "rule": UNREADABLE, "severity": "block", "message": exc.message}
            )
            continue
        findings.extend({**where, **f.to_json()} for f in result.findings)
        if result.held_reason:
            findings.append(
                {
                    **where,
                    "rule": HELD,
                    "severity": str(result.verdict),
                    "message": result.held_reason,
                }
            )
    return findings


@dataclass(frozen=True, slots=True)
class Summary:
    """The pre-check's findings sorted by what they mean for the item."""

    #: findings that will block the item if it is submitted as it is
    blocking: tuple[dict[str, Any], ...]
    #: findings the approvers will see, which do not block
    notes: tuple[dict[str, Any], ...]
    #: a blocking finding implies a state-secret level (never published; the security
    #: officer is told)
    state_secret: bool


def summary(rt: Runtime, findings: list[dict[str, Any]]) -> Summary:
    policy = rt.policy
    secret_levels = {level.name for level in policy.levels if level.state_secret}

    def secret(f: dict[str, Any]) -> bool:
        return str(f.get("level") or "") in secret_levels

    def blocks(f: dict[str, Any]) -> bool:
        return str(f.get("severity")) in BLOCKING or secret(f)

    return Summary(
        blocking=tuple(f for f in findings if blocks(f)),
        notes=tuple(f for f in findings if not blocks(f)),
        state_secret=any(secret(f) for f in findings),
    )
