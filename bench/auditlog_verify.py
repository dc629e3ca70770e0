"""Benchmark: offline verification of a 1,000,000-entry export with 100,000 approver signatures.

Builds the export directly (same leaf and note formats as the server), then times
``verify_export`` with 2 worker processes. Target: <= 30 s on 2 cores. On a shared machine the
wall clock depends on the load, so the CPU time of this process and of the workers is printed too.
Usage: python bench/auditlog_verify.py [ENTRIES] [SIGNOFFS] [WORKERS] [KEEP_DIR]
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from clearance.approval import DecisionKind
from clearance.auditlog.checkpoint import Checkpoint
from clearance.auditlog.entry import GENESIS_PREV, Entry, format_time
from clearance.auditlog.note import Signer
from clearance.auditlog.note import sign as sign_note
from clearance.auditlog.rfc6962 import leaf_hash
from clearance.auditlog.statement import SignOff
from clearance.auditlog.tree import Builder
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
    log = Signer.generate(ORIGIN)
    approvers = [Signer.generate(f"ap{i}") for i in range(20)]
    now = format_time(datetime(2025, 1, 1, tzinfo=UTC))
    builder = Builder()
    prev = GENESIS_PREV
    (directory / "checkpoints").mkdir(parents=True)
    out = (directory / "entries.jsonl").open("wb")
    last_cp = ""

    def add(type_: str, actor: str | None, body: Mapping[str, object], item: str | None = None,
            revision: int | None = None, manifest: str | None = None) -> None:  # fmt: skip
        nonlocal prev, last_cp
        seq = builder.size
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
            note = sign_note(statement.text(), [signer])
            add("signoff.decided", signer.name, {"decision": "approve", "role": role,
                "stage": stage, "statement": note}, item, 1, manifest)  # fmt: skip
        add("publication.published", "sys", {"channel": "website"}, item, 1, manifest)
    while builder.size < total:
        add("revision.approved", "sys", {"note": "filler event bound by hashes only"},
            f"itm_{builder.size % max(items, 1)}", 1)  # fmt: skip
    out.close()
    if builder.size % CHECKPOINT_EVERY:
        if last_cp:
            size = builder.size - builder.size % CHECKPOINT_EVERY
            (directory / "checkpoints" / f"{size:08d}").write_text(last_cp)
        last_cp = Checkpoint(ORIGIN, builder.size, builder.root()).sign([log])
    (directory / "checkpoint").write_text(last_cp)
    (directory / "log.vkey").write_text(log.verifier.vkey + "\n")


def timed_verify(directory: Path, workers: int) -> None:
    vkey = (directory / "log.vkey").read_text().strip()
    load = os.getloadavg()
    t0, c0 = time.perf_counter(), time.process_time()
    report = verify_export(directory, vkey, workers=workers)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = children.ru_utime + children.ru_stime
    after = os.getloadavg()
    assert report.ok, report.findings[:3]
    print(f"verified {report.entries} entries, {report.checkpoints} checkpoints, "
          f"{report.signatures} approver signatures with {workers} workers: {elapsed:.1f} s wall; "
          f"CPU {cpu:.1f} s in this process + {child_cpu:.1f} s in workers "
          f"(load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
          f"after: {after[0]:.1f} {after[1]:.1f} {after[2]:.1f}; "
          f"{os.cpu_count()} CPUs: wall is meaningful only when the load before is well under 1)")  # fmt: skip
    print(f"target <= 30 s: wall {elapsed / 30:.2f} of the limit "
          f"({'within' if elapsed <= 30 else 'OVER'} target); CPU over 2 cores "
          f"{(cpu + child_cpu) / 2:.1f} s = {(cpu + child_cpu) / 60:.2f} of the 60 CPU-s budget")  # fmt: skip


def main() -> None:
    """``[ENTRIES] [SIGNOFFS] [WORKERS] [DIR]``: with DIR, build the export there once and reuse
    it on later runs (building 1,000,000 entries takes minutes)."""
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    signoffs = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else min(os.cpu_count() or 1, 2)
    keep = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    with tempfile.TemporaryDirectory() as tmp:
        directory = keep if keep is not None else Path(tmp) / "export"
        if not (directory / "checkpoint").exists():
            t0 = time.perf_counter()
            build(directory, total, signoffs)
            print(f"built export: {total} entries, {signoffs} sign-offs "
                  f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        timed_verify(directory, workers)


if __name__ == "__main__":
    main()
