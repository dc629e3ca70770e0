"""The tlog-witness ``add-checkpoint`` request body (c2sp.org/tlog-witness), both ways: the log
formats it, the witness parses it. Standard library only.

``old <size>\\n``, zero to 63 base64 consistency-proof lines, an empty line, the signed checkpoint.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from clearance.auditlog.note import b64decode_strict
from clearance.errors import BadInput

MAX_PROOF_LINES = 63
MAX_REQUEST_BYTES = 64 * 1024
#: the content type of a 409 answer, whose body is the size the witness holds
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True, slots=True)
class Request:
    old_size: int
    proof: tuple[bytes, ...]
    note: str


def _decimal(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise BadInput(f"{what} {text[:30]!r} is not a decimal number without leading zeroes")
    if len(text) > 19:
        raise BadInput(f"{what} {text[:30]!r} is too large")
    return int(text)


def parse_request(body: bytes) -> Request:
    """Parse an add-checkpoint body; raise BadInput saying what is wrong."""
    if len(body) > MAX_REQUEST_BYTES:
        raise BadInput(f"the request has {len(body)} bytes, more than {MAX_REQUEST_BYTES}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("the request is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise BadInput("the request has no empty line before the checkpoint")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old "):
        raise BadInput(f"the first line must be 'old <size>', got {first[:40]!r}")
    old_size = _decimal(first[4:], "old size")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise BadInput(f"{len(proof_lines)} consistency proof lines, at most {MAX_PROOF_LINES}")
    proof = []
    for number, line in enumerate(proof_lines, 1):
        digest = b64decode_strict(line, f"proof line {number}")
        if len(digest) != 32:
            raise BadInput(f"proof line {number} holds {len(digest)} bytes, want 32")
        proof.append(digest)
    return Request(old_size, tuple(proof), note)


def format_request(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The add-checkpoint body a log sends (the inverse of :func:`parse_request`)."""
    lines = [f"old {old_size}"] + [base64.b64encode(p).decode("ascii") for p in proof]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")
