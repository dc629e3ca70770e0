"""C2SP tlog-cosignature v1 with Ed25519 (c2sp.org/tlog-cosignature): a witness's statement that,
as of a time, the largest consistent tree it has seen for a log has this root.

A cosignature is a note signature line ``— <name> base64(key id || timestamp || signature)``
over the checkpoint body, where

- key id = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4],
- timestamp = 8 bytes, big-endian POSIX seconds (at most 2^63 - 1),
- signature = Ed25519 over ``"cosignature/v1\\ntime <timestamp>\\n" || checkpoint body``.

Keys are written as vkeys with signature type 0x04: ``<name>+<hex key id>+base64(0x04 || pub)``.
Only ``cryptography`` is needed, so the offline verifier imports this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clearance.auditlog.note import (
    Signature,
    b64decode_strict,
    b64encode,
    check_text,
    is_valid_name,
    split,
)
from clearance.errors import BadInput, VerificationError

ALG_COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1"
MAX_TIMESTAMP = (1 << 63) - 1
_BLOB = 8 + 64


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x04 || public key)[:4]."""
    raw = name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key
    return hashlib.sha256(raw).digest()[:4]


def signed_message(body: str, timestamp: int) -> bytes:
    """The bytes a v1 cosignature signs: header line, time line, then the checkpoint body."""
    check_text(body)
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise BadInput(f"cosignature timestamp {timestamp} is outside 0..2^63-1")
    return f"{HEADER}\ntime {timestamp}\n{body}".encode()


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A verified cosignature: who signed, and when they say they saw the tree."""

    name: str
    timestamp: int
    line: str


@dataclass(frozen=True, slots=True)
class CosignerKey:
    """A witness's named Ed25519 public key for cosignature/v1."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        if not is_valid_name(self.name):
            raise BadInput(f"witness name {self.name!r} is empty or has a space or '+'")
        if len(self.public_key) != 32:
            raise BadInput(f"Ed25519 public key of {len(self.public_key)} bytes, want 32")

    @property
    def key_id(self) -> bytes:
        return cosigner_key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        blob = b64encode(bytes([ALG_COSIGNATURE_V1]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    def matches(self, signature: Signature) -> bool:
        return signature.name == self.name and signature.key_id == self.key_id

    def verify(self, body: str, signature: Signature) -> Cosignature:
        """Check one signature line of ours over ``body``; raise VerificationError if it fails."""
        if not self.matches(signature):
            raise VerificationError(
                f"the signature is not by witness {self.name}",
                code="cosignature.other_witness",
                params={"witness": self.name},
            )
        if len(signature.signature) != _BLOB:
            raise VerificationError(
                f"cosignature by {self.name} has {len(signature.signature)} bytes after the key "
                f"id, want {_BLOB} (timestamp and signature)",
                code="cosignature.length",
                params={"witness": self.name, "length": len(signature.signature), "want": _BLOB},
            )
        timestamp = int.from_bytes(signature.signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            raise VerificationError(
                f"cosignature by {self.name} has a timestamp above 2^63-1",
                code="cosignature.timestamp",
                params={"witness": self.name},
            )
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                signature.signature[8:], signed_message(body, timestamp)
            )
        except (InvalidSignature, ValueError):
            raise VerificationError(
                f"the cosignature by witness {self.name} does not verify; the checkpoint or the "
                "cosignature was altered",
                code="cosignature.invalid",
                params={"witness": self.name},
            ) from None
        return Cosignature(self.name, timestamp, signature.line())


@dataclass(frozen=True, slots=True)
class Cosigner:
    """A witness's private key (the 32-byte seed) and name."""

    name: str
    seed: bytes

    def __post_init__(self) -> None:
        if not is_valid_name(self.name):
            raise BadInput(f"witness name {self.name!r} is empty or has a space or '+'")
        if len(self.seed) != 32:
            raise BadInput(f"Ed25519 seed of {len(self.seed)} bytes, want 32")

    def __repr__(self) -> str:
        return f"Cosigner(name={self.name!r}, seed=<hidden>)"

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        key = Ed25519PrivateKey.generate()
        return cls(name, key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))

    @property
    def key(self) -> CosignerKey:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return CosignerKey(self.name, public.public_bytes(Encoding.Raw, PublicFormat.Raw))

    @property
    def skey(self) -> str:
        key = self.key
        blob = b64encode(bytes([ALG_COSIGNATURE_V1]) + self.seed)
        return f"PRIVATE+KEY+{self.name}+{key.key_id.hex()}+{blob}"

    def cosign(self, body: str, timestamp: int) -> str:
        """The signature line (ending in a newline) cosigning checkpoint ``body`` at ``timestamp``."""
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(
            signed_message(body, timestamp)
        )
        blob = self.key.key_id + timestamp.to_bytes(8, "big") + signature
        return Signature(self.name, blob[:4], blob[4:]).line()


def _split_key(text: str, what: str) -> tuple[str, str, bytes]:
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise BadInput(f"a witness {what} has 3 '+'-separated fields, got {len(parts)}")
    name, hex_id, blob64 = parts
    if len(hex_id) != 8 or any(c not in "0123456789abcdef" for c in hex_id):
        raise BadInput(f"witness {what} key ID {hex_id!r} is not 8 lowercase hex digits")
    raw = b64decode_strict(blob64, f"witness {what}")
    if len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
        raise BadInput(
            f"witness {what} is {len(raw)} bytes of type {raw[:1].hex()}, want 33 of type 04 "
            "(cosignature/v1)"
        )
    return name, hex_id, raw[1:]


def parse_cosigner_vkey(vkey: str) -> CosignerKey:
    """Parse ``<name>+<hex key id>+base64(0x04 || pub)``; the key ID must match the key."""
    name, hex_id, public = _split_key(vkey, "vkey")
    key = CosignerKey(name, public)
    if key.key_id.hex() != hex_id:
        raise BadInput(f"witness vkey key ID {hex_id} does not match its key ({key.key_id.hex()})")
    return key


def parse_cosigner_skey(skey: str) -> Cosigner:
    text = skey.strip()
    if not text.startswith("PRIVATE+KEY+"):
        raise BadInput("a witness private key has the form PRIVATE+KEY+<name>+<id>+<key>")
    name, hex_id, seed = _split_key(text[len("PRIVATE+KEY+") :], "private key")
    cosigner = Cosigner(name, seed)
    if cosigner.key.key_id.hex() != hex_id:
        raise BadInput(f"witness private key ID {hex_id} does not match its key")
    return cosigner


def verified_cosignatures(note: str, keys: Iterable[CosignerKey]) -> list[Cosignature]:
    """The valid cosignatures in signed note ``note`` by ``keys`` (one per witness, newest).

    Lines by other keys are ignored; a line by a known key that does not verify raises
    VerificationError (the checkpoint or the cosignature was altered).
    """
    body, signatures = split(note)
    found: dict[str, Cosignature] = {}
    known = list(keys)
    for signature in signatures:
        for key in known:
            if key.matches(signature):
                cosignature = key.verify(body, signature)
                best = found.get(key.name)
                if best is None or cosignature.timestamp > best.timestamp:
                    found[key.name] = cosignature
    return list(found.values())
