"""The sign-off statement's text layout: the one definition of its header and fields, in order.

Text (every line ``<field> <value>``, in this order, ending in a newline)::

    clearance.signoff.v1
    origin <log origin>
    item <item id>
    revision <revision number>
    manifest <revision manifest hash, 64 hex>
    decision approve|approve_with_recommendations|reject|request_changes
    role <sign-off role>
    stage <chain stage>
    signer <username>
    time <RFC 3339 UTC>
    checkpoint <size> <base64 root>

``clearance.auditlog.statement`` signs and parses it; the offline verifier reads it with the same
layout (``render`` and ``prefix`` below), never a copy of the field list.
"""

from __future__ import annotations

from collections.abc import Mapping

HEADER = "clearance.signoff.v1"
FIELDS = (
    "origin", "item", "revision", "manifest", "decision", "role", "stage", "signer", "time",
    "checkpoint",
)  # fmt: skip


def render(values: Mapping[str, str]) -> str:
    """The statement text of ``values`` (one string per field; every field required)."""
    missing = [name for name in FIELDS if name not in values]
    if missing:
        raise ValueError(f"a sign-off statement needs the fields {', '.join(missing)}")
    return HEADER + "\n" + "".join(f"{name} {values[name]}\n" for name in FIELDS)


def prefix(values: Mapping[str, str], upto: str) -> str:
    """The statement text up to and including ``upto``'s name and its space: the fixed part a
    reader compares before parsing the rest (``upto`` is a field name)."""
    end = FIELDS.index(upto)
    head = "".join(f"{name} {values[name]}\n" for name in FIELDS[:end])
    return f"{HEADER}\n{head}{upto} "
