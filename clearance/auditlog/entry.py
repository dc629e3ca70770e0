"""Log entries: canonical JSON leaves, stored and exported exactly as hashed.

A leaf is ``canonical_json`` of an object with exactly these keys:
``origin`` (log origin), ``seq`` (leaf index), ``prev`` (hex leaf hash of entry seq-1, 64 zeros for
the first), ``time`` (RFC 3339 UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), ``type`` (event type),
``actor``, ``item``, ``revision``, ``manifest`` (revision manifest hash), ``policy`` (policy hash),
``body`` (event-specific object). Parsing refuses duplicate keys, floats, unknown or missing keys
and any byte sequence that is not the canonical encoding of what it holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clearance.canonical import canonical_json
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
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
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
        _validate(self.as_dict())
        return canonical_json(self.as_dict())


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BadInput(f"duplicate key {key!r} in entry")
        out[key] = value
    return out


def _no_float(text: str) -> Any:
    raise BadInput(f"entry holds the number {text}, but floats are not canonical")


def _optional(value: object, kind: type, name: str) -> None:
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise BadInput(f"entry field {name} must be {kind.__name__} or null, got {value!r}")


def _validate(data: Mapping[str, Any]) -> None:
    keys = set(data)
    if keys != FIELDS:
        missing, extra = sorted(FIELDS - keys), sorted(keys - FIELDS)
        raise BadInput(f"entry keys are wrong: missing {missing}, unexpected {extra}")
    if not isinstance(data["origin"], str) or not data["origin"]:
        raise BadInput(f"entry origin must be a non-empty string, got {data['origin']!r}")
    seq = data["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise BadInput(f"entry seq must be a non-negative integer, got {seq!r}")
    if not isinstance(data["prev"], str) or not _HEX64.fullmatch(data["prev"]):
        raise BadInput(f"entry prev must be 64 lowercase hex digits, got {data['prev']!r}")
    if not isinstance(data["time"], str):
        raise BadInput(f"entry time must be a string, got {data['time']!r}")
    parse_time(data["time"])
    if not isinstance(data["type"], str) or not data["type"]:
        raise BadInput(f"entry type must be a non-empty string, got {data['type']!r}")
    for name in ("actor", "item", "manifest", "policy"):
        _optional(data[name], str, name)
    _optional(data["revision"], int, "revision")
    if not isinstance(data["body"], dict):
        raise BadInput(f"entry body must be an object, got {type(data['body']).__name__}")


def parse_leaf(leaf: bytes) -> Entry:
    """Parse a leaf strictly; raise BadInput naming what is wrong."""
    try:
        data = json.loads(
            leaf.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_constant=_no_float,
        )
    except UnicodeDecodeError:
        raise BadInput("entry is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"entry is not JSON ({exc.msg} at byte {exc.pos})") from None
    if not isinstance(data, dict):
        raise BadInput(f"entry must be a JSON object, got {type(data).__name__}")
    _validate(data)
    # Same encoding as canonical_json; floats cannot occur here (parse_float refuses them).
    again = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if again.encode("utf-8") != leaf:
        raise BadInput("entry is not in canonical JSON form (sorted keys, no spaces, raw UTF-8)")
    return Entry(**data)
