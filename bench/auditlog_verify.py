"""Benchmark: offline verification of a 10,000,000-entry export with 1,000,000 approver signatures.

Builds the export directly (same leaf and note formats as the server), streaming, once: it is
cached as /tmp/clearance-bench-verify-ENTRIES-SIGNOFFS. Then runs, each in a fresh process,
``verify_export`` and a baseline of hashing and signature checks alone (the same leaf and node
hashes and Ed25519 checks, the same pool) and prints wall and CPU time, the load average and the
peak RSS (``ru_maxrss``) of the process and of its largest worker. Targets: verify <= 2x the
baseline's time, <= 200 MB; the 1M-entry export (``1000000 100000``) <= 30 s on 2 cores.
Usage: python bench/auditlog_verify.py [ENTRIES] [SIGNOFFS] [WORKERS]
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from clearance.approval import DecisionKind
from clearance.auditlog.checkpoint import Checkpoint
from clearance.auditlog.entry import GENESIS_PREV, Entry, format_time
from clearance.auditlog.note import PreparedSigner, Signer, split
from clearance.auditlog.note import sign as sign_note
from clearance.auditlog.rfc6962 import leaf_hash
from clearance.auditlog.statement import SignOff
from clearance.auditlog.tree import Builder, StreamingTree
from clearance.auditlog.verify import verify_export
from clearance.canonical import canonical_hash

ORIGIN = "bench.clearance.local/log"


def _stage(stage_id: str, role: str) -> dict[str, object]:
    eligible = {"roles": [role], "units": None, "same_unit": False}
    return {"id": stage_id, "when": "always", "deadline_hours": 24,
            "rule": {"quorum": {"count": 1, "eligible": eligible}}}  # fmt: skip


# A policy.loaded body in the form clearance.policy.policy_event_body writes.
DOCUMENT = {"metadata": {"version": "bench"}, "chains": {"internal": ["review", "final"]}}
POLICY = canonical_hash(DOCUMENT)
POLICY_BODY = {
    "policy_hash": POLICY,
    "document": DOCUMENT,
    "signoff_chains": {"internal": {"chain": "internal_release",
                                    "stages": [_stage("review", "tp"), _stage("final", "ld")]}},
}  # fmt: skip
CHECKPOINT_EVERY = 1000


def build(directory: Path, total: int, signoffs: int) -> None:
    """Write the export streaming (one line at a time, the tree as a compact range), and beside it
    ``signatures.bin``: every approver signature as (public key, signature, message length,
    message), for the baseline (``baseline``)."""
    log = Signer.generate(ORIGIN)
    approvers = [Signer.generate(f"ap{i}") for i in range(20)]
    now = format_time(datetime(2025, 1, 1, tzinfo=UTC))
    builder = Builder()
    prev = GENESIS_PREV
    (directory / "checkpoints").mkdir(parents=True)
    out = (directory / "entries.jsonl").open("wb")
    sigs = (directory / "signatures.bin").open("wb")
    last_cp = ""

    signing = {a.name: PreparedSigner(a) for a in approvers}

    def add(type_: str, actor: str | None, body: Mapping[str, object], item: str | None = None,
            revision: int | None = None, manifest: str | None = None,
            leaf: bytes | None = None) -> None:  # fmt: skip
        nonlocal prev, last_cp
        seq = builder.size
        if leaf is None:
            leaf = Entry(ORIGIN, seq, prev, now, type_, actor, item, revision, manifest, POLICY,
                         dict(body)).to_leaf()  # fmt: skip
        out.write(leaf + b"\n")
        digest = leaf_hash(leaf)
        builder.add_hash(digest)
        prev = digest.hex()
        if builder.size % CHECKPOINT_EVERY == 0:
            if last_cp:
                size = builder.size - CHECKPOINT_EVERY
                (directory / "checkpoints" / f"{size:08d}").write_text(last_cp)
            last_cp = Checkpoint(ORIGIN, builder.size, builder.root()).sign([log])

    add("policy.loaded", "op", POLICY_BODY)
    add("user.registered", "admin", {"username": "author", "signoff_roles": []})
    for i, a in enumerate(approvers):
        role = "tp" if i % 2 == 0 else "ld"
        add("user.registered", "admin", {"username": a.name, "signoff_roles": [role]})
        add("key.registered", a.name, {"username": a.name, "vkey": a.verifier.vkey})
    cp_size, cp_root = builder.size, builder.root()
    seen = Checkpoint(ORIGIN, cp_size, cp_root).sign([log])
    (directory / "checkpoints" / f"{cp_size:08d}").write_text(seen)
    items = signoffs // 2
    for n in range(items):
        item, manifest = f"itm_{n}", f"{n:064x}"
        add("item.submitted", "author", {"author": "author"}, item, 1, manifest)
        add("revision.classified", "sys", {"level": "internal"}, item, 1, manifest)
        add("revision.screened", "sys", {"verdict": "clear"}, item, 1, manifest)
        for stage, signer in (("review", approvers[(2 * n) % 20]),
                              ("final", approvers[(2 * n + 1) % 20])):  # fmt: skip
            role = "tp" if stage == "review" else "ld"
            statement = SignOff(ORIGIN, item, 1, manifest, DecisionKind.APPROVE, role, stage,
                                signer.name, now, cp_size, cp_root)  # fmt: skip
            note = sign_note(statement.text(), [signing[signer.name]])
            text, (line,) = split(note)
            message, signature = text.encode(), line.signature
            sigs.write(signer.verifier.public_key + signature + len(message).to_bytes(4, "big"))
            sigs.write(message)
            add("signoff.decided", signer.name, {"decision": "approve", "role": role,
                "stage": stage, "statement": note}, item, 1, manifest)  # fmt: skip
        add("publication.published", "sys", {"channel": "website"}, item, 1, manifest)
    # the filler lines formatted directly (Entry.to_leaf's canonical JSON, checked on the first)
    filler = ('{"actor":"sys","body":{"note":"filler event bound by hashes only"},"item":"itm_%d",'
              '"manifest":null,"origin":"' + ORIGIN + '","policy":"' + POLICY + '","prev":"%s",'
              '"revision":1,"seq":%d,"time":"' + now + '","type":"revision.approved"}')  # fmt: skip
    checked = False
    while builder.size < total:
        seq = builder.size
        leaf = (filler % (seq % max(items, 1), prev, seq)).encode()
        if not checked:
            want = Entry(ORIGIN, seq, prev, now, "revision.approved", "sys",
                         f"itm_{seq % max(items, 1)}", 1, None, POLICY,
                         {"note": "filler event bound by hashes only"}).to_leaf()  # fmt: skip
            assert leaf == want, (leaf, want)
            checked = True
        add("", None, {}, leaf=leaf)
    out.close()
    sigs.close()
    if builder.size % CHECKPOINT_EVERY:
        if last_cp:
            size = builder.size - builder.size % CHECKPOINT_EVERY
            (directory / "checkpoints" / f"{size:08d}").write_text(last_cp)
        last_cp = Checkpoint(ORIGIN, builder.size, builder.root()).sign([log])
    (directory / "checkpoint").write_text(last_cp)
    (directory / "log.vkey").write_text(log.verifier.vkey + "\n")


def _signature_batch(batch: bytes) -> int:
    """Baseline worker: verify every record of ``signatures.bin`` in ``batch``; the bad count."""
    bad, at = 0, 0
    while at < len(batch):
        key, signature = batch[at : at + 32], batch[at + 32 : at + 96]
        length = int.from_bytes(batch[at + 96 : at + 100], "big")
        message = batch[at + 100 : at + 100 + length]
        at += 100 + length
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
        except InvalidSignature:
            bad += 1
    return bad


def _hash_chunk(job: tuple[str, int, int]) -> bytes:
    """Baseline worker: the leaf hashes of the lines in bytes [start, end) of the file."""
    name, start, end = job
    with Path(name).open("rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    sha256 = hashlib.sha256
    return b"".join([sha256(b"\x00" + line).digest() for line in data.split(b"\n")[:-1]])


def _chunks(path: Path, step: int = 8 << 20) -> Iterator[tuple[str, int, int]]:
    with path.open("rb") as handle:
        start = 0
        while True:
            handle.seek(start + step)
            handle.readline()
            end = min(handle.tell(), path.stat().st_size)
            if end <= start:
                return
            yield str(path), start, end
            start = end


def _signature_batches(path: Path, count: int = 2_000) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while True:
            batch = bytearray()
            for _ in range(count):
                head = handle.read(100)
                if not head:
                    break
                batch += head + handle.read(int.from_bytes(head[96:100], "big"))
            if not batch:
                return
            yield bytes(batch)


def baseline(directory: Path, workers: int) -> dict[str, object]:
    """Hashing and signature checks alone, with the verifier's pool and bounds: every leaf hash
    (in the workers) folded into the tree (here), every approver signature (in the workers)."""
    tree = StreamingTree()
    bad = 0
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque[Future[Any]] = deque()
        jobs: Iterator[tuple[Callable[[Any], Any], Any]] = itertools.chain(
            ((_hash_chunk, c) for c in _chunks(directory / "entries.jsonl")),
            ((_signature_batch, b) for b in _signature_batches(directory / "signatures.bin")),
        )
        for function, argument in jobs:
            pending.append(pool.submit(function, argument))
            while len(pending) > workers + 1:
                result = pending.popleft().result()
                if isinstance(result, bytes):
                    tree.extend(result)
                else:
                    bad += result
        for future in pending:
            result = future.result()
            if isinstance(result, bytes):
                tree.extend(result)
            else:
                bad += result
    root = tree.root()
    assert bad == 0 and root is not None
    return {"entries": tree.size, "root": root.hex()}


def measure(kind: str, directory: Path, workers: int) -> None:
    """Child process: run the verifier (or the baseline) and print its figures as JSON."""
    load = os.getloadavg()
    t0 = time.perf_counter()
    if kind == "verify":
        report = verify_export(directory, (directory / "log.vkey").read_text().strip(),
                               workers=workers)  # fmt: skip
        assert report.ok, report.findings[:3]
        what: dict[str, object] = {"entries": report.entries, "signatures": report.signatures,
                                   "root": report.root}  # fmt: skip
    else:
        what = baseline(directory, workers)
    wall = time.perf_counter() - t0
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    print(json.dumps({**what, "wall": wall, "load_before": load, "load_after": os.getloadavg(),
                      "cpu_self": me.ru_utime + me.ru_stime,
                      "cpu_children": kids.ru_utime + kids.ru_stime,
                      "rss_self_mib": me.ru_maxrss / 1024,
                      "rss_children_max_mib": kids.ru_maxrss / 1024}))  # fmt: skip


def _run(kind: str, directory: Path, workers: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", kind, str(directory), str(workers)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _say(name: str, r: dict[str, Any], workers: int) -> None:
    total = r["rss_self_mib"] + workers * r["rss_children_max_mib"]
    print(f"{name}: {r['wall']:.1f} s wall, CPU {r['cpu_self']:.1f} s here + "
          f"{r['cpu_children']:.1f} s in workers; peak RSS {r['rss_self_mib']:.0f} MiB here, "
          f"largest worker {r['rss_children_max_mib']:.0f} MiB (all {workers + 1} processes "
          f"at most {total:.0f} MiB); load average before {r['load_before'][0]:.1f}, "
          f"after {r['load_after'][0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip


def main() -> None:
    """``[ENTRIES] [SIGNOFFS] [WORKERS]``: build the export once (streaming, cached under
    /tmp), then run the verifier and the baseline each in a fresh process."""
    if sys.argv[1:2] == ["--measure"]:
        measure(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
        return
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    signoffs = int(sys.argv[2]) if len(sys.argv) > 2 else total // 10
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else min(os.cpu_count() or 1, 2)
    directory = Path(tempfile.gettempdir()) / f"clearance-bench-verify-{total}-{signoffs}"
    if not (directory / "checkpoint").exists():
        building = directory.with_name(directory.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        t0 = time.perf_counter()
        build(building, total, signoffs)
        building.rename(directory)
        print(f"built {directory}: {total} entries, {signoffs} sign-offs "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    verified = _run("verify", directory, workers)
    base = _run("baseline", directory, workers)
    assert base["root"] == verified["root"] and base["entries"] == verified["entries"]
    _say(f"verify ({verified['entries']} entries, {verified['signatures']} signatures)",
         verified, workers)  # fmt: skip
    _say("baseline (hashing + signature checks alone)", base, workers)
    print(f"verify / baseline: wall {verified['wall'] / base['wall']:.2f} (target <= 2), "
          f"CPU {(verified['cpu_self'] + verified['cpu_children']) / (base['cpu_self'] + base['cpu_children']):.2f}; "
          f"peak RSS of the verifier: target <= 200 MB")  # fmt: skip


if __name__ == "__main__":
    main()
