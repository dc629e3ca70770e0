"""One replayed item as compact JSON and back (the rows of the stored report summary,
:mod:`clearance.reports.summary`), and the key that seals them."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from clearance.errors import BadInput
from clearance.reports.history import Event, Item

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def state_key(secret: str) -> bytes:
    """The HMAC key of the stored report summary, derived from the installation's secret (never
    stored)."""
    return hmac.new(secret.encode("utf-8"), b"clearance report state v1", hashlib.sha256).digest()


def micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


@lru_cache(maxsize=1 << 16)
def _at(us: int) -> datetime:
    """The time of ``us`` microseconds since the epoch (cached: an item's first and last times
    are those of entries, and the entries of one commit share their time)."""
    return _EPOCH + timedelta(0, 0, us)


def _ev(event: Event | None) -> list[object] | None:
    return None if event is None else [event.seq, micros(event.time), event.type]


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


def item_to_json(item: Item) -> list[object]:
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
        None if item.first_time is None else micros(item.first_time),
        None if item.last_time is None else micros(item.last_time),
    ]


def item_from_json(raw: Any) -> Item:
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
