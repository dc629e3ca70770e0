"""What the witnesses say about an export (standard library and ``cryptography`` only).

Three questions, each a finding when the answer is wrong:

- ``witness-quorum``: does the export's latest checkpoint carry valid cosignatures from at least
  the policy's quorum of witnesses? A log truncated and re-signed with its own key cannot get
  them, because a witness never cosigns a tree that does not extend the one it saw.
- ``witness-ahead``: has a witness cosigned a larger tree than the export holds? Then the log was
  truncated (or this export is stale), even if the export is self-consistent.
- ``witness-fork``: has a witness cosigned a different root at a size the export covers? Then
  the history was rewritten or readers are shown a split view.

``witness-cosignature`` reports a cosignature line by a policy witness that does not verify, and
``witness-stale`` a newest cosignature older than the auditor's limit.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from clearance.auditlog.checkpoint import parse_body
from clearance.auditlog.cosignature import verified_cosignatures
from clearance.auditlog.findings import Finding, Note
from clearance.auditlog.note import split
from clearance.auditlog.witnesspolicy import WitnessPolicy
from clearance.errors import BadInput, VerificationError


@dataclass(frozen=True, slots=True)
class Observation:
    """A checkpoint a witness says it cosigned last (fetched from it, or kept by the auditor)."""

    witness: str
    note: str


def fetch_latest(policy: WitnessPolicy, origin: str, *, timeout: float = 5.0) -> tuple[
    list[Observation], list[Note]
]:  # fmt: skip
    """Ask every witness with a URL for its latest cosigned checkpoint of ``origin``. Returns
    the observations and a note for every witness that could not be asked."""
    observations: list[Observation] = []
    notes: list[Note] = []
    for spec in policy.witnesses:
        if spec.url is None:
            continue
        parts = urlsplit(f"{spec.url}/checkpoint?origin={quote(origin, safe='')}")
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.netloc, timeout=timeout)
        try:
            connection.request("GET", f"{parts.path}?{parts.query}")
            response = connection.getresponse()
            body = response.read(1 << 20).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            notes.append(
                Note(
                    "witness-unreachable",
                    f"witness {spec.name} could not be asked for its checkpoint ({exc})",
                    {"witness": spec.name, "reason": str(exc)},
                )
            )
            continue
        finally:
            connection.close()
        if response.status == 404:
            notes.append(
                Note(
                    "witness-no-checkpoint",
                    f"witness {spec.name} has cosigned no checkpoint of {origin}",
                    {"witness": spec.name, "origin": origin},
                )
            )
        elif response.status != 200:
            answer = body.strip()[:120]
            notes.append(
                Note(
                    "witness-answer",
                    f"witness {spec.name} answered {response.status}: {answer}",
                    {"witness": spec.name, "status": response.status, "answer": answer},
                )
            )
        else:
            observations.append(Observation(spec.name, body))
    return observations, notes


def check_witnesses(
    latest_note: str,
    size: int,
    root_at: Callable[[int], bytes],
    policy: WitnessPolicy,
    observations: Sequence[Observation] = (),
    *,
    now: int | None = None,
    max_age: int | None = None,
) -> list[Finding]:
    """Findings about ``latest_note`` (the export's latest checkpoint, covering ``size``
    entries) and what the witnesses observed; ``root_at(n)`` is the export's root at size n."""
    findings: list[Finding] = []
    try:
        cosigned = verified_cosignatures(latest_note, policy.keys)
    except VerificationError as exc:
        findings.append(Finding("witness-cosignature", None, f"the latest checkpoint: {exc}"))
        cosigned = []
    except BadInput as exc:
        findings.append(Finding("witness-cosignature", None, f"the latest checkpoint: {exc}"))
        cosigned = []
    if len(cosigned) < policy.quorum:
        names = ", ".join(sorted(c.name for c in cosigned)) or "none"
        findings.append(
            Finding(
                "witness-quorum",
                None,
                f"the latest checkpoint (size {size}) carries {len(cosigned)} valid "
                f"cosignature(s) of the policy's witnesses ({names}) but the policy needs "
                f"{policy.quorum}: the log may have been truncated, rewritten or forked, or "
                "its witnesses were not reached",
                {"size": size, "valid": len(cosigned), "names": names, "quorum": policy.quorum},
            )
        )
    if max_age is not None and now is not None and cosigned:
        newest = max(c.timestamp for c in cosigned)
        if now - newest > max_age:
            findings.append(
                Finding(
                    "witness-stale",
                    None,
                    f"the newest cosignature is {now - newest} s old, more than {max_age} s: "
                    "the log may be showing an old view",
                    {"age": now - newest, "max_age": max_age},
                )
            )
    keys = {spec.name: spec.key for spec in policy.witnesses}
    for seen in observations:
        key = keys.get(seen.witness)
        if key is None:
            continue
        try:
            if not verified_cosignatures(seen.note, [key]):
                raise VerificationError(
                    f"no cosignature by {seen.witness} in its answer",
                    code="witness.no_cosignature",
                    params={"witness": seen.witness},
                )
            checkpoint = parse_body(split(seen.note)[0])
        except (VerificationError, BadInput) as exc:
            findings.append(
                Finding(
                    "witness-cosignature",
                    None,
                    f"witness {seen.witness}'s checkpoint: {exc}",
                    {"witness": seen.witness},
                )
            )
            continue
        if checkpoint.size > size:
            findings.append(
                Finding(
                    "witness-ahead",
                    size,
                    f"witness {seen.witness} has cosigned size {checkpoint.size}, but the export "
                    f"holds {size} entries: the log was truncated or this export is stale",
                    {"witness": seen.witness, "size": checkpoint.size, "entries": size},
                )
            )
        elif checkpoint.size > 0 and root_at(checkpoint.size) != checkpoint.root:
            findings.append(
                Finding(
                    "witness-fork",
                    None,
                    f"witness {seen.witness} cosigned another root for size {checkpoint.size} "
                    "than the export's entries give: history was rewritten or readers are "
                    "shown a split view",
                    {"witness": seen.witness, "size": checkpoint.size},
                )
            )
    return findings
