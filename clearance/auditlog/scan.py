"""Integrity checks of ``entries.jsonl`` lines (pure; runs in the verifier's worker processes).

Every line must be the canonical JSON leaf of an entry with the log's origin, ``seq`` equal to its
line index and ``prev`` equal to the hex leaf hash of the line before. The strictness is that of
``entry.parse_leaf``; only the speed differs. ``check_slice`` does all the per-line work of a
byte range of the file: the leaf hash of every line, then

- with orjson (``canonfast``): parse, check the fields, refuse any float (orjson reads integers
  beyond 64 bits as floats), re-encode with sorted keys and compare bytes. orjson's sorted output
  is canonical_json's for every float-free value, so an accepted line is exactly what the
  standard library would accept;
- whatever orjson cannot vouch for, and everything without orjson: the standard library's C
  scanner, which must consume the whole line, and its C encoder (``_strict_line``);
- the first line that fails is re-read with ``parse_leaf`` for the exact message.

It also reads what the workflow replay needs without log state (sign-off statements, the point
check of registered keys) and hands the workflow lines over as marshalled tuples.
``check_lines`` is the same check over rows in one process, chunk by chunk: the objects of a
chunk are re-encoded in one C call and compared with the chunk's lines joined by commas inside
brackets, which is exact per line because an object's text ends at its matching brace.

``is_relevant`` picks, without parsing, the lines whose ``type`` the workflow replays: ``type`` is
the last key of a canonical leaf, so a canonical line of such a type ends ``"type":"<type>"}``.
"""

from __future__ import annotations

import hashlib
import io
import json
import json.encoder
import json.scanner
import marshal
import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from clearance import canonical as canonfast
from clearance.auditlog.entry import (
    _DECODER,
    _TIME,
    FIELDS,
    GENESIS_PREV,
    EntryTuple,
    parse_leaf,
)
from clearance.auditlog.findings import Finding, Param
from clearance.auditlog.workflow import SignedOff, key_problem, read_signoff
from clearance.errors import BadInput

#: entry types the verifier replays (workflow rules and log-key rotations)
RELEVANT = frozenset(
    {
        "user.registered", "user.roles_changed", "admin.roster_set_up", "key.registered",
        "key.rotated", "log.key_rotated", "policy.loaded", "item.submitted", "revision.classified",
        "revision.screened", "signoff.decided", "publication.published",
    }
)  # fmt: skip
_TYPE_KEY = b'"type":"'
_RELEVANT_TAILS = frozenset(_TYPE_KEY + t.encode() + b'"}' for t in RELEVANT)
CHUNK = 2_000
_FIELD_COUNT = len(FIELDS)

# The C scanner and encoder of the json module, called directly (the pure-Python ones otherwise);
# the encoder has canonical_text's settings (tests/auditlog/test_canonfast.py holds them equal).
_make_scanner: Any = json.scanner.c_make_scanner or json.scanner.py_make_scanner  # type: ignore[attr-defined]
_scan_once: Any = _make_scanner(_DECODER)
_make_encoder: Any = json.encoder.c_make_encoder  # type: ignore[attr-defined]
_encode_chunk: Any = (
    _make_encoder(None, None, json.encoder.encode_basestring, None, ":", ",", True, False, False)
    if _make_encoder is not None
    else lambda value, _level: (canonfast.canonical_text(value),)
)
_SCAN_ERRORS = (ValueError, RecursionError, StopIteration, BadInput, UnicodeDecodeError)


def is_relevant(line: bytes) -> bool:
    return line[line.rfind(_TYPE_KEY) :] in _RELEVANT_TAILS


def chain_finding(index: int, recorded: str, actual: str) -> Finding:
    return Finding(
        "entry-chain",
        max(index - 1, 0),
        f"entry {index} records prev {recorded[:16]}… but entry {index - 1} hashes to "
        f"{actual[:16]}…: entry {index - 1} was altered",
        {"next": index, "recorded": recorded[:16], "actual": actual[:16]},
    )


def _slow_finding(index: int, line: bytes, prev: str, origin: str) -> Finding:
    """The finding for a line the fast path refused, worded as the strict parser words it."""
    try:
        entry = parse_leaf(line)
    except BadInput as exc:
        return malformed(index, exc)
    if entry.seq != index:
        return Finding(
            "entry-seq",
            index,
            f"line {index} holds seq {entry.seq}, want {index}: entries were deleted, "
            "inserted, duplicated or reordered",
            {"seq": entry.seq},
        )
    if entry.prev != prev:
        return chain_finding(index, entry.prev, prev)
    if entry.origin != origin:
        return Finding(
            "entry-origin",
            index,
            f"entry origin {entry.origin!r}, want {origin!r}",
            {"origin": entry.origin, "want": origin},
        )
    return Finding(
        "entry-malformed",
        index,
        "entry is not a well-formed canonical leaf",
        {"reason": "canonical"},
    )


def malformed(index: int, exc: BadInput) -> Finding:
    """The finding for a line the strict parser refuses: why (``reason``: encoding, json,
    float, keys, field, canonical) and, for a bad field, which one (``part``)."""
    params: dict[str, Param] = {"reason": str(exc.params.get("reason", "invalid"))}
    if "field" in exc.params:
        params["part"] = exc.params["field"]
    return Finding("entry-malformed", index, str(exc), params)


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


def _strict_line(line: bytes, index: int, prev: str, origin: str, times: _TimeCheck) -> Any:
    """The parsed leaf when ``line`` passes every check of ``parse_leaf`` and the sequence
    checks, else None (the standard library's scanner and encoder, as ``check_lines``)."""
    try:
        text = line.decode("utf-8")
        data, end = _scan_once(text, 0)
    except _SCAN_ERRORS:
        return None
    if end != len(text) or not _well_formed(data, index, prev, origin, times):
        return None
    if "".join(_encode_chunk(data, 0)) != text:
        return None
    return data


def _fast_line(line: bytes, index: int, prev: str, origin: str, times: _TimeCheck) -> Any:
    """``_strict_line`` with orjson: the parsed leaf, or None when orjson cannot vouch for the line
    (then ``_strict_line`` decides). Sound because orjson's sorted output equals canonical_json
    for every float-free value (canonfast), and the standard library reads that output back as
    the same value."""
    loads, dumps = canonfast.loads, canonfast.dumps_sorted
    if loads is None or dumps is None:
        return None
    try:
        data = loads(line)
    except canonfast.LOAD_ERRORS:
        return None
    if (
        not _well_formed(data, index, prev, origin, times)
        or not canonfast.float_free(data["body"])
        or dumps(data) != line
    ):
        return None
    return data


#: how a workflow line travels from a slice to the replay (marshalled tuples, see ``load_records``)
ENTRY, SIGNOFF_READ, SIGNOFF_FINDING = 0, 1, 2
#: a parsed leaf's values in ``EntryTuple`` order
_ENTRY_VALUES = operator.itemgetter(*EntryTuple._fields)


@dataclass(frozen=True, slots=True)
class Slice:
    """Lines [first_index, first_index + lines) at bytes [start, end) of ``path``. ``before``
    is the first byte of the line before (its hash is the first line's ``prev``), -1 at the
    start of the file."""

    path: str
    start: int
    end: int
    first_index: int
    lines: int
    before: int
    origin: str


@dataclass(frozen=True, slots=True)
class SliceResult:
    """``hashes``: the leaf hash of every line (32 bytes each). ``finding``: the first bad
    line's. ``stop``: the first bad line the workflow would replay (the replay ends there).
    ``records``: the workflow lines before ``stop``, each marshalled (see ``load_records``);
    ``key_problems``: ``workflow.key_problem`` of the vkeys those lines register."""

    first_index: int
    lines: int
    before_hash: bytes | None
    hashes: bytes
    finding: Finding | None
    stop: int | None
    records: tuple[bytes, ...]
    key_problems: dict[str, str | None]


def check_slice(part: Slice) -> SliceResult:
    """Every per-line check of a slice: leaf hashes, canonical form, origin, sequence and chain;
    the stateless reading of its workflow lines (sign-off statements, registered keys)."""
    with Path(part.path).open("rb") as handle:
        first = part.start if part.before < 0 else part.before
        handle.seek(first)
        data = handle.read(part.end - first)
    # one line at a time (a list of every line would double the slice in memory)
    lines = io.BytesIO(data)
    del data
    sha256 = hashlib.sha256
    prev, before_hash = GENESIS_PREV, None
    if part.before >= 0:
        before_hash = sha256(b"\x00" + lines.readline()[:-1]).digest()
        prev = before_hash.hex()
    check = _fast_line if canonfast.loads is not None else _strict_line
    origin, times = part.origin, _TimeCheck()
    relevant = RELEVANT
    hashes: list[bytes] = []
    records: list[bytes] = []  # each record marshalled as it is read, so none is kept as objects
    dumps = marshal.dumps
    problems: dict[str, str | None] = {}
    finding: Finding | None = None
    stop: int | None = None
    index = part.first_index
    for raw in lines:
        line = raw[:-1]
        digest = sha256(b"\x00" + line).digest()
        hashes.append(digest)
        if stop is None:
            data = check(line, index, prev, origin, times)
            if data is None and check is _fast_line:
                data = _strict_line(line, index, prev, origin, times)
            if data is None:
                if finding is None:
                    finding = _slow_finding(index, line, prev, origin)
                if is_relevant(line):
                    stop = index
            elif data["type"] in relevant:  # is_relevant(line), for a canonical line
                records.append(dumps(_record(index, data, problems)))
        prev = digest.hex()
        index += 1
    return SliceResult(
        part.first_index,
        len(hashes),
        before_hash,
        b"".join(hashes),
        finding,
        stop,
        tuple(records),
        problems,
    )


def _record(index: int, data: dict[str, Any], problems: dict[str, str | None]) -> tuple[Any, ...]:
    entry = EntryTuple._make(_ENTRY_VALUES(data))
    if entry.type == "signoff.decided":
        read = read_signoff(index, entry)
        if isinstance(read, Finding):
            return (index, SIGNOFF_FINDING, read.code, read.message, dict(read.params))
        return (index, SIGNOFF_READ, tuple(read))
    if entry.type in _KEY_TYPES:
        body = entry.body
        new = body.get("vkey") if entry.type == "key.registered" else body.get("new_vkey")
        if isinstance(new, str) and new not in problems:
            problems[new] = key_problem(new)
    return (index, ENTRY, tuple(entry))


_KEY_TYPES = frozenset({"key.registered", "key.rotated"})


def load_records(
    records: Iterable[bytes],
) -> Iterator[tuple[int, EntryTuple | SignedOff | Finding]]:
    """The workflow lines of a ``SliceResult``, in order: the entry, or its sign-off as
    ``read_signoff`` read it. (One ``marshal.loads`` of bytes per record: ``marshal.load`` from
    a stream reads it in small pieces, ten times slower.)"""
    make_entry, make_signoff, loads = EntryTuple._make, SignedOff._make, marshal.loads
    for blob in records:
        record = loads(blob)  # written by check_slice, never read from disk
        index, kind = record[0], record[1]
        if kind == ENTRY:
            yield index, make_entry(record[2])
        elif kind == SIGNOFF_READ:
            yield index, make_signoff(record[2])
        else:
            yield index, Finding(record[2], index, record[3], record[4])


def line_size(path: Path) -> int:
    """The average length of the first lines of ``path`` (at least 1), to size the slices."""
    with path.open("rb") as handle:
        sample = handle.read(SIZE_SAMPLE)
    return max(len(sample) // max(sample.count(b"\n"), 1), 1)


def plan_slices(path: Path, size: int, origin: str, step: int) -> Iterator[Slice]:
    """Cut the file (``size`` bytes, ending in a newline) into slices of about ``step`` bytes
    that end at line ends, counting their lines on the way (workers check them)."""
    changed = f"{path} changed while it was being verified; verify a copy that nobody writes"
    with path.open("rb") as handle:
        start, index, before = 0, 0, -1
        while start < size:
            chunk = handle.read(step)
            while chunk and not chunk.endswith(b"\n"):
                more = handle.read(PLAN_SAMPLE)
                if not more:
                    raise BadInput(changed)
                cut = more.find(b"\n")
                if cut >= 0:
                    chunk += more[: cut + 1]
                    handle.seek(start + len(chunk))
                    break
                chunk += more
            if not chunk:
                raise BadInput(changed)
            count = chunk.count(b"\n")
            yield Slice(str(path), start, start + len(chunk), index, count, before, origin)
            last = chunk.rfind(b"\n", 0, len(chunk) - 1)
            before = start + last + 1
            index += count
            start += len(chunk)


PLAN_SAMPLE = 1 << 16
SIZE_SAMPLE = 1 << 20  # a policy line may be large: sample many lines
