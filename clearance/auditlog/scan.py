"""Integrity scan of a slice of ``entries.jsonl`` (pure; runs in worker processes).

Each slice is checked on its own: canonical leaves, origin, sequence numbers and the hash chain
inside the slice. The caller stitches slices together (the first entry's ``prev`` against the
previous slice's last hash) and replays the workflow-relevant entries in order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from clearance.auditlog.entry import GENESIS_PREV, parse_leaf
from clearance.auditlog.findings import Finding
from clearance.auditlog.rfc6962 import leaf_hash
from clearance.errors import BadInput

#: entry types the verifier replays after the scan (workflow rules and log-key rotations)
RELEVANT = frozenset(
    {
        "user.registered", "user.roles_changed", "key.registered", "key.rotated",
        "log.key_rotated", "policy.loaded", "item.submitted", "revision.classified",
        "revision.screened", "signoff.decided", "publication.published",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Slice:
    path: str
    start: int
    end: int
    first_index: int
    origin: str


@dataclass(frozen=True, slots=True)
class SliceResult:
    first_index: int
    count: int
    hashes: bytes
    first_prev: str | None
    finding: Finding | None
    relevant: list[tuple[int, bytes]]


def scan(part: Slice) -> SliceResult:
    with Path(part.path).open("rb") as handle:
        handle.seek(part.start)
        data = handle.read(part.end - part.start)
    lines = data[:-1].split(b"\n") if data else []
    hashes = bytearray()
    relevant: list[tuple[int, bytes]] = []
    finding: Finding | None = None
    first_prev: str | None = None
    prev: str | None = None
    for offset, line in enumerate(lines):
        index = part.first_index + offset
        digest = leaf_hash(line)
        hashes += digest
        if finding is not None:
            continue
        try:
            entry = parse_leaf(line)
        except BadInput as exc:
            finding = Finding("entry-malformed", index, str(exc))
            continue
        if entry.seq != index:
            finding = Finding(
                "entry-seq",
                index,
                f"line {index} holds seq {entry.seq}, want {index}: entries were deleted, "
                "inserted, duplicated or reordered",
            )
            continue
        if offset == 0:
            first_prev = entry.prev
        elif entry.prev != prev:
            finding = chain_finding(index, entry.prev, prev or GENESIS_PREV)
            continue
        if entry.origin != part.origin:
            finding = Finding(
                "entry-origin", index, f"entry origin {entry.origin!r}, want {part.origin!r}"
            )
            continue
        prev = digest.hex()
        if entry.type in RELEVANT:
            relevant.append((index, line))
    return SliceResult(part.first_index, len(lines), bytes(hashes), first_prev, finding, relevant)


def chain_finding(index: int, recorded: str, actual: str) -> Finding:
    return Finding(
        "entry-chain",
        max(index - 1, 0),
        f"entry {index} records prev {recorded[:16]}… but entry {index - 1} hashes to "
        f"{actual[:16]}…: entry {index - 1} was altered",
    )


def slices(path: Path, data: bytes, origin: str, parts: int) -> list[Slice]:
    """Cut ``data`` (the file's bytes, ending in a newline) into ``parts`` line-aligned slices."""
    out: list[Slice] = []
    start, index = 0, 0
    step = max(len(data) // max(parts, 1), 1)
    while start < len(data):
        cut = data.find(b"\n", min(start + step, len(data) - 1))
        end = len(data) if cut < 0 else cut + 1
        out.append(Slice(str(path), start, end, index, origin))
        index += data.count(b"\n", start, end)
        start = end
    return out


def load_relevant(line: bytes) -> dict[str, object]:
    """Re-read a leaf the scan already validated."""
    data: dict[str, object] = json.loads(line)
    return data
