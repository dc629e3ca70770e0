"""What happened to every item, replayed from the signed log's entries (standard library only, so
an inspector computes the same figures from an export offline).

Each fact keeps the sequence numbers of the entries it came from, so every figure of a report
can be traced back to the log. The replay is incremental: :meth:`History.extend` takes the
entries after the last one seen.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from clearance.domain.blocking import BlockReason
from clearance.errors import BadInput
from clearance.screening.types import HELD_RULE, REFUSED_RULE


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a replay or a load builds millions of objects (none
    of them cyclic garbage): the collector would traverse the growing heap again and again."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


@lru_cache(maxsize=4096)
def parse_time(text: str) -> datetime:
    """An entry's ``time`` (``2026-12-02T12:39:04.898136Z``) as an aware UTC datetime (cached:
    the entries of one commit share their time)."""
    if _TIME.fullmatch(text):
        return datetime.fromisoformat(text)
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise BadInput(f"entry time {text[:40]!r} is not an RFC 3339 UTC time") from None


#: why a revision was blocked, by the rule that blocked it
BLOCK_REASONS = ("marking", "personal_data", "metadata", "file_type", "level", "other")


def block_reason(rule: str) -> str:
    if rule.startswith("marking."):
        return "marking"
    if rule.startswith(("pii.", "geo.")):
        return "personal_data"
    if rule.startswith("metadata."):
        return "metadata"
    if rule in (REFUSED_RULE, HELD_RULE) or rule.startswith("filetype."):
        return "file_type"
    return "other"


@dataclass(slots=True)
class Event:
    """One entry reduced to what reports need."""

    seq: int
    time: datetime
    type: str


@dataclass
class Item:
    """Everything the log says about one item."""

    id: str
    author: str | None = None
    unit: str | None = None
    channels: tuple[str, ...] = ()
    level: str | None = None
    language: str | None = None
    themes: tuple[str, ...] = ()
    #: the languages of its versions (one release holds them all); empty for one version
    languages: tuple[str, ...] = ()
    submitted: Event | None = None  # the first submission
    resubmissions: list[Event] = field(default_factory=list)
    screened: list[Event] = field(default_factory=list)
    blocked: list[tuple[Event, tuple[str, ...]]] = field(default_factory=list)
    approved: list[Event] = field(default_factory=list)
    rejected: list[Event] = field(default_factory=list)
    sent_back: list[Event] = field(default_factory=list)
    published: list[tuple[Event, str]] = field(default_factory=list)  # (entry, channel)
    recalled: list[Event] = field(default_factory=list)
    drifted: list[tuple[Event, str]] = field(default_factory=list)
    overdue: list[tuple[Event, str]] = field(default_factory=list)  # (entry, stage)
    decisions: list[tuple[Event, str, str]] = field(default_factory=list)  # (entry, stage, who)
    #: the earliest and latest times of its entries: a report skips items wholly outside its
    #: period
    first_time: datetime | None = None
    last_time: datetime | None = None
    #: each version's files as the last submission linked them (language, file names); not
    #: kept in the stored report summary (no figure counts them), read by the auditor's view
    version_files: tuple[tuple[str, tuple[str, ...]], ...] = ()


class History:
    """The replay of the log so far: items by id and the units of users."""

    def __init__(self) -> None:
        self.items: dict[str, Item] = {}
        self.units: dict[str, str | None] = {}
        self.size = 0
        #: from the latest ``policy.loaded``: who issues the report, and Vietnamese labels of
        #: levels, channels and themes by id
        self.issuer: str | None = None
        self.labels: dict[str, str] = {}

    def extend(self, leaves: Iterable[bytes | str]) -> None:
        """Replay entries ``size, size+1, ...`` (leaf bytes or text, as in ``entries.jsonl``)."""
        self.extend_parsed(json.loads(raw) for raw in leaves)

    def extend_parsed(self, parsed: Iterable[dict[str, object]]) -> None:
        """Replay entries ``size, size+1, ...`` already parsed from their JSON."""
        with paused_gc():
            for entry in parsed:
                if entry.get("seq") != self.size:
                    raise BadInput(f"entry {entry.get('seq')} given where {self.size} was expected")
                self._apply(entry)
                self.size += 1

    def _item(self, item_id: str) -> Item:
        item = self.items.get(item_id)
        if item is None:
            item = self.items[item_id] = Item(item_id)
        return item

    def _unit(self, body: dict[str, object]) -> None:
        name = body.get("username")
        if isinstance(name, str) and "unit" in body:
            unit = body.get("unit")
            self.units[name] = unit if isinstance(unit, str) else None

    def _apply(self, entry: dict[str, object]) -> None:
        kind = str(entry["type"])
        body = entry.get("body")
        body = body if isinstance(body, dict) else {}
        if kind == "policy.loaded":
            self._policy(body)
            return
        if kind in ("user.registered", "user.roles_changed"):
            self._unit(body)
            return
        if kind == "admin.roster_set_up":
            people = body.get("users")
            for person in people if isinstance(people, list) else []:
                if isinstance(person, dict):
                    self._unit(person)
            return
        item_id = entry.get("item")
        if not isinstance(item_id, str):
            return
        event = Event(int(str(entry["seq"])), parse_time(str(entry["time"])), kind)
        item = self._item(item_id)
        # the earliest and latest times (not the first and last in log order: a clock set back
        # must not hide an entry from the report of its period)
        if item.first_time is None or event.time < item.first_time:
            item.first_time = event.time
        if item.last_time is None or event.time > item.last_time:
            item.last_time = event.time
        if kind == "item.submitted":
            self._submitted(item, event, body)
        elif kind == "revision.classified":
            level = body.get("level")
            item.level = level if isinstance(level, str) else item.level
        elif kind == "revision.screened":
            item.screened.append(event)
            if body.get("to") == "blocked" or body.get("verdict") == "blocked":
                item.blocked.append((event, _reasons(body)))
        elif kind == "revision.approved":
            item.approved.append(event)
        elif kind == "revision.rejected":
            item.rejected.append(event)
        elif kind == "revision.changes_requested":
            item.sent_back.append(event)
        elif kind == "publication.published":
            item.published.append((event, str(body.get("channel", ""))))
        elif kind in ("item.recalled", "publication.recalled"):
            item.recalled.append(event)
        elif kind == "publication.drifted":
            item.drifted.append((event, str(body.get("channel", ""))))
        elif kind == "signoff.overdue":
            item.overdue.append((event, str(body.get("stage", ""))))
        elif kind == "signoff.decided":
            who = entry.get("actor")
            item.decisions.append((event, str(body.get("stage", "")), str(who or "")))

    def _policy(self, body: dict[str, object]) -> None:
        document = body.get("document")
        if not isinstance(document, dict):
            return
        metadata = document.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("issuer"), str):
            self.issuer = str(metadata["issuer"])
        for section in ("levels", "themes", "languages"):
            entries = document.get(section)
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and isinstance(entry.get("label_vi"), str):
                    key = entry.get("name", entry.get("id", entry.get("code", "")))
                    self.labels[str(key)] = entry["label_vi"]
        channels = document.get("channels")
        if isinstance(channels, dict):
            for name, channel in channels.items():
                if isinstance(channel, dict) and isinstance(channel.get("label_vi"), str):
                    self.labels[str(name)] = channel["label_vi"]
        elif isinstance(channels, list):
            for channel in channels:
                if isinstance(channel, dict) and isinstance(channel.get("label_vi"), str):
                    self.labels[str(channel.get("name", channel.get("id", "")))] = channel[
                        "label_vi"
                    ]

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def _submitted(self, item: Item, event: Event, body: dict[str, object]) -> None:
        if item.submitted is None:
            item.submitted = event
            author = body.get("author")
            item.author = author if isinstance(author, str) else None
            item.unit = self.units.get(item.author or "")
        else:
            item.resubmissions.append(event)
        channels = body.get("channels")
        if isinstance(channels, list):
            item.channels = tuple(str(c) for c in channels)
        language = body.get("language")
        if isinstance(language, str):
            item.language = language
        themes = body.get("themes")
        if isinstance(themes, list):
            item.themes = tuple(str(t) for t in themes)
        versions = body.get("versions")
        if isinstance(versions, list):  # each revision says its versions: the last one stands
            stated = [v for v in versions
                      if isinstance(v, dict) and isinstance(v.get("language"), str)]  # fmt: skip
            item.languages = tuple(str(v["language"]) for v in stated)
            item.version_files = tuple(
                (str(v["language"]), tuple(str(f) for f in v["files"]))
                for v in stated
                if isinstance(v.get("files"), list) and v["files"]
            )


def _reasons(body: dict[str, object]) -> tuple[str, ...]:
    reasons: set[str] = set()
    findings = body.get("findings")
    for finding in findings if isinstance(findings, list) else []:
        if isinstance(finding, dict) and finding.get("severity") == "block":
            reasons.add(block_reason(str(finding.get("rule", ""))))
    blocked = body.get("blocked")
    for stored in blocked if isinstance(blocked, list) else []:
        reason = BlockReason.from_json(stored)  # coded, or an old entry's English line
        by_level = reason.code == "blocked.level_unpublishable" or (
            reason.code is None and reason.text.startswith("level ")
        )
        if by_level and not reasons:
            reasons.add("level")
    return tuple(sorted(reasons or {"other"}))


def item_facts(item_id: str, entries: Iterable[Mapping[str, object]]) -> Item | None:
    """What the log says about one item, from its own entries in log order (the auditor's item
    and log views: its themes, language and language versions as the submissions stated them,
    by the same reading as the reports'); None when no entry names it."""
    history = History()
    for entry in entries:
        if entry.get("item") == item_id:
            history._apply(dict(entry))
    return history.items.get(item_id)
