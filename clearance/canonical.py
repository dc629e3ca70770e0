"""Canonical JSON: sorted keys, UTF-8, no insignificant whitespace.

Used for manifests, audit-log leaves and policy hashes, so the same value always has the same bytes
and therefore the same SHA-256. Floats are refused (their text form is not canonical across
implementations); use integers or strings.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from clearance.errors import BadInput


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
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def canonical_hash(value: Any) -> str:
    """Hex SHA-256 of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
