"""C2SP tlog-cosignature v1 (Ed25519): known answers computed outside this code, and refusals."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearance.auditlog.cosignature import (
    Cosigner,
    CosignerKey,
    parse_cosigner_skey,
    parse_cosigner_vkey,
    signed_message,
    verified_cosignatures,
)
from clearance.auditlog.note import Signer, split
from clearance.auditlog.note import sign as sign_note
from clearance.errors import BadInput, VerificationError

SEED = bytes(range(32))
NAME = "witness.example/w1"
BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
TIME = 1679315147
# The seed's public key, its cosignature/v1 key id and the Ed25519 signature, computed with
# OpenSSL (key.der = 302e020100300506032b657004220420 || seed 00..1f):
#   openssl pkey -inform DER -in key.der -out key.pem
#   openssl pkey -in key.pem -pubout -outform DER | tail -c 32 | xxd -p -c 64
#   (printf 'witness.example/w1\n\x04'; openssl pkey -in key.pem -pubout -outform DER \
#     | tail -c 32) | sha256sum | cut -c1-8
#   printf 'cosignature/v1\ntime 1679315147\n%s' "$BODY" > msg
#   openssl pkeyutl -sign -rawin -inkey key.pem -in msg | xxd -p -c 128
PUBLIC = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
KEY_ID = "e75f6532"
SIGNATURE = (
    "06e4436b304b55a736344f98f888db8d039c5cb7c5f42483655508a12f37ac4d"
    "67159b1513c622595e8d82bee557c1fa6dda014063ff97bddeb83310f64f9b05"
)


def test_the_signed_message_is_header_time_then_body() -> None:
    assert signed_message(BODY, TIME) == f"cosignature/v1\ntime {TIME}\n{BODY}".encode()


def test_known_answer_line_key_id_and_vkey() -> None:
    cosigner = Cosigner(NAME, SEED)
    assert cosigner.key.public_key.hex() == PUBLIC
    assert cosigner.key.key_id.hex() == KEY_ID
    blob = bytes.fromhex(KEY_ID) + TIME.to_bytes(8, "big") + bytes.fromhex(SIGNATURE)
    assert cosigner.cosign(BODY, TIME) == f"— {NAME} {base64.b64encode(blob).decode()}\n"
    public_b64 = base64.b64encode(b"\x04" + bytes.fromhex(PUBLIC)).decode()
    assert cosigner.key.vkey == f"{NAME}+{KEY_ID}+{public_b64}"
    assert parse_cosigner_vkey(cosigner.key.vkey) == cosigner.key
    assert parse_cosigner_skey(cosigner.skey) == cosigner


def _note(body: str = BODY) -> str:
    return sign_note(body, [Signer("example.com/behind-the-sofa", bytes(32))])


def test_a_cosigned_note_verifies_and_the_log_signature_still_opens() -> None:
    cosigner = Cosigner(NAME, SEED)
    note = _note() + cosigner.cosign(BODY, TIME)
    [found] = verified_cosignatures(note, [cosigner.key])
    assert (found.name, found.timestamp) == (NAME, TIME)


@pytest.mark.parametrize(
    "tamper",
    ["body", "time", "signature"],
)
def test_an_altered_cosignature_is_refused(tamper: str) -> None:
    cosigner = Cosigner(NAME, SEED)
    line = cosigner.cosign(BODY, TIME)
    _, [sig] = split(_note() + line)[0], split(_note() + line)[1][-1:]
    blob = bytearray(sig.key_id + sig.signature)
    body = BODY
    if tamper == "body":
        body = BODY.replace("20852163", "20852164")
    elif tamper == "time":
        blob[4 + 7] ^= 1
    else:
        blob[-1] ^= 1
    forged = f"— {NAME} {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(VerificationError):
        verified_cosignatures(_note(body) + forged, [cosigner.key])


def test_lines_by_other_keys_are_ignored() -> None:
    other = Cosigner("witness.example/w2", bytes(32))
    note = _note() + other.cosign(BODY, TIME)
    assert verified_cosignatures(note, [Cosigner(NAME, SEED).key]) == []


def test_a_signed_note_key_is_not_a_cosignature_key() -> None:
    # same seed and name: type 01 and type 04 key ids differ, so one cannot stand for the other
    note_key = Signer(NAME, SEED).verifier
    assert note_key.key_id != Cosigner(NAME, SEED).key.key_id
    with pytest.raises(BadInput, match="type 04"):
        parse_cosigner_vkey(note_key.vkey)


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "w+e75f6532",
        "w+E75F6532+" + base64.b64encode(b"\x04" + bytes(32)).decode(),
        "w+00000000+" + base64.b64encode(b"\x04" + bytes(32)).decode(),
        "w+e75f6532+" + base64.b64encode(b"\x04" + bytes(31)).decode(),
    ],
)
def test_malformed_witness_vkeys_are_refused(vkey: str) -> None:
    with pytest.raises(BadInput):
        parse_cosigner_vkey(vkey)


def test_a_key_too_short_after_the_id_is_refused() -> None:
    key = CosignerKey(NAME, bytes.fromhex(PUBLIC))
    short = f"— {NAME} {base64.b64encode(key.key_id + bytes(40)).decode()}\n"
    with pytest.raises(VerificationError, match="want 72"):
        verified_cosignatures(_note() + short, [key])


@given(st.integers(min_value=0, max_value=(1 << 63) - 1), st.integers(1, 10**9))
def test_cosign_then_verify_round_trips(timestamp: int, size: int) -> None:
    body = f"log.example/x\n{size}\n{base64.b64encode(bytes(32)).decode()}\n"
    cosigner = Cosigner(NAME, SEED)
    [found] = verified_cosignatures(_note(body) + cosigner.cosign(body, timestamp), [cosigner.key])
    assert found.timestamp == timestamp
