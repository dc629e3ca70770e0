"""Export the log for offline verification, and build an item's receipt from the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from clearance.auditlog import store
from clearance.auditlog.checkpoint import parse_body
from clearance.auditlog.note import split
from clearance.auditlog.receipt import build_receipt
from clearance.auditlog.tree import Levels
from clearance.errors import BadInput, NotFound


def export_log(session: Session, directory: Path, vkey: str) -> int:
    """Write ``entries.jsonl``, ``checkpoint``, ``checkpoints/`` and ``log.vkey``; return count.

    Run inside one transaction so the entries and checkpoints are one consistent snapshot.
    """
    if directory.exists() and any(directory.iterdir()):
        raise BadInput(f"{directory} is not empty; export into a new folder")
    (directory / "checkpoints").mkdir(parents=True, exist_ok=True)
    cps = list(store.iter_checkpoints(session))
    if not cps:
        raise NotFound("the audit log is empty; there is nothing to export")
    latest_size, latest = cps[-1]
    count = 0
    with (directory / "entries.jsonl").open("wb") as out:
        for leaf in store.iter_leaves(session):
            if count == latest_size:
                break
            out.write(leaf + b"\n")
            count += 1
    width = len(str(latest_size))
    for size, note in cps[:-1]:
        (directory / "checkpoints" / f"{size:0{width}d}").write_text(note, encoding="utf-8")
    (directory / "checkpoint").write_text(latest, encoding="utf-8")
    (directory / "log.vkey").write_text(vkey + "\n", encoding="utf-8")
    return count


def prove_item(session: Session, item_id: str) -> dict[str, object]:
    """A receipt for every entry of ``item_id`` against the latest checkpoint."""
    latest = store.latest_checkpoint(session)
    if latest is None:
        raise NotFound("the audit log is empty")
    size = parse_body(split(latest)[0]).size
    seqs = [s for s in store.seqs_for_item(session, item_id) if s < size]
    if not seqs:
        raise NotFound(f"the audit log has no entry for item {item_id}")
    levels = Levels(store.leaf_hashes(session)[:size])
    leaves = {s: store.leaf_at(session, s) for s in seqs}
    return build_receipt(item_id, latest, leaves, levels)
