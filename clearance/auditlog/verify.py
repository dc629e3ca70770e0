"""Offline verification of an export (pure: stdlib, ``cryptography`` and the pure modules).

Trusts only the vkey and checkpoints the auditor passes, never keys found in the export. Checks:
every entry is a canonical leaf with the right origin, sequence number and previous hash; every
stored checkpoint is signed by the log key in force at its size and commits to the recomputed
root; every trusted checkpoint is consistent with the export (a truncated or forked export is
caught); the newest checkpoint covers every entry; log-key rotations are signed by both keys;
the workflow rules in ``workflow`` hold, including every approver signature.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from clearance.auditlog.checkpoint import Checkpoint, open_checkpoint, parse_body
from clearance.auditlog.entry import EntryTuple
from clearance.auditlog.findings import Finding
from clearance.auditlog.note import Verifier, open_note, parse_vkey, split
from clearance.auditlog.rfc6962 import HASH_SIZE
from clearance.auditlog.scan import (
    Slice,
    SliceResult,
    check_slice,
    line_size,
    load_records,
    plan_slices,
)
from clearance.auditlog.tree import Levels
from clearance.auditlog.witnesscheck import Observation, check_witnesses
from clearance.auditlog.witnesspolicy import WitnessPolicy
from clearance.auditlog.workflow import SignatureJob, Workflow
from clearance.errors import BadInput, VerificationError

MAX_FINDINGS = 100


@dataclass(frozen=True, slots=True)
class WitnessRequirement:
    """The auditor's witness policy and what the witnesses said (see ``witnesscheck``)."""

    policy: WitnessPolicy
    observations: Sequence[Observation] = ()
    notes: Sequence[str] = ()
    now: int | None = None
    max_age: int | None = None


PARALLEL_THRESHOLD = 20_000
SLICE_LINES = 20_000


@dataclass
class Report:
    entries: int = 0
    checkpoints: int = 0
    trusted_checkpoints: int = 0
    signatures: int = 0
    root: str | None = None
    findings: list[Finding] = field(default_factory=list)
    #: what the verifier could not check and why (a witness that was not reached); not failures
    notes: list[str] = field(default_factory=list)

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
            "notes": list(self.notes),
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


_KEYS: dict[bytes, Ed25519PublicKey | None] = {}


def check_signatures(batch: Sequence[SignatureJob]) -> list[int]:
    """Indices of the jobs whose Ed25519 signature does not verify (key objects cached)."""
    bad = []
    keys = _KEYS
    for index, public_key, message, signature in batch:
        key = keys.get(public_key, _KEYS)
        if key is _KEYS:
            try:
                key = Ed25519PublicKey.from_public_bytes(public_key)
            except ValueError:
                key = None
            keys[public_key] = key
        try:
            if key is None or len(signature) != 64:
                raise InvalidSignature
            key.verify(signature, message)  # type: ignore[union-attr]
        except InvalidSignature:
            bad.append(index)
    return bad


class _Tasks:
    """Work for the standard library's process pool, results taken in submission order; without
    a pool each task runs in this process when it is taken (or gathered)."""

    def __init__(self, pool: Executor | None) -> None:
        self._pool = pool
        self._items: list[tuple[Future[Any] | None, Callable[[Any], Any], Any]] = []
        self._taken: set[int] = set()
        self.results: list[Any] = []

    def submit(self, function: Callable[[Any], Any], argument: Any) -> int:
        future = None if self._pool is None else self._pool.submit(function, argument)
        self._items.append((future, function, argument))
        self.results.append(None)
        return len(self._items) - 1

    def take(self, number: int) -> Any:
        future, function, argument = self._items[number]
        self._taken.add(number)
        self._items[number] = (None, function, None)
        return function(argument) if future is None else future.result()

    def gather(self) -> None:
        """Wait for every task not taken and keep its result in ``results``."""
        for number in range(len(self._items)):
            if number not in self._taken:
                self.results[number] = self.take(number)


class SignatureChecker:
    """Approver signatures in batches of ``BATCH``, handed to ``tasks`` as they fill."""

    BATCH = 2_000

    def __init__(self, tasks: _Tasks) -> None:
        self._tasks = tasks
        self._pending: list[SignatureJob] = []
        self._numbers: list[int] = []
        self.count = 0

    def add(self, jobs: list[SignatureJob]) -> None:
        self._pending += jobs
        self.count += len(jobs)
        jobs.clear()
        if len(self._pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            self._numbers.append(self._tasks.submit(check_signatures, batch))

    def bad(self) -> list[int]:
        """Indices of bad signatures (after ``flush`` and the tasks' ``gather``)."""
        return sorted(i for n in self._numbers for i in self._tasks.results[n])


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


def _entries_file(directory: Path) -> tuple[Path, int]:
    """The entries file and its size; it must end in a newline."""
    path = directory / "entries.jsonl"
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            if size:
                handle.seek(size - 1)
                last = handle.read(1)
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist; is {directory} an export?") from None
    if size and last != b"\n":
        raise BadInput(f"{path} does not end in a newline; the export is incomplete")
    return path, size


def verify_export(
    directory: Path,
    vkey: str,
    trusted: Sequence[str] = (),
    *,
    workers: int = 1,
    witnesses: WitnessRequirement | None = None,
) -> Report:
    """Verify the export in ``directory`` against the auditor's ``vkey`` and ``trusted``
    checkpoint notes. Raise BadInput for unusable input; return findings for everything else.

    The entries file is cut into slices by byte ranges. With ``workers`` > 1, that many processes
    do all the per-line work from the start (hashes, canonical form, chain and sequence, reading
    sign-off statements and registered keys), then the approver signatures; this process only
    counts lines to cut the slices, replays the workflow lines in order as the slices come back,
    and builds the tree.
    """
    log_key = parse_vkey(vkey)
    if not directory.is_dir():
        raise BadInput(f"export folder {directory} does not exist")
    path, size = _entries_file(directory)
    stored = [_peek("checkpoint", read_text(directory / "checkpoint", "latest checkpoint"))]
    folder = directory / "checkpoints"
    if folder.is_dir():
        names = sorted(p.name for p in folder.iterdir())
        stored += [_peek(f"checkpoints/{n}", read_text(folder / n, "checkpoint")) for n in names]
    trusted_files = [_peek(f"trusted checkpoint {i + 1}", t) for i, t in enumerate(trusted)]
    for t in trusted_files:
        if t.checkpoint is None:
            raise BadInput(f"{t.name} is not a well-formed signed checkpoint")
    per_line = line_size(path)
    parallel = workers > 1 and size >= PARALLEL_THRESHOLD * per_line
    pool = (
        ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        if parallel
        else None
    )
    tasks = _Tasks(pool)
    try:
        with _cyclic_gc_paused():
            parts: list[Slice] = []
            numbers: list[int] = []
            for part in plan_slices(path, size, log_key.name, per_line * SLICE_LINES):
                parts.append(part)  # the workers start on the first slices at once
                numbers.append(tasks.submit(check_slice, part))
            scan = _Scan(log_key, SignatureChecker(tasks))
            hashes: list[bytes] = []
            findings: list[Finding | None] = []
            for part, number in zip(parts, numbers, strict=True):
                result: SliceResult = tasks.take(number)
                last = hashes[-1][-HASH_SIZE:] if hashes else None
                if result.lines != part.lines or result.before_hash != last:
                    raise BadInput(
                        f"{path} changed while it was being verified; verify a copy nobody writes"
                    )
                hashes.append(result.hashes)
                findings.append(result.finding)
                scan.replay(result)
            scan.signatures.flush()
            levels = Levels.from_blob(b"".join(hashes))
            del hashes
            tasks.gather()
            report = _verify(scan, findings, levels, stored, trusted_files, log_key)
            if witnesses is not None:
                witnessed = check_witnesses(
                    stored[0].text,
                    levels.size,
                    levels.root,
                    witnesses.policy,
                    witnesses.observations,
                    now=witnesses.now,
                    max_age=witnesses.max_age,
                )
                report.findings = (report.findings + witnessed)[:MAX_FINDINGS]
                report.notes.extend(witnesses.notes)
            return report
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector, if it runs, while verifying. The replay keeps a few
    long-lived objects per revision and sign-off and makes no reference cycles; the collector
    would rescan them all each time their number grows by a quarter (a third of this process's
    time on a million entries). Reference counting still frees everything else at once."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Scan:
    """This process's share: replay the workflow lines in order."""

    def __init__(self, log_key: Verifier, signatures: SignatureChecker) -> None:
        self.origin = log_key.name
        self.workflow = Workflow()
        self.timeline = _KeyTimeline(log_key)
        self.rotation_findings: list[Finding] = []
        self.signatures = signatures
        self.stopped = False

    def replay(self, result: SliceResult) -> None:
        """Apply a slice's workflow lines; after a bad one, nothing more is interpreted."""
        if self.stopped:
            return
        workflow, signatures = self.workflow, self.signatures
        workflow.key_problems.update(result.key_problems)
        for index, item in load_records(result.records):
            if isinstance(item, EntryTuple):
                if item.type == "log.key_rotated":
                    finding = _rotation(index, item.body, self.timeline)
                    if finding is not None:
                        self.rotation_findings.append(finding)
                workflow.apply(index, item)
            else:
                workflow.signed_off(index, item)
            if workflow.jobs:
                signatures.add(workflow.jobs)
        self.stopped = result.stop is not None


def _verify(
    scan: _Scan,
    slice_findings: Sequence[Finding | None],
    levels: Levels,
    stored: list[_CheckpointFile],
    trusted_files: list[_CheckpointFile],
    log_key: Verifier,
) -> Report:
    origin = log_key.name
    size = levels.size
    report = Report(entries=size)
    workflow, timeline = scan.workflow, scan.timeline
    # The first bad line; nothing at or after it is interpreted.
    candidates = [f for f in slice_findings if f is not None]
    # (a chain finding names the line before the one that revealed it, so it sorts after)
    first = min(candidates, key=lambda f: (f.index or 0, f.code == "entry-chain"), default=None)
    broken_at = size if first is None or first.index is None else first.index
    integrity: list[Finding] = [] if first is None else [first]
    integrity += [f for f in scan.rotation_findings if (f.index or 0) < broken_at]
    timeline.keys = [(start, key) for start, key in timeline.keys if start <= broken_at]
    needed = {c.checkpoint.size for c in stored + trusted_files if c.checkpoint is not None}

    # Every complete node once, level by level; then each needed root in O(log n).
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

    # A cited checkpoint need not be in the export: the entries up to the newest verified
    # checkpoint are authenticated, so the recomputed root at the cited size is as good as a
    # signed checkpoint of that size (and a stored one was checked above).
    signed_upto = newest or 0
    cited: dict[int, bytes] = {}
    for index, cp_size, cp_root in workflow.checkpoint_refs:
        if index >= broken_at or verified_roots.get(cp_size) == cp_root:
            continue
        if cp_size <= signed_upto and cp_size not in cited:
            cited[cp_size] = levels.root(cp_size)
        if cited.get(cp_size) != cp_root:
            workflow.findings.append(
                Finding(
                    "signoff-checkpoint",
                    index,
                    f"the approver cites checkpoint size {cp_size}, whose root is not the root "
                    "of this log at that size",
                )
            )
    signatures = scan.signatures
    report.signatures = signatures.count
    for index in signatures.bad():
        workflow.findings.append(
            Finding("signoff-signature", index, "the approver's signature does not verify")
        )
    workflow.findings = [f for f in workflow.findings if f.index is None or f.index < broken_at]
    integrity.sort(key=lambda f: -1 if f.index is None else f.index)
    rules = sorted(workflow.findings, key=lambda f: -1 if f.index is None else f.index)
    report.findings = (integrity + rules)[:MAX_FINDINGS]
    return report


def report_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False)
