"""Offline verification of an export (pure: stdlib, ``cryptography`` and the pure modules).

Trusts only the vkey and checkpoints the auditor passes, never keys found in the export. Checks:
every entry is a canonical leaf with the right origin, sequence number and previous hash; every
stored checkpoint is signed by the log key in force at its size and commits to the recomputed
root; every trusted checkpoint is consistent with the export (a truncated or forked export is
caught); the newest checkpoint covers every entry; log-key rotations are signed by both keys;
the workflow rules in ``workflow`` hold, including every approver signature.
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import heapq
import itertools
import json
import multiprocessing
from array import array
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from clearance.auditlog.checkpoint import Checkpoint, open_checkpoint, parse_body
from clearance.auditlog.entry import EntryTuple, parse_leaf
from clearance.auditlog.findings import Finding, Note, Param
from clearance.auditlog.note import Verifier, open_note, parse_vkey, split
from clearance.auditlog.rfc6962 import EMPTY_ROOT, HASH_SIZE
from clearance.auditlog.scan import (
    Slice,
    SliceResult,
    check_slice,
    line_size,
    load_records,
    plan_slices,
)
from clearance.auditlog.tree import Block, StreamingTree
from clearance.auditlog.witnesscheck import Observation, check_witnesses
from clearance.auditlog.witnesspolicy import WitnessPolicy
from clearance.auditlog.workflow import SignatureJob, SignedOff, Workflow, read_signoff
from clearance.errors import BadInput, VerificationError

MAX_FINDINGS = 100


@dataclass(frozen=True, slots=True)
class WitnessRequirement:
    """The auditor's witness policy and what the witnesses said (see ``witnesscheck``)."""

    policy: WitnessPolicy
    observations: Sequence[Observation] = ()
    notes: Sequence[Note] = ()
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
    notes: list[Note] = field(default_factory=list)

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
            "notes": [str(n) for n in self.notes],
            "note_details": [n.as_dict() for n in self.notes],
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


class _Bounded:
    """Tasks for the standard library's process pool, at most ``limit`` in flight, results taken
    in submission order (so the pending work, and this process's memory, stay bounded whatever
    the export's size); without a pool each task runs in this process when it is taken."""

    def __init__(self, pool: Executor | None, limit: int) -> None:
        self._pool = pool
        self._limit = max(limit, 1)
        self._items: deque[tuple[Future[Any] | None, Callable[[Any], Any], Any]] = deque()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def full(self) -> bool:
        return len(self._items) >= self._limit

    def submit(self, function: Callable[[Any], Any], argument: Any) -> None:
        future = None if self._pool is None else self._pool.submit(function, argument)
        self._items.append((future, function, None if future is not None else argument))

    def take(self) -> Any:
        """The result of the oldest task (waiting for it)."""
        future, function, argument = self._items.popleft()
        return function(argument) if future is None else future.result()


class SignatureChecker:
    """Approver signatures in batches of ``BATCH``, handed to the pool as they fill; at most
    ``tasks``' limit of batches wait, then the oldest result is taken."""

    BATCH = 2_000

    def __init__(self, tasks: _Bounded) -> None:
        self._tasks = tasks
        self._pending: list[SignatureJob] = []
        self._bad: list[int] = []
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
            while self._tasks.full:
                self._bad += self._tasks.take()
            self._tasks.submit(check_signatures, batch)

    def bad(self) -> list[int]:
        """Indices of bad signatures (after ``flush``: waits for every batch)."""
        while len(self._tasks):
            self._bad += self._tasks.take()
        return sorted(self._bad)


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
    """None when the ``log.key_rotated`` entry at ``index`` holds (the timeline moves on), else
    its finding: why (``reason``) and, when they can be read, the keys it names."""
    if not isinstance(body, dict):
        return Finding(
            "log-key-rotation", index, "log.key_rotated has no body", {"reason": "no-body"}
        )
    try:
        old = parse_vkey(str(body.get("old_vkey")))
        new = parse_vkey(str(body.get("new_vkey")))
    except BadInput as exc:
        return Finding(
            "log-key-rotation",
            index,
            f"log key rotation does not verify: {exc}",
            {"reason": "invalid"},
        )
    keys = {"old": f"{old.name}+{old.key_id.hex()}", "new": f"{new.name}+{new.key_id.hex()}"}
    reason, message = _rotation_problem(old, new, body, timeline)
    if reason is not None:
        return Finding("log-key-rotation", index, message, {**keys, "reason": reason})
    timeline.rotate(index + 1, new)
    return None


def _rotation_problem(
    old: Verifier, new: Verifier, body: dict[str, Any], timeline: _KeyTimeline
) -> tuple[str | None, str]:
    """(why the rotation from ``old`` to ``new`` does not hold, the English sentence), or
    (None, "") when it holds."""
    if old != timeline.current:
        return "not-current", "log key rotation does not start from the key in force"
    try:
        note = open_note(str(body.get("statement")), [old, new])
    except (BadInput, VerificationError) as exc:
        return "invalid", f"log key rotation does not verify: {exc}"
    names = {(s.name, s.key_id) for s in note.verified}
    if names != {(old.name, old.key_id), (new.name, new.key_id)}:
        return "not-both", "rotation is not signed by both keys"
    if f"\nold {old.vkey}\nnew {new.vkey}\n" not in note.text:
        return "other-keys", "rotation statement names other keys"
    return None, ""


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

    The entries file is streamed: cut into slices by byte ranges as it is read, at most a few
    slices and signature batches in flight, so memory does not grow with the export. With
    ``workers`` > 1, that many processes do all the per-line work (hashes, canonical form,
    chain and sequence, reading sign-off statements and registered keys) and the approver
    signatures; this process cuts the slices, replays the workflow lines in order as the slices
    come back and folds the leaf hashes into a ``StreamingTree``: the root at every checkpoint
    size the export, the auditor or a witness names is taken when the scan passes it, and a
    checkpoint an approver cites is compared as soon as it is read (an old one at the end, by
    re-reading its block of leaves).
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
    wanted = {c.checkpoint.size for c in stored + trusted_files if c.checkpoint is not None}
    for seen in witnesses.observations if witnesses is not None else ():
        observed = _peek(seen.witness, seen.note).checkpoint
        if observed is not None:
            wanted.add(observed.size)
    per_line = line_size(path)
    parallel = workers > 1 and size >= PARALLEL_THRESHOLD * per_line
    pool = (
        ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        if parallel
        else None
    )
    in_flight = workers + AHEAD if parallel else 1
    stream = _Stream(path, size, log_key, sorted(wanted), pool, in_flight)
    try:
        with _cyclic_gc_paused():
            stream.run()
            report = _verify(stream, stored, trusted_files, log_key)
            if witnesses is not None:
                witnessed = check_witnesses(
                    stored[0].text,
                    stream.tree.size,
                    stream.roots.__getitem__,
                    witnesses.policy,
                    witnesses.observations,
                    now=witnesses.now,
                    max_age=witnesses.max_age,
                )
                report.findings = (report.findings + witnessed)[:MAX_FINDINGS]
                report.notes.extend(witnesses.notes)
            return report
    finally:
        stream.scan.workflow.close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


#: slices (and signature batches) in flight beyond one per worker process
AHEAD = 1
#: the streaming tree's block (leaves) and how many recent blocks keep their nodes (64 bytes a
#: leaf: 8 MiB): a checkpoint cited within the last TREE_BLOCK * TREE_KEEP entries is compared
#: at once, an older one at the end by re-reading its block of the file
TREE_BLOCK = 4096
TREE_KEEP = 32


class _Citations:
    """The checkpoints approvers cite, ``(entry index, size, root)``: each compared with the
    recomputed root at that size when it is read (``StreamingTree``'s window), or, for an
    older size, grouped by (size, root) and compared at the end (``resolve``). What is kept
    per citation is two integers (its index and size), for the signed-tail rule at the end."""

    def __init__(self, tree: StreamingTree) -> None:
        self._tree = tree
        self.sizes = array("Q")  # matched: cited size and index
        self.indices = array("Q")
        self.mismatched = array("Q")  # citations whose root is not the log's: index, size
        self.mismatched_sizes = array("Q")
        self._deferred: dict[tuple[int, bytes], array[int]] = {}
        # the last size looked up and the tree's root there (approvers mostly cite the same
        # latest checkpoint; a root at a size the tree has passed never changes)
        self._last: tuple[int, bytes | None] = (-1, None)

    def add(self, index: int, size: int, root: bytes) -> None:
        last_size, recomputed = self._last
        if size != last_size:
            recomputed = self._tree.root(size)
            self._last = (size, recomputed)
        if recomputed is None:
            self._deferred.setdefault((size, root), array("Q")).append(index)
        elif recomputed == root:
            self.sizes.append(size)
            self.indices.append(index)
        else:
            self.mismatched.append(index)
            self.mismatched_sizes.append(size)

    def resolve(self, reread: Callable[[int, tuple[bytes, ...]], Block]) -> None:
        """Compare the deferred citations, re-reading each old block they need once."""
        tree = self._tree
        by_block: dict[int, list[tuple[int, bytes]]] = {}
        for key in self._deferred:
            by_block.setdefault(tree.block_of(key[0]), []).append(key)
        for number, before in tree.edges_before(sorted(by_block)):
            block = reread(number, before)
            for key in by_block.pop(number):
                cited_size, root = key
                indices = self._deferred.pop(key)
                if block.root(cited_size) == root:
                    self.sizes.extend(array("Q", [cited_size]) * len(indices))
                    self.indices.extend(indices)
                else:
                    self.mismatched.extend(indices)
                    self.mismatched_sizes.extend(array("Q", [cited_size]) * len(indices))

    def findings(self, signed_upto: int, broken_at: int) -> list[Finding]:
        """The first ``MAX_FINDINGS``: a cited root that is not the log's, or a cited size
        beyond the entries that a verified checkpoint covers."""
        beyond = ((i, s) for s, i in zip(self.sizes, self.indices, strict=True) if s > signed_upto)
        wrong = zip(self.mismatched, self.mismatched_sizes, strict=True)
        bad = heapq.nsmallest(
            MAX_FINDINGS, ((i, s) for i, s in itertools.chain(wrong, beyond) if i < broken_at)
        )
        return [
            Finding(
                "signoff-checkpoint",
                index,
                f"the approver cites checkpoint size {cited_size}, whose root is not the root "
                "of this log at that size",
                {"size": cited_size},
            )
            for index, cited_size in bad
        ]


class _Stream:
    """This process's share of ``verify_export``: cut the slices, take their results in order,
    fold the leaf hashes, replay the workflow, collect roots and citations."""

    def __init__(
        self,
        path: Path,
        size: int,
        log_key: Verifier,
        wanted: Sequence[int],
        pool: Executor | None,
        in_flight: int,
    ) -> None:
        self.path = path
        self.size = size
        self.log_key = log_key
        self.tree = StreamingTree(TREE_BLOCK, TREE_KEEP)
        self.citations = _Citations(self.tree)
        self.scan = _Scan(log_key, SignatureChecker(_Bounded(pool, in_flight)))
        self.roots: dict[int, bytes] = {}
        self.slice_findings: list[Finding] = []
        self.bad_signatures: list[int] = []
        self._wanted = list(wanted)
        self._next = 0
        self._slices = _Bounded(pool, in_flight)
        self._starts = array("Q")  # each slice's first byte and first line, to re-read a block
        self._firsts = array("Q")

    def run(self) -> None:
        path, tree, scan = self.path, self.tree, self.scan
        planned = plan_slices(path, self.size, self.log_key.name, line_size(path) * SLICE_LINES)
        parts: deque[Slice] = deque()

        def fill() -> None:
            while not self._slices.full:
                part = next(planned, None)
                if part is None:
                    return
                parts.append(part)
                self._slices.submit(check_slice, part)

        self._take_roots(0)
        fill()
        last: bytes | None = None
        while parts:
            part = parts.popleft()
            result: SliceResult = self._slices.take()
            fill()  # the workers go on while this process replays
            if result.lines != part.lines or result.before_hash != last:
                raise BadInput(
                    f"{path} changed while it was being verified; verify a copy nobody writes"
                )
            if result.lines:
                last = result.hashes[-HASH_SIZE:]
            self._starts.append(part.start)
            self._firsts.append(part.first_index)
            if result.finding is not None:
                self.slice_findings.append(result.finding)
            for block in tree.extend(result.hashes):
                self._take_roots(block.first + block.size, block)
            scan.replay(result)
            refs = scan.workflow.checkpoint_refs
            for index, cited_size, cited_root in refs:
                self.citations.add(index, cited_size, cited_root)
            refs.clear()
        scan.signatures.flush()
        self._take_roots(tree.size, tree.partial())
        self.citations.resolve(self._reread)
        self.bad_signatures = scan.signatures.bad()

    def _take_roots(self, upto: int, block: Block | None = None) -> None:
        """The roots at the wanted sizes up to ``upto`` (in ``block``, or the empty tree)."""
        wanted = self._wanted
        while self._next < len(wanted) and wanted[self._next] <= upto:
            wanted_size = wanted[self._next]
            self.roots[wanted_size] = EMPTY_ROOT if block is None else block.root(wanted_size)
            self._next += 1

    def signoffs_at(self, indices: Sequence[int]) -> list[SignedOff | Finding]:
        """The sign-off entries at ``indices`` read again from the file (after ``run``), each
        from the start of its slice."""
        read: list[SignedOff | Finding] = []
        with self.path.open("rb") as handle:
            for index in indices:
                at = bisect.bisect_right(self._firsts, index) - 1
                handle.seek(self._starts[at])
                line = next(itertools.islice(handle, index - self._firsts[at], None))
                read.append(read_signoff(index, parse_leaf(line[:-1])))
        return read

    def _reread(self, number: int, before: tuple[bytes, ...]) -> Block:
        """Block ``number`` again from the file (its leaves are no longer held)."""
        tree = self.tree
        first = number * tree.block
        count = min(tree.block, tree.size - first)
        at = bisect.bisect_right(self._firsts, first) - 1
        skip = first - self._firsts[at]
        hashes = bytearray()
        sha256 = hashlib.sha256
        with self.path.open("rb") as handle:
            handle.seek(self._starts[at])
            for line in itertools.islice(handle, skip, skip + count):
                hashes += sha256(b"\x00" + line[:-1]).digest()
        block = Block(first, before, bytes(hashes))
        if block.size != count or (
            count == tree.block and block.levels[-1] != tree.block_root(number)
        ):
            raise BadInput(
                f"{self.path} changed while it was being verified; verify a copy nobody writes"
            )
        return block


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
    stream: _Stream,
    stored: list[_CheckpointFile],
    trusted_files: list[_CheckpointFile],
    log_key: Verifier,
) -> Report:
    origin = log_key.name
    scan, roots = stream.scan, stream.roots
    size = stream.tree.size
    report = Report(entries=size)
    workflow, timeline = scan.workflow, scan.timeline
    # The first bad line; nothing at or after it is interpreted.
    candidates = stream.slice_findings
    # (a chain finding names the line before the one that revealed it, so it sorts after)
    first = min(candidates, key=lambda f: (f.index or 0, f.code == "entry-chain"), default=None)
    broken_at = size if first is None or first.index is None else first.index
    integrity: list[Finding] = [] if first is None else [first]
    integrity += [f for f in scan.rotation_findings if (f.index or 0) < broken_at]
    timeline.keys = [(start, key) for start, key in timeline.keys if start <= broken_at]
    final_root = stream.tree.root()
    assert final_root is not None  # the current size is always in the window
    report.root = final_root.hex()
    verified_roots: dict[int, bytes] = {}
    good_sizes: list[int] = [0]

    def localise(bad_size: int) -> int:
        return max((s for s in good_sizes if s < bad_size), default=0)

    def check(c: _CheckpointFile, trusted_one: bool) -> None:
        if c.checkpoint is None:
            integrity.append(
                Finding("checkpoint-malformed", None, f"{c.name} is malformed", {"file": c.name})
            )
            return
        cp = c.checkpoint
        key = timeline.at(cp.size)
        try:
            open_checkpoint(c.text, [key], origin=origin)
        except VerificationError as exc:
            if trusted_one:
                raise BadInput(f"{c.name} does not verify with the vkey given: {exc}") from None
            untrusted = exc.code == "note.untrusted"
            code = "checkpoint-untrusted" if untrusted else "checkpoint-signature"
            integrity.append(
                Finding(
                    code,
                    None,
                    f"{c.name} (size {cp.size}): {exc}",
                    {"file": c.name, "size": cp.size},
                )
            )
            return
        except BadInput as exc:
            integrity.append(
                Finding("checkpoint-malformed", None, f"{c.name}: {exc}", {"file": c.name})
            )
            return
        if cp.size > size:
            integrity.append(
                Finding(
                    "truncated",
                    size,
                    f"the export holds {size} entries but {c.name} covers {cp.size}: "
                    "the tail was truncated",
                    {"file": c.name, "size": cp.size, "entries": size},
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
                    {
                        "file": c.name,
                        "size": cp.size,
                        "signed": cp.root.hex()[:16],
                        "actual": roots[cp.size].hex()[:16],
                    },
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
        unsigned: dict[str, Param] = {"reason": "no-checkpoint"}
        if size:
            unsigned |= {"first": 0, "last": size - 1}
        integrity.append(
            Finding("unsigned-tail", 0, "no checkpoint verifies with the log key", unsigned)
        )
    elif newest < size and not any(f.code == "truncated" for f in integrity):
        integrity.append(
            Finding(
                "unsigned-tail",
                newest,
                f"entries {newest}..{size - 1} are not covered by any signed checkpoint",
                {"first": newest, "last": size - 1},
            )
        )

    # A cited checkpoint need not be in the export: the entries up to the newest verified
    # checkpoint are authenticated, so the recomputed root at the cited size is as good as a
    # signed checkpoint of that size (and a stored one was checked above).
    workflow.findings += stream.citations.findings(newest or 0, broken_at)
    report.signatures = scan.signatures.count
    # the first MAX_FINDINGS (all a report can show) named from their entries, read again
    named, rest = stream.bad_signatures[:MAX_FINDINGS], stream.bad_signatures[MAX_FINDINGS:]
    workflow.findings += map(_bad_signature, named, stream.signoffs_at(named))
    workflow.findings += [
        Finding("signoff-signature", index, "the approver's signature does not verify")
        for index in rest
    ]
    workflow.findings = [f for f in workflow.findings if f.index is None or f.index < broken_at]
    integrity.sort(key=lambda f: -1 if f.index is None else f.index)
    rules = sorted(workflow.findings, key=lambda f: -1 if f.index is None else f.index)
    report.findings = (integrity + rules)[:MAX_FINDINGS]
    return report


def _bad_signature(index: int, read: SignedOff | Finding) -> Finding:
    """The finding for a sign-off whose signature the worker pass refused, naming the signer,
    the item, the revision and the stage (the entry is read again: bad ones are rare)."""
    if isinstance(read, Finding):  # cannot happen: the entry was read before its check
        return read
    return Finding(
        "signoff-signature",
        index,
        f"the signature of {read.signer} on {read.item} revision {read.revision} "
        f"(stage {read.stage}) does not verify",
        {"signer": read.signer, "item": read.item, "revision": read.revision, "stage": read.stage},
    )


def report_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False)
