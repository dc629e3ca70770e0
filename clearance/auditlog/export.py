"""Export the log for offline verification, and build an item's receipt from the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from clearance.auditlog import store
from clearance.auditlog.checkpoint import parse_body
from clearance.auditlog.note import split
from clearance.auditlog.receipt import build_receipt
from clearance.auditlog.tree import Levels
from clearance.errors import BadInput, NotFound

#: ``clearance audit export --checkpoints`` default: a signed checkpoint per thousand entries
#: (so a rewrite is localised to within a thousand entries) plus the latest. Sign-offs cite
#: checkpoints that need not be exported: the verifier recomputes the tree at the cited size.
DEFAULT_CHECKPOINTS = "every:1000"


@dataclass(frozen=True, slots=True)
class CheckpointSelection:
    """Which earlier checkpoints an export keeps (the latest is always kept): ``all``,
    ``latest`` (only the latest) or ``every:N`` (the first of each run of N entries)."""

    every: int | None  # None: all; 0: latest only; N: first checkpoint of each bucket of N

    def keeps(self, size: int, last_kept: int | None) -> bool:
        if self.every is None:
            return True
        if self.every == 0:
            return False
        return last_kept is None or size // self.every != last_kept // self.every


def parse_selection(text: str) -> CheckpointSelection:
    """Read ``all``, ``latest`` or ``every:N`` (N >= 1); raise BadInput otherwise."""
    if text == "all":
        return CheckpointSelection(None)
    if text == "latest":
        return CheckpointSelection(0)
    kind, _, number = text.partition(":")
    if kind == "every" and number.isascii() and number.isdigit() and int(number) >= 1:
        return CheckpointSelection(int(number))
    raise BadInput(f"--checkpoints {text!r} is not all, latest or every:N with N >= 1")


def export_log(
    session: Session,
    directory: Path,
    vkey: str,
    checkpoints: CheckpointSelection | str = DEFAULT_CHECKPOINTS,
) -> int:
    """Write ``entries.jsonl``, ``checkpoint``, ``checkpoints/`` and ``log.vkey``; return count.

    Run inside one transaction so the entries and checkpoints are one consistent snapshot.
    """
    selection = parse_selection(checkpoints) if isinstance(checkpoints, str) else checkpoints
    if directory.exists() and any(directory.iterdir()):
        raise BadInput(f"{directory} is not empty; export into a new folder")
    latest = store.latest_checkpoint(session)
    if latest is None:
        raise NotFound("the audit log is empty; there is nothing to export")
    latest_size = parse_body(split(latest)[0]).size
    (directory / "checkpoints").mkdir(parents=True, exist_ok=True)
    count = 0
    with (directory / "entries.jsonl").open("wb") as out:
        for leaf in store.iter_leaves(session):
            if count == latest_size:
                break
            out.write(leaf + b"\n")
            count += 1
    width = len(str(latest_size))
    last_kept: int | None = None
    for size, note in store.iter_checkpoints(session):
        if size >= latest_size:
            break
        if selection.keeps(size, last_kept):
            (directory / "checkpoints" / f"{size:0{width}d}").write_text(note, encoding="utf-8")
            last_kept = size
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
