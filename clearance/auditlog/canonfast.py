"""Canonical JSON at the verifier's speed: ``orjson`` when it is installed, else the standard library.

``canonical_bytes(value)`` is byte for byte ``clearance.canonical.canonical_json(value)`` for every
value a log entry holds (dicts with string keys, lists, str, bool, None, int in the 64-bit range;
floats are refused by both, ``tests/auditlog/test_canonfast.py`` proves the equality with
hypothesis). orjson differs only outside that range, where callers fall back to the standard
library: it reads an integer beyond 64 bits as a float (``float_free`` spots that), refuses lone
surrogates and refuses to write integers beyond 64 bits.

The verifier needs only the standard library and ``cryptography``; orjson (already installed with
Prefect) makes the canonical check of a line about five times cheaper.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_STDLIB_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)

loads: Callable[[bytes], Any] | None
dumps_sorted: Callable[[Any], bytes] | None
try:
    import orjson
except ImportError:  # pragma: no cover - the auditor's minimal install
    loads = dumps_sorted = None
else:
    loads = orjson.loads
    _SORT_KEYS = orjson.OPT_SORT_KEYS

    def _dumps_sorted(value: Any) -> bytes:
        return orjson.dumps(value, option=_SORT_KEYS)

    dumps_sorted = _dumps_sorted

#: orjson.loads and its errors (all ValueError), or None without orjson
LOAD_ERRORS = (ValueError, RecursionError)


def float_free(value: Any) -> bool:
    """True when ``value`` (parsed JSON: dicts, lists, scalars) holds no float anywhere."""
    stack = [value]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            push(item.values())
        elif kind is list:
            push(item)
        elif kind is float:
            return False
    return True


def canonical_bytes(value: Any) -> bytes:
    """Canonical JSON of a float-free ``value`` (sorted keys, no spaces, raw UTF-8)."""
    if dumps_sorted is not None:
        try:
            return dumps_sorted(value)
        except TypeError:  # an integer beyond 64 bits (orjson.JSONEncodeError is a TypeError)
            pass
    return _STDLIB_ENCODER.encode(value).encode("utf-8")
