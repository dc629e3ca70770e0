"""Integrity checks of ``entries.jsonl`` lines (pure; also runs in worker processes).

Every line must be the canonical JSON leaf of an entry with the log's origin, ``seq`` equal to its
line index and ``prev`` equal to the hex leaf hash of the line before. The strictness is that of
``entry.parse_leaf``; only the speed differs:

- each line is decoded by the C scanner, which must consume the whole line and yield an object;
- the objects of a chunk of lines are re-encoded canonically in one C call and compared with the
  chunk's lines joined by commas inside brackets. That comparison is exact per line: every item is
  a JSON object, and an object's text ends at its matching brace, so equal joined texts with the
  same number of objects force equal texts object by object;
- the first line that fails any check is re-read with ``parse_leaf`` for the exact message.

``is_relevant`` picks, without parsing, the lines whose ``type`` the workflow replays: ``type`` is
the last key of a canonical leaf, so a canonical line of such a type ends ``"type":"<type>"}``.
A non-canonical line that is missed here is still caught by the full check.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
import json.scanner
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from clearance.auditlog.entry import _DECODER, _ENCODER, _TIME, FIELDS, parse_leaf
from clearance.auditlog.findings import Finding
from clearance.errors import BadInput

#: entry types the verifier replays (workflow rules and log-key rotations)
RELEVANT = frozenset(
    {
        "user.registered", "user.roles_changed", "key.registered", "key.rotated",
        "log.key_rotated", "policy.loaded", "item.submitted", "revision.classified",
        "revision.screened", "signoff.decided", "publication.published",
    }
)  # fmt: skip
_TYPE_KEY = b'"type":"'
_RELEVANT_TAILS = frozenset(_TYPE_KEY + t.encode() + b'"}' for t in RELEVANT)
CHUNK = 2_000
_FIELD_COUNT = len(FIELDS)

# The C scanner and encoder of the json module, called directly (the pure-Python ones otherwise).
_make_scanner: Any = json.scanner.c_make_scanner or json.scanner.py_make_scanner  # type: ignore[attr-defined]
_scan_once: Any = _make_scanner(_DECODER)
_make_encoder: Any = json.encoder.c_make_encoder  # type: ignore[attr-defined]
_encode_chunk: Any = (
    _make_encoder(None, None, json.encoder.encode_basestring, None, ":", ",", True, False, False)
    if _make_encoder is not None
    else lambda value, _level: (_ENCODER.encode(value),)
)
_SCAN_ERRORS = (ValueError, RecursionError, StopIteration, BadInput, UnicodeDecodeError)


def is_relevant(line: bytes) -> bool:
    return line[line.rfind(_TYPE_KEY) :] in _RELEVANT_TAILS


def leaf_hashes(lines: Sequence[bytes]) -> list[bytes]:
    """SHA-256(0x00 || line) of every line (rfc6962.leaf_hash, inlined for a million lines)."""
    sha256 = hashlib.sha256
    return [sha256(b"\x00" + line).digest() for line in lines]


def chain_finding(index: int, recorded: str, actual: str) -> Finding:
    return Finding(
        "entry-chain",
        max(index - 1, 0),
        f"entry {index} records prev {recorded[:16]}… but entry {index - 1} hashes to "
        f"{actual[:16]}…: entry {index - 1} was altered",
    )


def _slow_finding(index: int, line: bytes, prev: str, origin: str) -> Finding:
    """The finding for a line the fast path refused, worded as the strict parser words it."""
    try:
        entry = parse_leaf(line)
    except BadInput as exc:
        return Finding("entry-malformed", index, str(exc))
    if entry.seq != index:
        return Finding(
            "entry-seq",
            index,
            f"line {index} holds seq {entry.seq}, want {index}: entries were deleted, "
            "inserted, duplicated or reordered",
        )
    if entry.prev != prev:
        return chain_finding(index, entry.prev, prev)
    if entry.origin != origin:
        return Finding("entry-origin", index, f"entry origin {entry.origin!r}, want {origin!r}")
    return Finding("entry-malformed", index, "entry is not a well-formed canonical leaf")


class _TimeCheck:
    """RFC 3339 time check, remembering the last good value (entries of a commit share it)."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last = ""

    def ok(self, value: object) -> bool:
        if value == self.last:
            return True
        if type(value) is not str or not _TIME.fullmatch(value):
            return False
        try:
            datetime.fromisoformat(value[:-1])
        except ValueError:
            return False
        self.last = value
        return True


def _well_formed(data: Any, index: int, prev: str, origin: str, times: _TimeCheck) -> bool:
    """Everything ``parse_leaf`` and the sequence checks demand, except canonical form."""
    if type(data) is not dict or len(data) != _FIELD_COUNT:
        return False
    try:  # eleven keys, each of them present: exactly FIELDS
        seq, revision, kind, body = data["seq"], data["revision"], data["type"], data["body"]
        actor, item, manifest, policy = (
            data["actor"],
            data["item"],
            data["manifest"],
            data["policy"],
        )
        if type(seq) is not int or seq != index or data["prev"] != prev:
            return False
        if data["origin"] != origin or not times.ok(data["time"]):
            return False
    except KeyError:
        return False
    if type(kind) is not str or not kind or type(body) is not dict:
        return False
    if revision is not None and type(revision) is not int:
        return False
    return (
        (actor is None or type(actor) is str)
        and (item is None or type(item) is str)
        and (manifest is None or type(manifest) is str)
        and (policy is None or type(policy) is str)
    )


def check_lines(
    rows: Sequence[tuple[int, bytes, str]], origin: str
) -> tuple[list[dict[str, Any]], Finding | None]:
    """Check ``(index, line, expected prev hex)`` rows in order.

    Return the parsed leaves up to the first bad row and that row's finding (or None).
    """
    times = _TimeCheck()
    out: list[dict[str, Any]] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        texts: list[str] = []
        objects: list[dict[str, Any]] = []
        bad: int | None = None
        for position, (index, line, prev) in enumerate(chunk):
            try:
                text = line.decode("utf-8")
                data, end = _scan_once(text, 0)
            except _SCAN_ERRORS:
                bad = position
                break
            if end != len(text) or not _well_formed(data, index, prev, origin, times):
                bad = position
                break
            texts.append(text)
            objects.append(data)
        if objects and "".join(_encode_chunk(objects, 0)) != "[" + ",".join(texts) + "]":
            # Some line is not canonical: find the first one.
            for position, data in enumerate(objects):
                if "".join(_encode_chunk(data, 0)) != texts[position]:
                    bad = position
                    break
        if bad is not None:
            index, line, prev = chunk[bad]
            out += objects[:bad]
            return out, _slow_finding(index, line, prev, origin)
        out += objects
    return out, None


@dataclass(frozen=True, slots=True)
class Slice:
    """Lines [first_index, ...) at bytes [start, end) of ``path``; ``prev`` is the hex leaf hash
    of the line before (or the genesis value)."""

    path: str
    start: int
    end: int
    first_index: int
    prev: str
    origin: str


def check_slice(part: Slice) -> Finding | None:
    """The first bad line of a slice, skipping the relevant lines (the caller checks those)."""
    with Path(part.path).open("rb") as handle:
        handle.seek(part.start)
        data = handle.read(part.end - part.start)
    lines = data.split(b"\n")
    lines.pop()
    sha256 = hashlib.sha256
    prev = part.prev
    rows: list[tuple[int, bytes, str]] = []
    index = part.first_index
    for line in lines:
        if not is_relevant(line):
            rows.append((index, line, prev))
        prev = sha256(b"\x00" + line).hexdigest()
        index += 1
    return check_lines(rows, part.origin)[1]


def slices(
    path: Path, data: bytes, hashes: Sequence[bytes], origin: str, genesis: str, lines: int
) -> list[Slice]:
    """Cut ``data`` (the file's bytes, ending in a newline) into slices of about ``lines``."""
    out: list[Slice] = []
    start, index = 0, 0
    step = max(len(data) // max(len(hashes) // max(lines, 1), 1), 1)
    while start < len(data):
        cut = data.find(b"\n", min(start + step, len(data) - 1))
        end = len(data) if cut < 0 else cut + 1
        prev = hashes[index - 1].hex() if index else genesis
        out.append(Slice(str(path), start, end, index, prev, origin))
        index += data.count(b"\n", start, end)
        start = end
    return out
