"""C2SP signed notes v1.0.0 (c2sp.org/signed-note) with Ed25519 keys.

A note is UTF-8 text ending in a newline, a blank line, then signature lines
``— <name> <base64(key id || signature)>``. Key ID = SHA-256(name || 0x0A || 0x01 || pubkey)[:4].
Opening is strict: a malformed note is refused; signatures by unknown keys are ignored; a
signature by a known key that does not verify rejects the note; no verified signature rejects it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clearance.errors import BadInput, VerificationError

ALG_ED25519 = 0x01
SIG_PREFIX = "— "
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 1 << 20
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f]")


def b64decode_strict(text: str, what: str) -> bytes:
    """Standard base64 with padding, refusing anything that does not re-encode identically."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BadInput(f"{what} is not valid base64: {text[:40]!r}") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise BadInput(f"{what} is not canonical base64: {text[:40]!r}")
    return raw


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def is_valid_name(name: str) -> bool:
    # \s matches exactly the characters for which str.isspace() is true
    return bool(name) and "+" not in name and not _SPACE.search(name)


_SPACE = re.compile(r"\s")


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 key (c2sp.org/signed-note)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


@dataclass(frozen=True, slots=True)
class Verifier:
    """A named Ed25519 public key, as written in a vkey."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        if not is_valid_name(self.name):
            raise BadInput(f"key name {self.name!r} is empty or has a space or '+'; pick another")
        if len(self.public_key) != 32:
            raise BadInput(f"Ed25519 public key of {len(self.public_key)} bytes, want 32")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        return format_vkey(self.name, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class Signer:
    """A named Ed25519 private key (the 32-byte seed)."""

    name: str
    seed: bytes

    def __post_init__(self) -> None:
        if not is_valid_name(self.name):
            raise BadInput(f"key name {self.name!r} is empty or has a space or '+'; pick another")
        if len(self.seed) != 32:
            raise BadInput(f"Ed25519 seed of {len(self.seed)} bytes, want 32")

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, seed=<hidden>)"

    @classmethod
    def generate(cls, name: str) -> Signer:
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        key = Ed25519PrivateKey.generate()
        seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(name, seed)

    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def key_id(self) -> bytes:
        return self.verifier.key_id

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, _public_key(self.seed))

    def sign(self, message: bytes) -> bytes:
        return self._key().sign(message)

    @property
    def skey(self) -> str:
        kid = key_id(self.name, self.verifier.public_key).hex()
        return f"PRIVATE+KEY+{self.name}+{kid}+{b64encode(bytes([ALG_ED25519]) + self.seed)}"


def _public_key(seed: bytes) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.from_private_bytes(seed)
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


class NoteSigner(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


class LogSigner(NoteSigner, Protocol):
    """A note signer that also names its public key (a local key or the signing helper)."""

    @property
    def verifier(self) -> Verifier: ...


class PreparedSigner:
    """A signer with its key object and key ID computed once (for the log's hot path)."""

    def __init__(self, signer: Signer) -> None:
        self.name = signer.name
        self.key_id = signer.verifier.key_id
        self._key = Ed25519PrivateKey.from_private_bytes(signer.seed)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def format_vkey(name: str, public_key: bytes) -> str:
    kid = key_id(name, public_key).hex()
    return f"{name}+{kid}+{b64encode(bytes([ALG_ED25519]) + public_key)}"


def parse_vkey(vkey: str) -> Verifier:
    """Parse ``<name>+<hex key id>+<base64(0x01 || pubkey)>``; the key ID must match."""
    text = vkey.strip()
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise BadInput(f"a vkey has 3 '+'-separated fields, got {len(parts)} in {text[:60]!r}")
    name, hex_id, key64 = parts
    if not is_valid_name(name):
        raise BadInput(f"vkey name {name!r} is empty or has a space")
    if len(hex_id) != 8 or any(c not in "0123456789abcdef" for c in hex_id):
        raise BadInput(f"vkey key ID {hex_id!r} is not 8 lowercase hex digits")
    raw = b64decode_strict(key64, "vkey key")
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise BadInput(f"vkey key is {len(raw)} bytes of algorithm {raw[:1].hex()}, want 33 of 01")
    verifier = Verifier(name, raw[1:])
    if verifier.key_id.hex() != hex_id:
        raise BadInput(f"vkey key ID {hex_id} does not match its key ({verifier.key_id.hex()})")
    return verifier


def parse_skey(skey: str) -> Signer:
    text = skey.strip()
    parts = text.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise BadInput("a private key has the form PRIVATE+KEY+<name>+<id>+<key>")
    _, _, name, hex_id, key64 = parts
    raw = b64decode_strict(key64, "private key")
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise BadInput(f"private key is {len(raw)} bytes, want 33 starting with 01")
    signer = Signer(name, raw[1:])
    if signer.verifier.key_id.hex() != hex_id:
        raise BadInput(f"private key ID {hex_id} does not match its key")
    return signer


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{SIG_PREFIX}{self.name} {b64encode(self.key_id + self.signature)}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """An opened note: its text and the signatures that verified."""

    text: str
    verified: tuple[Signature, ...]
    unverified: tuple[Signature, ...]


def check_text(text: str) -> None:
    if not text or not text.endswith("\n"):
        raise BadInput("note text must be non-empty and end in a newline")
    bad = _CONTROL.search(text)
    if bad is not None:
        raise BadInput(f"note text holds the control character {bad.group()!r}")


def sign(text: str, signers: Iterable[NoteSigner]) -> str:
    """Return the signed note: ``text``, a blank line, one signature line per signer."""
    check_text(text)
    message = text.encode("utf-8")
    lines = [Signature(s.name, s.key_id, s.sign(message)).line() for s in signers]
    if not lines:
        raise BadInput("a note needs at least one signer")
    return text + "\n" + "".join(lines)


def split(note: str) -> tuple[str, list[Signature]]:
    """Parse a note into its text and signature lines without verifying anything."""
    if len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise BadInput(f"malformed note: larger than {MAX_NOTE_BYTES} bytes")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise BadInput("malformed note: no blank line before the signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    try:
        check_text(text)
    except BadInput as exc:
        raise BadInput(f"malformed note: {exc}") from None
    if not block or not block.endswith("\n"):
        raise BadInput("malformed note: the signature block is empty or lacks its final newline")
    signatures: list[Signature] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise BadInput(f"malformed note: line {line[:40]!r} is not a signature line")
        name, sep, b64 = line[len(SIG_PREFIX) :].partition(" ")
        if not sep or not is_valid_name(name) or not b64:
            raise BadInput(f"malformed note: bad signature line {line[:60]!r}")
        try:
            raw = b64decode_strict(b64, "signature")
        except BadInput as exc:
            raise BadInput(f"malformed note: {exc}") from None
        if len(raw) < 5:
            raise BadInput("malformed note: signature shorter than 5 bytes")
        signatures.append(Signature(name, raw[:4], raw[4:]))
        if len(signatures) > MAX_SIGNATURES:
            raise BadInput(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return text, signatures


def open_note(note: str, known: Iterable[Verifier]) -> Note:
    """Parse and verify ``note`` against ``known`` keys (see module docstring for the rules).

    Raises ``BadInput`` for a malformed note and ``VerificationError`` for a bad or missing
    signature.
    """
    text, signatures = split(note)
    keys = {(v.name, v.key_id): v for v in known}
    message = text.encode("utf-8")
    verified: list[Signature] = []
    unverified: list[Signature] = []
    seen: set[tuple[str, bytes]] = set()
    for sig in signatures:
        verifier = keys.get((sig.name, sig.key_id))
        if verifier is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        if (sig.name, sig.key_id) in seen:
            continue
        seen.add((sig.name, sig.key_id))
        if len(sig.signature) != 64 or not verifier.verify(message, sig.signature):
            raise VerificationError(
                f"invalid signature for key {sig.name}+{sig.key_id.hex()}; the note was altered",
                code="note.signature_invalid",
                params={"key": f"{sig.name}+{sig.key_id.hex()}"},
            )
        verified.append(sig)
    if not verified:
        raise VerificationError(
            "note has no verifiable signatures by a trusted key", code="note.untrusted"
        )
    return Note(text, tuple(verified), tuple(unverified))
