"""Log entries: canonical JSON leaves, stored and exported exactly as hashed.

A leaf is ``canonical_json`` of an object with exactly these keys:
``origin`` (log origin), ``seq`` (leaf index), ``prev`` (hex leaf hash of entry seq-1, 64 zeros for
the first), ``time`` (RFC 3339 UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), ``type`` (event type),
``actor``, ``item``, ``revision``, ``manifest`` (revision manifest hash), ``policy`` (policy hash),
``body`` (event-specific object). Parsing refuses duplicate keys (as non-canonical), floats, unknown or missing keys
and any byte sequence that is not the canonical encoding of what it holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from clearance.canonical import canonical_json, canonical_text
from clearance.errors import BadInput

GENESIS_PREV = "0" * 64
FIELDS = frozenset(
    {
        "origin",
        "seq",
        "prev",
        "time",
        "type",
        "actor",
        "item",
        "revision",
        "manifest",
        "policy",
        "body",
    }
)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds; naive datetimes are refused."""
    if moment.tzinfo is None:
        raise BadInput(f"time {moment!r} has no time zone; pass an aware UTC datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    if not _TIME.fullmatch(text):
        raise BadInput(f"time {text!r} is not RFC 3339 UTC like 2025-01-31T09:30:00.000000Z")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise BadInput(f"time {text!r} is not a real date and time") from None


def check_time(text: str) -> None:
    """``parse_time`` without building the datetime (the verifier checks a million of these)."""
    if not _TIME.fullmatch(text):
        raise BadInput(f"time {text!r} is not RFC 3339 UTC like 2025-01-31T09:30:00.000000Z")
    try:
        datetime.fromisoformat(text[:-1])
    except ValueError:
        raise BadInput(f"time {text!r} is not a real date and time") from None


@dataclass(frozen=True, slots=True)
class Entry:
    origin: str
    seq: int
    prev: str
    time: str
    type: str
    actor: str | None
    item: str | None
    revision: int | None
    manifest: str | None
    policy: str | None
    body: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "seq": self.seq,
            "prev": self.prev,
            "time": self.time,
            "type": self.type,
            "actor": self.actor,
            "item": self.item,
            "revision": self.revision,
            "manifest": self.manifest,
            "policy": self.policy,
            "body": dict(self.body),
        }

    def to_leaf(self) -> bytes:
        data = self.as_dict()
        _validate(data)
        if not _plain(data["body"]):
            return canonical_json(data)  # refuses floats and non-string keys, naming the path
        # canonical_json's encoding, without its float walk: _plain did it.
        return canonical_text(data).encode("utf-8")


class EntryTuple(NamedTuple):
    """An ``Entry``'s fields as a tuple, for replaying checked leaves in bulk (building a frozen
    dataclass costs more than checking the leaf). Same fields, same order, same meaning."""

    origin: str
    seq: int
    prev: str
    time: str
    type: str
    actor: str | None
    item: str | None
    revision: int | None
    manifest: str | None
    policy: str | None
    body: Mapping[str, Any]


#: an entry as the workflow reads it
AnyEntry = Entry | EntryTuple

_PLAIN_SCALARS = (str, int, bool, type(None))


def _plain(value: object) -> bool:
    """True when ``value`` holds only dicts with string keys, lists, str, int, bool and None
    (exact types): then it has no float and its canonical JSON is plain ``json`` output."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            mapping = cast("dict[object, object]", item)
            if any(type(key) is not str for key in mapping):
                return False
            stack.extend(mapping.values())
        elif kind is list:
            stack.extend(cast("list[object]", item))
        elif kind not in _PLAIN_SCALARS:
            return False
    return True


def _no_float(text: str) -> Any:
    raise BadInput(
        f"entry holds the number {text}, but floats are not canonical", params={"reason": "float"}
    )


def _validate(data: Mapping[str, Any]) -> None:
    if len(data) != len(FIELDS) or not FIELDS.issuperset(data):
        missing, extra = sorted(FIELDS - set(data)), sorted(set(data) - FIELDS)
        raise BadInput(
            f"entry keys are wrong: missing {missing}, unexpected {extra}",
            params={"reason": "keys"},
        )
    origin, seq, prev, time = data["origin"], data["seq"], data["prev"], data["time"]
    if type(origin) is not str or not origin:
        raise _bad_field("origin", f"entry origin must be a non-empty string, got {origin!r}")
    if type(seq) is not int or seq < 0:
        raise _bad_field("seq", f"entry seq must be a non-negative integer, got {seq!r}")
    if type(prev) is not str or not _HEX64.fullmatch(prev):
        raise _bad_field("prev", f"entry prev must be 64 lowercase hex digits, got {prev!r}")
    if type(time) is not str:
        raise _bad_field("time", f"entry time must be a string, got {time!r}")
    try:
        check_time(time)
    except BadInput as exc:
        raise _bad_field("time", str(exc)) from None
    if type(data["type"]) is not str or not data["type"]:
        raise _bad_field("type", f"entry type must be a non-empty string, got {data['type']!r}")
    for name in ("actor", "item", "manifest", "policy"):
        value = data[name]
        if value is not None and type(value) is not str:
            raise _bad_field(name, f"entry field {name} must be str or null, got {value!r}")
    revision = data["revision"]
    if revision is not None and type(revision) is not int:
        raise _bad_field("revision", f"entry field revision must be int or null, got {revision!r}")
    if type(data["body"]) is not dict:
        raise _bad_field("body", f"entry body must be an object, got {type(data['body']).__name__}")


def _bad_field(name: str, message: str) -> BadInput:
    """The error for a wrongly typed or valued entry field (its params name the field)."""
    return BadInput(message, params={"reason": "field", "field": name})


_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_float)


def parse_leaf(leaf: bytes) -> Entry:
    """Parse a leaf strictly; raise BadInput naming what is wrong."""
    try:
        # Duplicate keys collapse on parsing, so they fail the canonical re-encoding below.
        text = leaf.decode("utf-8")
        data = _DECODER.decode(text)
    except UnicodeDecodeError:
        raise BadInput("entry is not UTF-8", params={"reason": "encoding"}) from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"entry is not JSON ({exc.msg} at byte {exc.pos})", params={"reason": "json"}
        ) from None
    if not isinstance(data, dict):
        raise BadInput(
            f"entry must be a JSON object, got {type(data).__name__}", params={"reason": "json"}
        )
    _validate(data)
    # Same encoding as canonical_json; floats cannot occur here (parse_float refuses them).
    # Compared as text: an escaped lone surrogate re-encodes raw and must not raise here.
    if canonical_text(data) != text:
        raise BadInput(
            "entry is not in canonical JSON form (sorted keys, no spaces, raw UTF-8)",
            params={"reason": "canonical"},
        )
    return Entry(**data)
