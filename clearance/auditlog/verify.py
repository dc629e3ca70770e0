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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearance.auditlog.checkpoint import Checkpoint, open_checkpoint, parse_body
from clearance.auditlog.entry import GENESIS_PREV, Entry
from clearance.auditlog.findings import Finding
from clearance.auditlog.note import Verifier, open_note, parse_vkey, split
from clearance.auditlog.scan import Slice, SliceResult, chain_finding, load_relevant, scan, slices
from clearance.auditlog.tree import Levels
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


class SignatureChecker:
    """Checks approver signatures, in ``workers`` processes that run while entries are parsed."""

    BATCH = 2_000

    def __init__(self, workers: int) -> None:
        self._pending: list[SignatureJob] = []
        self._results: list[Any] = []
        self._bad: list[int] = []
        self._pool = multiprocessing.get_context("spawn").Pool(workers) if workers > 1 else None
        self.count = 0

    def map(
        self, function: Callable[[Slice], SliceResult], parts: list[Slice]
    ) -> Iterable[SliceResult]:
        """Run ``function`` over ``parts`` in order, in the pool when there is one."""
        if self._pool is None:
            return map(function, parts)
        return self._pool.imap(function, parts)

    def add(self, jobs: list[SignatureJob]) -> None:
        self._pending.extend(jobs)
        self.count += len(jobs)
        jobs.clear()
        if len(self._pending) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        if self._pool is None:
            self._bad.extend(_check_signatures(batch))
        else:
            self._results.append(self._pool.apply_async(_check_signatures, (batch,)))

    def finish(self) -> list[int]:
        self._flush()
        for result in self._results:
            self._bad.extend(result.get())
        return sorted(self._bad)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None


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


def _read_entries(directory: Path) -> tuple[Path, bytes]:
    path = directory / "entries.jsonl"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist; is {directory} an export?") from None
    if data and not data.endswith(b"\n"):
        raise BadInput(f"{path} does not end in a newline; the export is incomplete")
    return path, data


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
    if not directory.is_dir():
        raise BadInput(f"export folder {directory} does not exist")
    path, data = _read_entries(directory)
    stored = [_peek("checkpoint", read_text(directory / "checkpoint", "latest checkpoint"))]
    folder = directory / "checkpoints"
    if folder.is_dir():
        names = sorted(p.name for p in folder.iterdir())
        stored += [_peek(f"checkpoints/{n}", read_text(folder / n, "checkpoint")) for n in names]
    trusted_files = [_peek(f"trusted checkpoint {i + 1}", t) for i, t in enumerate(trusted)]
    for t in trusted_files:
        if t.checkpoint is None:
            raise BadInput(f"{t.name} is not a well-formed signed checkpoint")
    size = data.count(b"\n")
    parallel = workers > 1 and size >= PARALLEL_THRESHOLD
    parts = slices(path, data, log_key.name, workers * 8 if parallel else 1)
    del data
    report = Report(entries=size)
    signatures = SignatureChecker(workers if parallel else 1)
    try:
        results = signatures.map(scan, parts)
        return _verify(results, size, stored, trusted_files, log_key, report, signatures)
    finally:
        signatures.close()


def _verify(
    results: Iterable[SliceResult],
    size: int,
    stored: list[_CheckpointFile],
    trusted_files: list[_CheckpointFile],
    log_key: Verifier,
    report: Report,
    signatures: SignatureChecker,
) -> Report:
    origin = log_key.name
    workflow = Workflow()
    integrity: list[Finding] = []
    needed = {c.checkpoint.size for c in stored + trusted_files if c.checkpoint is not None}
    leaf_hashes: list[bytes] = []
    timeline = _KeyTimeline(log_key)
    last_hash = GENESIS_PREV
    broken_at: int | None = None
    for result in results:
        first_prev = result.first_prev
        if broken_at is None and first_prev is not None and first_prev != last_hash:
            integrity.append(chain_finding(result.first_index, first_prev, last_hash))
            broken_at = result.first_index
        if broken_at is None and result.finding is not None:
            integrity.append(result.finding)
            broken_at = result.first_index + result.count
            if result.finding.index is not None:
                broken_at = result.finding.index
        hashes = result.hashes
        leaf_hashes += [hashes[offset : offset + 32] for offset in range(0, len(hashes), 32)]
        if hashes:
            last_hash = hashes[-32:].hex()
        for index, line in result.relevant:
            if broken_at is not None and index >= broken_at:
                break
            entry = Entry(**load_relevant(line))  # type: ignore[arg-type]
            if entry.type == "log.key_rotated":
                finding = _rotation(index, entry.body, timeline)
                if finding is not None:
                    integrity.append(finding)
            workflow.apply(index, entry)
            if workflow.jobs:
                signatures.add(workflow.jobs)

    # Every complete node once, level by level; then each needed root in O(log n).
    levels = Levels(leaf_hashes)
    del leaf_hashes
    roots = {n: levels.root(n) for n in needed if n <= levels.size}
    report.root = levels.root().hex()
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
    report.signatures = signatures.count
    for index in signatures.finish():
        workflow.findings.append(
            Finding("signoff-signature", index, "the approver's signature does not verify")
        )
    integrity.sort(key=lambda f: -1 if f.index is None else f.index)
    rules = sorted(workflow.findings, key=lambda f: -1 if f.index is None else f.index)
    report.findings = (integrity + rules)[:MAX_FINDINGS]
    return report


def report_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False)
