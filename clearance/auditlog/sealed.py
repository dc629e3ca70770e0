"""Private keys sealed under a password: scrypt (N=2^15, r=8, p=1) then AES-256-GCM.

The sealed form is one JSON object; the associated data binds the public vkey, so a sealed blob
cannot be moved onto another key record. A wrong password and a tampered blob both fail the same
way (AES-GCM authentication).
"""

from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from clearance.auditlog.note import b64decode_strict, b64encode
from clearance.errors import BadInput, VerificationError

FORMAT = "clearance-sealed-key/v1"
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    if not password:
        raise BadInput(
            "an empty password cannot protect a private key; choose one", code="key.empty_password"
        )
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password.encode("utf-8"))


def seal(secret: bytes, password: str, *, context: str) -> str:
    """Encrypt ``secret`` under ``password``; ``context`` (the vkey) is authenticated."""
    salt, nonce = os.urandom(16), os.urandom(12)
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    ciphertext = AESGCM(key).encrypt(nonce, secret, context.encode("utf-8"))
    return json.dumps(
        {
            "format": FORMAT,
            "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "salt": b64encode(salt),
            "nonce": b64encode(nonce),
            "context": context,
            "ciphertext": b64encode(ciphertext),
        },
        sort_keys=True,
    )


def sealed_context(sealed: str) -> str:
    try:
        data = json.loads(sealed)
        context = data["context"]
    except (ValueError, KeyError, TypeError):
        raise BadInput(f"sealed key is not a {FORMAT} object") from None
    if not isinstance(context, str):
        raise BadInput("sealed key context must be a string")
    return context


def unseal(sealed: str, password: str) -> bytes:
    """Decrypt; raise VerificationError for a wrong password or a tampered blob."""
    try:
        data = json.loads(sealed)
        if data["format"] != FORMAT or data["kdf"]["name"] != "scrypt":
            raise BadInput(f"sealed key format is {data.get('format')!r}, want {FORMAT}")
        n, r, p = int(data["kdf"]["n"]), int(data["kdf"]["r"]), int(data["kdf"]["p"])
        salt = b64decode_strict(data["salt"], "salt")
        nonce = b64decode_strict(data["nonce"], "nonce")
        ciphertext = b64decode_strict(data["ciphertext"], "ciphertext")
        context = str(data["context"])
    except (ValueError, KeyError, TypeError):
        raise BadInput(f"sealed key is not a well-formed {FORMAT} object") from None
    if not (2**14 <= n <= 2**20 and r == 8 and 1 <= p <= 4):
        raise BadInput(f"sealed key uses scrypt parameters n={n} r={r} p={p}, outside the range")
    key = _derive(password, salt, n, r, p)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, context.encode("utf-8"))
    except InvalidTag:
        raise VerificationError(
            "wrong password, or the sealed key was altered", code="key.unseal_failed"
        ) from None
