"""Canonical JSON: sorted keys, UTF-8, no insignificant whitespace; the one definition.

Used for manifests, audit-log leaves and policy hashes, so the same value always has the same bytes
and therefore the same SHA-256. Floats are refused (their text form is not canonical across
implementations); use integers or strings.

Which subset of RFC 8785 (JCS) this is. For every value made of objects with string keys, arrays
(lists or tuples), strings, ``true``/``false``/``null`` and integers ``n`` with
``|n| <= 2**53 - 1``, whose strings are valid Unicode (no lone surrogates) and whose object keys
sort the same by code point as by UTF-16 code unit, ``canonical_json(value)`` is byte for byte
the JCS serialisation (``tests/foundation/test_canonical_rfc8785.py`` checks it against the
``rfc8785`` package). Outside that subset:

- floats are refused (JCS writes every number as an ES6 double; we keep no float at all);
- integers beyond ``2**53 - 1`` are written exactly, in full (JCS cannot hold them as doubles and
  ``rfc8785`` refuses them);
- keys are sorted by code point, JCS sorts by UTF-16 code unit: the two differ only when, at the
  first differing position, one key has a character above U+FFFF and the other one in
  U+E000..U+FFFF;
- strings with a lone surrogate are refused (JCS needs valid Unicode too).

The verifier checks a million lines: ``canonical_bytes`` writes an already float-free value with
``orjson`` when it is installed (byte for byte the same for the values a log holds; the standard
library otherwise), and ``loads``/``float_free`` read a line back for that check.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from clearance.errors import BadInput

_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _reject_floats(value: Any, path: str = "$") -> None:
    if isinstance(value, float):
        raise BadInput(
            f"canonical JSON cannot hold the float at {path}; use an integer or a string"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise BadInput(f"canonical JSON keys must be strings, found {key!r} at {path}")
            _reject_floats(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _reject_floats(item, f"{path}[{index}]")


def canonical_json(value: Any) -> bytes:
    """Return the canonical UTF-8 bytes of ``value``."""
    _reject_floats(value)
    try:
        return _ENCODER.encode(value).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadInput(
            f"canonical JSON needs valid Unicode; a string holds the lone surrogate "
            f"{exc.object[exc.start : exc.end]!r}: remove it"
        ) from None


def canonical_hash(value: Any) -> str:
    """Hex SHA-256 of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


# --- the verifier's fast path ------------------------------------------------------------------

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

#: what ``loads`` raises on a line that is not JSON
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


def canonical_text(value: Any) -> str:
    """The canonical JSON text of a float-free value with string keys, before UTF-8 encoding
    (a lone surrogate stays in the text: a parser compares against it without raising)."""
    return _ENCODER.encode(value)


def canonical_bytes(value: Any) -> bytes:
    """``canonical_json`` of a value already known to be float-free with string keys (no walk).

    orjson differs from the standard library only outside the values a log holds, where this
    falls back to it: orjson refuses integers beyond 64 bits and lone surrogates."""
    if dumps_sorted is not None:
        try:
            return dumps_sorted(value)
        except TypeError:  # an integer beyond 64 bits (orjson.JSONEncodeError is a TypeError)
            pass
    return canonical_text(value).encode("utf-8")
