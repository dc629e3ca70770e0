"""Offline verification of an export (pure: stdlib, ``cryptography`` and the pure modules).

Trusts only the vkey and checkpoints the auditor passes, never keys found in the export. Checks:
every entry is a canonical leaf with the right origin, sequence number and previous hash; every
stored checkpoint is signed by the log key in force at its size and commits to the recomputed
root; every trusted checkpoint is consistent with the export (a truncated or forked export is
caught); the newest checkpoint covers every entry; log-key rotations are signed by both keys;
the workflow rules in ``workflow`` hold, including every approver signature.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clearance.auditlog.checkpoint import Checkpoint, open_checkpoint, parse_body
from clearance.auditlog.entry import parse_leaf
from clearance.auditlog.findings import Finding
from clearance.auditlog.note import Verifier, open_note, parse_vkey, split
from clearance.auditlog.rfc6962 import leaf_hash
from clearance.auditlog.tree import Builder
from clearance.auditlog.workflow import SignatureJob, Workflow
from clearance.errors import BadInput, VerificationError

MAX_FINDINGS = 100
PARALLEL_THRESHOLD = 2_000


@dataclass
class Report:
    entries: int = 0
    checkpoints: int = 0
    trusted_checkpoints: int = 0
    signatures: int = 0
    root: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "trusted_checkpoints": self.trusted_checkpoints,
            "approver_signatures": self.signatures,
            "root": self.root,
            "first": self.first.as_dict() if self.first else None,
            "findings": [f.as_dict() for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class _CheckpointFile:
    name: str
    text: str
    checkpoint: Checkpoint | None


def read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{what} {path} does not exist") from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise BadInput(f"{what} {path} is not a UTF-8 text file") from None


def _peek(name: str, text: str) -> _CheckpointFile:
    try:
        body, _ = split(text)
        return _CheckpointFile(name, text, parse_body(body))
    except BadInput:
        return _CheckpointFile(name, text, None)


def _check_signatures(jobs: Sequence[SignatureJob]) -> list[int]:
    bad = []
    for job in jobs:
        if not Verifier("k", job.public_key).verify(job.message, job.signature):
            bad.append(job.index)
    return bad


def check_signatures(jobs: Sequence[SignatureJob], workers: int) -> list[int]:
    """Indices whose signature fails, using ``workers`` processes for large batches."""
    if workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        return _check_signatures(jobs)
    size = -(-len(jobs) // (workers * 4))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = pool.map(_check_signatures, chunks)
    return sorted(i for part in results for i in part)


class _KeyTimeline:
    """Which log key signs checkpoints of which sizes (rotations move it forward)."""

    def __init__(self, first: Verifier) -> None:
        self.keys: list[tuple[int, Verifier]] = [(0, first)]

    @property
    def current(self) -> Verifier:
        return self.keys[-1][1]

    def rotate(self, from_size: int, key: Verifier) -> None:
        self.keys.append((from_size, key))

    def at(self, size: int) -> Verifier:
        key = self.keys[0][1]
        for start, candidate in self.keys:
            if start <= size:
                key = candidate
        return key


def _rotation(index: int, body: object, timeline: _KeyTimeline) -> Finding | None:
    if not isinstance(body, dict):
        return Finding("log-key-rotation", index, "log.key_rotated has no body")
    try:
        old = parse_vkey(str(body.get("old_vkey")))
        new = parse_vkey(str(body.get("new_vkey")))
        if old != timeline.current:
            return Finding(
                "log-key-rotation", index, "log key rotation does not start from the key in force"
            )
        note = open_note(str(body.get("statement")), [old, new])
        names = {(s.name, s.key_id) for s in note.verified}
        if names != {(old.name, old.key_id), (new.name, new.key_id)}:
            return Finding("log-key-rotation", index, "rotation is not signed by both keys")
        if f"\nold {old.vkey}\nnew {new.vkey}\n" not in note.text:
            return Finding("log-key-rotation", index, "rotation statement names other keys")
    except (BadInput, VerificationError) as exc:
        return Finding("log-key-rotation", index, f"log key rotation does not verify: {exc}")
    timeline.rotate(index + 1, new)
    return None


def _read_lines(directory: Path) -> list[bytes]:
    path = directory / "entries.jsonl"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist; is {directory} an export?") from None
    if not data:
        return []
    if not data.endswith(b"\n"):
        data += b"\n"
    return data[:-1].split(b"\n")


def verify_export(
    directory: Path,
    vkey: str,
    trusted: Sequence[str] = (),
    *,
    workers: int = 1,
) -> Report:
    """Verify the export in ``directory`` against the auditor's ``vkey`` and ``trusted``
    checkpoint notes. Raise BadInput for unusable input; return findings for everything else."""
    log_key = parse_vkey(vkey)
    origin = log_key.name
    if not directory.is_dir():
        raise BadInput(f"export folder {directory} does not exist")
    lines = _read_lines(directory)
    stored = [_peek("checkpoint", read_text(directory / "checkpoint", "latest checkpoint"))]
    folder = directory / "checkpoints"
    if folder.is_dir():
        names = sorted(p.name for p in folder.iterdir())
        stored += [_peek(f"checkpoints/{n}", read_text(folder / n, "checkpoint")) for n in names]
    trusted_files = [_peek(f"trusted checkpoint {i + 1}", t) for i, t in enumerate(trusted)]
    for t in trusted_files:
        if t.checkpoint is None:
            raise BadInput(f"{t.name} is not a well-formed signed checkpoint")

    report = Report(entries=len(lines))
    integrity: list[Finding] = []
    needed = {c.checkpoint.size for c in stored + trusted_files if c.checkpoint is not None}
    roots: dict[int, bytes] = {}
    builder = Builder()
    timeline = _KeyTimeline(log_key)
    workflow = Workflow()
    prev_hash: bytes | None = None
    broken = False
    if 0 in needed:
        roots[0] = builder.root()
    for index, line in enumerate(lines):
        digest = leaf_hash(line)
        builder.add_hash(digest)
        if index + 1 in needed:
            roots[index + 1] = builder.root()
        if broken:
            prev_hash = digest
            continue
        try:
            entry = parse_leaf(line)
        except BadInput as exc:
            integrity.append(Finding("entry-malformed", index, str(exc)))
            broken = True
            continue
        if entry.seq != index:
            integrity.append(
                Finding(
                    "entry-seq",
                    index,
                    f"line {index} holds seq {entry.seq}, want {index}: entries were deleted, "
                    "inserted, duplicated or reordered",
                )
            )
            broken = True
            continue
        want_prev = prev_hash.hex() if prev_hash is not None else "0" * 64
        if entry.prev != want_prev:
            integrity.append(
                Finding(
                    "entry-chain",
                    max(index - 1, 0),
                    f"entry {index} records prev {entry.prev[:16]}… but entry {index - 1} hashes "
                    f"to {want_prev[:16]}…: entry {index - 1} was altered",
                )
            )
            broken = True
            continue
        if entry.origin != origin:
            integrity.append(
                Finding("entry-origin", index, f"entry origin {entry.origin!r}, want {origin!r}")
            )
            broken = True
            continue
        prev_hash = digest
        if entry.type == "log.key_rotated":
            finding = _rotation(index, entry.body, timeline)
            if finding is not None:
                integrity.append(finding)
        workflow.apply(index, entry)

    size = len(lines)
    report.root = builder.root().hex()
    verified_roots: dict[int, bytes] = {}
    good_sizes: list[int] = [0]

    def localise(bad_size: int) -> int:
        return max((s for s in good_sizes if s < bad_size), default=0)

    def check(c: _CheckpointFile, trusted_one: bool) -> None:
        if c.checkpoint is None:
            integrity.append(Finding("checkpoint-malformed", None, f"{c.name} is malformed"))
            return
        cp = c.checkpoint
        key = timeline.at(cp.size)
        try:
            open_checkpoint(c.text, [key], origin=origin)
        except VerificationError as exc:
            if trusted_one:
                raise BadInput(f"{c.name} does not verify with the vkey given: {exc}") from None
            code = "checkpoint-untrusted" if "no verifiable" in str(exc) else "checkpoint-signature"
            integrity.append(Finding(code, None, f"{c.name} (size {cp.size}): {exc}"))
            return
        except BadInput as exc:
            integrity.append(Finding("checkpoint-malformed", None, f"{c.name}: {exc}"))
            return
        if cp.size > size:
            integrity.append(
                Finding(
                    "truncated",
                    size,
                    f"the export holds {size} entries but {c.name} covers {cp.size}: "
                    "the tail was truncated",
                )
            )
            return
        if roots[cp.size] != cp.root:
            code = "fork" if trusted_one else "checkpoint-root"
            integrity.append(
                Finding(
                    code,
                    localise(cp.size),
                    f"{c.name} signs root {cp.root.hex()[:16]}… for size {cp.size} but the "
                    f"entries hash to {roots[cp.size].hex()[:16]}…: history was rewritten",
                )
            )
            return
        verified_roots[cp.size] = cp.root
        good_sizes.append(cp.size)

    for c in sorted(stored, key=lambda c: c.checkpoint.size if c.checkpoint else -1):
        check(c, trusted_one=False)
    for c in trusted_files:
        check(c, trusted_one=True)
    report.checkpoints = len(stored)
    report.trusted_checkpoints = len(trusted_files)
    newest = max(verified_roots, default=None)
    if newest is None:
        integrity.append(Finding("unsigned-tail", 0, "no checkpoint verifies with the log key"))
    elif newest < size and not any(f.code == "truncated" for f in integrity):
        integrity.append(
            Finding(
                "unsigned-tail",
                newest,
                f"entries {newest}..{size - 1} are not covered by any signed checkpoint",
            )
        )

    for index, cp_size, cp_root in workflow.checkpoint_refs:
        if verified_roots.get(cp_size) != cp_root:
            workflow.findings.append(
                Finding(
                    "signoff-checkpoint",
                    index,
                    f"the approver cites checkpoint size {cp_size}, which is not a verified "
                    "checkpoint of this log",
                )
            )
    report.signatures = len(workflow.jobs)
    for index in check_signatures(workflow.jobs, workers):
        workflow.findings.append(
            Finding("signoff-signature", index, "the approver's signature does not verify")
        )
    integrity.sort(key=lambda f: -1 if f.index is None else f.index)
    rules = sorted(workflow.findings, key=lambda f: -1 if f.index is None else f.index)
    report.findings = (integrity + rules)[:MAX_FINDINGS]
    return report


def report_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False)
