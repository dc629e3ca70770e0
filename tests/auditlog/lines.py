"""One log line to mutate, and the strict parser's verdict on a line: shared by the tests of the
verifier's fast line checks (scan) and of its orjson path (canonfast)."""

from __future__ import annotations

from clearance.auditlog.entry import GENESIS_PREV, Entry, parse_leaf
from clearance.errors import BadInput

ORIGIN = "clearance.test/log"
TIME = "2025-03-01T08:30:00.000000Z"


def leaf(seq: int = 0, prev: str = GENESIS_PREV, **body: object) -> bytes:
    return Entry(ORIGIN, seq, prev, TIME, "item.submitted", "an", "itm_1", 1, "ab" * 32, None,
                 body).to_leaf()  # fmt: skip


def strict_ok(line: bytes) -> bool:
    try:
        entry = parse_leaf(line)
    except BadInput:
        return False
    return entry.seq == 0 and entry.prev == GENESIS_PREV and entry.origin == ORIGIN
