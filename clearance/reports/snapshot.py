"""The replayed history persisted with the log position it covers, so a new process replays only
the entries written since (the first report page of a large log no longer replays it all).

A state is never trusted blindly. The file holds the history after entries ``0..size-1``, the
RFC 6962 root of those entries and the tree's right edge at ``size``, sealed with an HMAC under a
key derived from the installation's secret (a state edited or written by anyone without it is
refused). On loading, the root must equal the one in the log's checkpoint at ``size``; the new
entries are then hashed onto the stored edge and the result must equal the log's checkpoint at
the new size. Any mismatch, a format change or a broken file: the state is dropped and the whole
log replayed (the figures stay those of the log: every fact keeps its entries' sequence numbers).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clearance.auditlog.rfc6962 import HASH_SIZE
from clearance.auditlog.tree import RightEdge
from clearance.errors import BadInput
from clearance.reports.history import Event, History, Item, paused_gc

FORMAT = "clearance-report-state/v1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def state_key(secret: str) -> bytes:
    """The HMAC key of report states, derived from the installation's secret (never stored)."""
    return hmac.new(secret.encode("utf-8"), b"clearance report state v1", hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class State:
    """A history and where in the log it stands."""

    history: History
    edge: RightEdge  # the tree's right edge after ``history.size`` entries

    @property
    def root(self) -> bytes:
        return self.edge.root()


def _us(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _at(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _ev(event: Event | None) -> list[object] | None:
    return None if event is None else [event.seq, _us(event.time), event.type]


def _ev_back(raw: Any) -> Event:
    seq, us, kind = raw
    if not (isinstance(seq, int) and isinstance(us, int) and isinstance(kind, str)):
        raise BadInput("report state: malformed event")
    return Event(seq, _at(us), kind)


def _opt(raw: Any) -> Event | None:
    return None if raw is None else _ev_back(raw)


def _text(raw: Any) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise BadInput("report state: malformed text field")
    return raw


def _texts(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise BadInput("report state: malformed list of names")
    return tuple(raw)


#: Item's event lists and how each is written: plain events, (event, name), (event, names),
#: (event, name, name)
_PLAIN = ("resubmissions", "screened", "approved", "rejected", "sent_back", "recalled")
_NAMED = ("published", "drifted", "overdue")


def _item_json(item: Item) -> list[object]:
    return [
        item.id,
        item.author,
        item.unit,
        list(item.channels),
        item.level,
        item.language,
        list(item.themes),
        list(item.languages),
        _ev(item.submitted),
        [[_ev(e) for e in getattr(item, name)] for name in _PLAIN],
        [[[_ev(e), extra] for e, extra in getattr(item, name)] for name in _NAMED],
        [[_ev(e), list(reasons)] for e, reasons in item.blocked],
        [[_ev(e), stage, who] for e, stage, who in item.decisions],
        None if item.first_time is None else _us(item.first_time),
        None if item.last_time is None else _us(item.last_time),
    ]


def _item_back(raw: Any) -> Item:
    """One item back (the hot loop of a load: no per-event checks beyond unpacking; a field of
    the wrong shape raises TypeError or ValueError, which ``decode`` turns into BadInput)."""
    (ident, author, unit, channels, level, language, themes, languages, submitted, plain, named,
     blocked, decisions, first, last) = raw  # fmt: skip
    if not isinstance(ident, str) or len(plain) != len(_PLAIN) or len(named) != len(_NAMED):
        raise BadInput("report state: malformed item")
    ev, at = Event, _at
    item = Item(ident, _text(author), _text(unit), _texts(channels), _text(level),
                _text(language), _texts(themes), _texts(languages),
                None if submitted is None else ev(submitted[0], at(submitted[1]), submitted[2]))  # fmt: skip
    for name, events in zip(_PLAIN, plain, strict=True):
        if events:
            setattr(item, name, [ev(s, at(u), k) for s, u, k in events])
    for name, pairs in zip(_NAMED, named, strict=True):
        if pairs:
            setattr(item, name, [(ev(s, at(u), k), str(x)) for (s, u, k), x in pairs])
    item.blocked = [(ev(s, at(u), k), _texts(r)) for (s, u, k), r in blocked]
    item.decisions = [(ev(s, at(u), k), str(st), str(w)) for (s, u, k), st, w in decisions]
    item.first_time = None if first is None else at(int(first))
    item.last_time = None if last is None else at(int(last))
    return item


def encode(state: State, key: bytes) -> bytes:
    """The sealed file: one line with the HMAC (hex), then the JSON payload."""
    with paused_gc():
        payload = _payload(state)
    return hmac.new(key, payload, hashlib.sha256).hexdigest().encode("ascii") + b"\n" + payload


def _payload(state: State) -> bytes:
    history = state.history
    return json.dumps(
        {
            "format": FORMAT,
            "size": history.size,
            "root": state.root.hex(),
            "edge": [h.hex() for h in state.edge.hashes],
            "units": history.units,
            "issuer": history.issuer,
            "labels": history.labels,
            "items": [_item_json(item) for item in history.items.values()],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def decode(data: bytes, key: bytes) -> State:
    """The state in ``data``; BadInput when the seal, the format or any field is wrong."""
    seal, _, payload = data.partition(b"\n")
    expected = hmac.new(key, payload, hashlib.sha256).hexdigest().encode("ascii")
    if not hmac.compare_digest(seal, expected):
        raise BadInput("report state: the seal does not match (written elsewhere or edited)")
    try:
        with paused_gc():
            doc = json.loads(payload)
        if doc.get("format") != FORMAT:
            raise BadInput(f"report state: format {doc.get('format')!r}, want {FORMAT}")
        size = doc["size"]
        hashes = tuple(bytes.fromhex(h) for h in doc["edge"])
        if not isinstance(size, int) or any(len(h) != HASH_SIZE for h in hashes):
            raise BadInput("report state: malformed size or edge")
        edge = RightEdge(size, hashes)
        if edge.root().hex() != doc["root"]:
            raise BadInput("report state: the edge does not give the stored root")
        with paused_gc():
            history = _history_back(doc, size)
    except BadInput:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadInput(f"report state: malformed ({type(exc).__name__})") from None
    return State(history, edge)


def _history_back(doc: dict[str, Any], size: int) -> History:
    history = History()
    history.size = size
    history.units = {str(k): _text(v) for k, v in doc["units"].items()}
    history.issuer = _text(doc["issuer"])
    history.labels = {str(k): str(v) for k, v in doc["labels"].items()}
    for raw in doc["items"]:
        item = _item_back(raw)
        history.items[item.id] = item
    return history


class StateFile:
    """The persisted state in one file, replaced atomically."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key

    def load(self, root_at: Callable[[int], bytes | None]) -> State | None:
        """The stored state when its seal holds and its root is the log's at its size."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            return None
        try:
            state = decode(data, self._key)
        except BadInput:
            return None
        if root_at(state.history.size) != state.root:
            return None  # another log, a restored backup or a rewritten history
        return state

    def save(self, state: State) -> None:
        data = encode(state, self._key)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".state-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            Path(name).replace(self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
