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
from clearance.auditlog.witnessing import (
    cosignature_lines,
    newest_cosigned_size,
    with_cosignatures,
)
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

    The export ends at the latest signed checkpoint, which carries the cosignatures witnesses
    returned for it (:func:`unsigned_tail` says when the log holds entries beyond it). Run
    inside one transaction so the entries and checkpoints are one consistent snapshot.
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
    latest = with_cosignatures(latest, cosignature_lines(session, latest_size))
    (directory / "checkpoint").write_text(latest, encoding="utf-8")
    (directory / "log.vkey").write_text(vkey + "\n", encoding="utf-8")
    return count


def tail_gap(session: Session) -> tuple[int, int] | None:
    """(the size the latest signed checkpoint covers, the entries the log holds) when the log
    holds entries beyond it, else None (every commit writes one, so a missing one was
    deleted)."""
    latest = store.latest_checkpoint(session)
    signed = 0 if latest is None else parse_body(split(latest)[0]).size
    held = store.size(session)
    return None if held <= signed else (signed, held)


def gap_message(signed: int, held: int) -> str:
    """Why an export cannot end at the log's last entry (``tail_gap``'s numbers), in English."""
    return (
        f"the log holds {held} entries but its latest signed checkpoint covers {signed}: the "
        f"checkpoint of entries {signed}..{held - 1} is missing (deleted from audit_checkpoints); "
        f"the export ends at {signed} and those entries are not exported; compare with the "
        "witnesses' cosigned size"
    )


def unsigned_tail(session: Session) -> str | None:
    """Why an export cannot end at the log's last entry, or None when it can."""
    gap = tail_gap(session)
    return None if gap is None else gap_message(*gap)


def prove_item(session: Session, item_id: str) -> dict[str, object]:
    """A receipt for every entry of ``item_id``, against the newest checkpoint that witnesses
    cosigned and that covers all of them (so a reader verifies offline that independent
    witnesses saw the same log), else against the latest checkpoint."""
    latest = store.latest_checkpoint(session)
    if latest is None:
        raise NotFound("the audit log is empty")
    size = parse_body(split(latest)[0]).size
    seqs = [s for s in store.seqs_for_item(session, item_id) if s < size]
    if not seqs:
        raise NotFound(f"the audit log has no entry for item {item_id}")
    chosen, note = size, latest
    lines = cosignature_lines(session, size)
    if not lines:
        cosigned = newest_cosigned_size(session, at_least=max(seqs) + 1)
        stored = None if cosigned is None else store.checkpoint_at(session, cosigned)
        if cosigned is not None and stored is not None:
            chosen, note, lines = cosigned, stored, cosignature_lines(session, cosigned)
    levels = Levels(store.leaf_hashes(session)[:chosen])
    leaves = {s: store.leaf_at(session, s) for s in seqs}
    return build_receipt(item_id, with_cosignatures(note, lines), leaves, levels)
