"""Known answers for the signed sign-off statement: a fixed Ed25519 seed, a fixed statement,
the exact text and the exact signed note, computed outside the product with openssl.

Reproduce (seed 00 01 .. 1f; PKCS#8 prefix for a raw Ed25519 seed)::

    printf '302e020100300506032b657004220420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' \\
        | xxd -r -p > k.der && openssl pkey -inform DER -in k.der -out k.pem
    openssl pkey -in k.pem -pubout -outform DER | tail -c 32 | xxd -p -c 64       # PUBLIC
    printf '%s' "$TEXT" > msg && openssl pkeyutl -sign -inkey k.pem -rawin -in msg  # signature
    (printf 'hung.le\\n\\x01'; printf PUBLIC | xxd -r -p) | sha256sum | cut -c1-8    # key ID
"""

from __future__ import annotations

import pytest

from clearance.approval import DecisionKind
from clearance.auditlog.note import Signer, Verifier, parse_vkey
from clearance.auditlog.note import sign as sign_note
from clearance.auditlog.statement import SignOff, parse_statement, verify_statement
from clearance.errors import BadInput, VerificationError

SEED = bytes(range(32))
PUBLIC = bytes.fromhex("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")
KEY_ID = bytes.fromhex("5330dd12")
TEXT = (
    "clearance.signoff.v1\n"
    "origin clearance.test/log\n"
    "item itm_kat\n"
    "revision 2\n"
    "manifest " + "ab" * 32 + "\n"
    "decision approve_with_recommendations\n"
    "role unit_head\n"
    "stage unit_review\n"
    "signer hung.le\n"
    "time 2026-03-01T08:30:00.000000Z\n"
    "checkpoint 7 ERERERERERERERERERERERERERERERERERERERERERE=\n"
)
# sha256sum msg
TEXT_SHA256 = "0ac57cedfb53055367a3f4ba5f171b22287b8e72375e27b4930ccfb32a682b1a"
NOTE = (
    TEXT
    + "\n— hung.le UzDdEiydLra9d3hU1StlH59TiHP7aiLKnNHaQN3lWoDDe05L59WOdYOrlTClbvuChVnL+mmxmmMvvIzDAXhTZqQtVQ8=\n"
)
STATEMENT = SignOff(
    origin="clearance.test/log",
    item="itm_kat",
    revision=2,
    manifest="ab" * 32,
    decision=DecisionKind.APPROVE_WITH_RECOMMENDATIONS,
    role="unit_head",
    stage="unit_review",
    signer="hung.le",
    time="2026-03-01T08:30:00.000000Z",
    checkpoint_size=7,
    checkpoint_root=b"\x11" * 32,
)


def test_the_statement_text_is_the_known_bytes() -> None:
    import hashlib

    assert STATEMENT.text() == TEXT
    assert hashlib.sha256(TEXT.encode()).hexdigest() == TEXT_SHA256
    assert parse_statement(TEXT) == STATEMENT


def test_the_signed_note_is_the_known_note() -> None:
    signer = Signer("hung.le", SEED)
    assert signer.verifier.public_key == PUBLIC
    assert signer.key_id == KEY_ID
    assert sign_note(STATEMENT.text(), [signer]) == NOTE


def test_the_known_note_verifies_and_one_changed_field_does_not() -> None:
    vkey = Verifier("hung.le", PUBLIC)
    assert verify_statement(NOTE, parse_vkey(vkey.vkey)) == STATEMENT
    for field, value in (("decision approve_with_recommendations", "decision approve"),
                         ("stage unit_review", "stage leadership_release"),
                         ("revision 2", "revision 3")):  # fmt: skip
        with pytest.raises((VerificationError, BadInput)):
            verify_statement(NOTE.replace(field, value), vkey)
