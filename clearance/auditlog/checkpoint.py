"""C2SP tlog-checkpoint v1.0.0 bodies, signed as C2SP notes.

Body: ``<origin>\\n<decimal size>\\n<base64 root>\\n``. Clearance writes and accepts no extension
lines. The log key's name is the origin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from clearance.auditlog.note import (
    Note,
    NoteSigner,
    Verifier,
    b64decode_strict,
    b64encode,
    open_note,
)
from clearance.auditlog.note import sign as sign_note
from clearance.auditlog.rfc6962 import HASH_SIZE
from clearance.errors import BadInput, VerificationError

MAX_SIZE = (1 << 63) - 1
_CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not self.origin or _CONTROL.search(self.origin):
            raise BadInput(f"checkpoint origin {self.origin!r} is empty or has control characters")
        if not 0 <= self.size <= MAX_SIZE:
            raise BadInput(f"checkpoint size {self.size} is out of range")
        if len(self.root) != HASH_SIZE:
            raise BadInput(f"checkpoint root of {len(self.root)} bytes, want {HASH_SIZE}")

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{b64encode(self.root)}\n"

    def sign(self, signers: Iterable[NoteSigner]) -> str:
        return sign_note(self.body(), signers)


def parse_body(text: str) -> Checkpoint:
    if not text.endswith("\n"):
        raise BadInput("checkpoint body must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) != 3:
        raise BadInput(
            f"checkpoint body has {len(lines)} lines, want 3 (origin, size, root; no extensions)"
        )
    origin, size_text, root_text = lines
    if (
        not size_text.isascii()
        or not size_text.isdigit()
        or (len(size_text) > 1 and size_text[0] == "0")
    ):
        raise BadInput(f"checkpoint size {size_text!r} is not a canonical decimal number")
    if len(size_text) > 19:
        raise BadInput(f"checkpoint size {size_text!r} is too large")
    root = b64decode_strict(root_text, "checkpoint root")
    return Checkpoint(origin, int(size_text), root)


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    note: Note
    text: str


def open_checkpoint(
    text: str, known: Iterable[Verifier], *, origin: str | None = None
) -> SignedCheckpoint:
    """Verify a signed checkpoint against ``known`` keys; check its origin if given."""
    note = open_note(text, known)
    checkpoint = parse_body(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(
            f"checkpoint origin is {checkpoint.origin!r}, want {origin!r}",
            code="checkpoint.origin",
            params={"origin": checkpoint.origin, "want": origin},
        )
    return SignedCheckpoint(checkpoint, note, text)
