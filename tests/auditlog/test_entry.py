"""Entries: canonical leaves that parse back to themselves, and strict refusal of the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearance.auditlog.entry import GENESIS_PREV, Entry, format_time, parse_leaf
from clearance.errors import BadInput

NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


def entry(**changes: object) -> Entry:
    base: dict[str, object] = {
        "origin": "clearance.test/log",
        "seq": 0,
        "prev": GENESIS_PREV,
        "time": format_time(NOW),
        "type": "item.submitted",
        "actor": "an",
        "item": "itm_1",
        "revision": 1,
        "manifest": "ab" * 32,
        "policy": None,
        "body": {"title": "Thông cáo báo chí"},
    }
    base.update(changes)
    return Entry(**base)  # type: ignore[arg-type]


def test_leaf_is_canonical_and_round_trips() -> None:
    leaf = entry().to_leaf()
    assert b" " not in leaf.split(b'"title"')[0]
    assert "Thông cáo".encode() in leaf
    assert parse_leaf(leaf) == entry()


@given(st.text(), st.integers(0, 2**40))
def test_any_body_text_round_trips(text: str, seq: int) -> None:
    e = entry(seq=seq, body={"t": text})
    assert parse_leaf(e.to_leaf()) == e
    assert b"\n" not in e.to_leaf()


def test_time_is_utc_with_microseconds() -> None:
    local = NOW.astimezone(timezone(timedelta(hours=7)))
    assert format_time(local) == "2025-03-01T08:30:00.000000Z"
    with pytest.raises(BadInput, match="no time zone"):
        format_time(datetime(2025, 1, 1))


@pytest.mark.parametrize(
    ("leaf", "message"),
    [
        (b"[]", "must be a JSON object"),
        (b"{", "not JSON"),
        (b"\xff", "not UTF-8"),
        (b'{"a":1.5}', "floats are not canonical"),
        (b'{"a":1,"a":2}', "entry keys are wrong"),
    ],
)
def test_malformed_leaves(leaf: bytes, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_leaf(leaf)


def test_non_canonical_and_wrong_fields() -> None:
    data = entry().as_dict()
    spaced = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
    with pytest.raises(BadInput, match="canonical JSON form"):
        parse_leaf(spaced)
    with pytest.raises(BadInput, match="unexpected \\['extra'\\]"):
        parse_leaf(json.dumps({**data, "extra": 1}).encode())
    with pytest.raises(BadInput, match="seq must be"):
        entry(seq=-1).to_leaf()
    with pytest.raises(BadInput, match="prev must be"):
        entry(prev="AB" * 32).to_leaf()
    with pytest.raises(BadInput, match="RFC 3339"):
        entry(time="2025-03-01 08:30:00").to_leaf()
    with pytest.raises(BadInput, match="revision must be int"):
        entry(revision=True).to_leaf()
