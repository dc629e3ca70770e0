"""Ed25519 key refusal against C2SP/CCTV's edge-case keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearance.auditlog.note import Signer
from clearance.auditlog.pointcheck import (
    SMALL_ORDER_ENCODINGS,
    check_public_key,
    decode_point,
    is_identity,
    scalar_mult,
)
from clearance.errors import BadInput

REFUSED_FLAGS = {"low_order_A", "non_canonical_A", "low_order_component_A"}


def test_small_order_table_is_the_8_torsion_points() -> None:
    assert len(SMALL_ORDER_ENCODINGS) == 8
    for encoded in SMALL_ORDER_ENCODINGS:
        assert is_identity(scalar_mult(8, decode_point(encoded)))


def test_cctv_keys_refused_exactly_when_flagged(vectors: Path) -> None:
    cases = json.loads((vectors / "cctv-ed25519" / "ed25519vectors.json").read_text())
    assert len(cases) == 914
    refused = accepted = 0
    for case in cases:
        key = bytes.fromhex(case["key"])
        if REFUSED_FLAGS & set(case["flags"] or []):
            with pytest.raises(BadInput):
                check_public_key(key)
            refused += 1
        else:
            check_public_key(key)
            accepted += 1
    assert refused > 0 and accepted > 0


def test_generated_keys_are_accepted() -> None:
    for _ in range(5):
        check_public_key(Signer.generate("k").verifier.public_key)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (b"\x01" * 31, "32 bytes, got 31"),
        (b"\xff" * 32, "non-canonical"),
        ((2).to_bytes(32, "little"), "not a point on the curve"),
        (bytes(31) + b"\x80", "small order"),
    ],
)
def test_refusal_messages(key: bytes, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        check_public_key(key)
