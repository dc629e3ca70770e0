"""The log-key signing helper: a small process that holds the log's private key so that the
database host (web, workers) never does (``clearance keys serve-signer``).

It listens on a Unix socket (run it as another user, or on another host with the socket
forwarded over SSH) and signs **only checkpoint bodies of its own origin** — never arbitrary
messages — and never a tree smaller than the largest it has signed, so someone who controls
the database cannot truncate the log and have the shorter history re-signed. Every checkpoint it
signs is appended to its journal (``size root time`` per line) for the auditor. A checkpoint of
the same size with another root is signed (a database transaction can roll back after signing)
but journalled.

Wire format, both ways: a 4-byte big-endian length, then the payload. Requests: ``K`` (answer the
vkey) or ``S`` + the message to sign. Answers: ``+`` + data, or ``-`` + a reason.
"""

from __future__ import annotations

import io
import json
import os
import socketserver
import struct
import threading
import time
from pathlib import Path
from typing import BinaryIO

from clearance.auditlog.checkpoint import parse_body
from clearance.auditlog.note import Signer, b64encode
from clearance.errors import BadInput

MAX_MESSAGE = 4096
_LENGTH = struct.Struct(">I")


def read_frame(rfile: BinaryIO | io.BufferedIOBase) -> bytes | None:
    """Read one frame from ``rfile`` (None at end of stream)."""
    head = rfile.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    if length > MAX_MESSAGE:
        raise BadInput(f"a signing request of {length} bytes, at most {MAX_MESSAGE}")
    data = rfile.read(length)
    if len(data) != length:
        return None
    return data


def frame(payload: bytes) -> bytes:
    return _LENGTH.pack(len(payload)) + payload


class SigningState:
    """The largest size signed, kept in ``state.json`` (written atomically) and a journal."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = folder / "state.json"
        self.journal = folder / "journal"
        self.lock = threading.Lock()
        self.size = 0
        if self.path.exists():
            self.size = int(json.loads(self.path.read_text(encoding="utf-8"))["size"])

    def record(self, size: int, root: bytes) -> None:
        with self.journal.open("a", encoding="utf-8") as handle:
            handle.write(f"{size} {b64encode(root)} {int(time.time())}\n")
            handle.flush()
            os.fsync(handle.fileno())
        if size > self.size:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"size": size}), encoding="utf-8")
            with tmp.open("rb") as handle:
                os.fsync(handle.fileno())
            tmp.replace(self.path)
            self.size = size


class SigningHelper:
    """The signing rule, apart from the socket."""

    def __init__(self, signer: Signer, state: SigningState) -> None:
        self.signer = signer
        self.state = state

    def answer(self, request: bytes) -> bytes:
        if request == b"K":
            return b"+" + self.signer.verifier.vkey.encode()
        if not request.startswith(b"S"):
            return b"-unknown request"
        message = request[1:]
        try:
            checkpoint = parse_body(message.decode("utf-8"))
        except (UnicodeDecodeError, BadInput) as exc:
            return f"-only checkpoint bodies are signed ({exc})".encode()
        if checkpoint.origin != self.signer.name:
            return (
                f"-checkpoint of origin {checkpoint.origin!r}, this key signs only its own".encode()
            )
        with self.state.lock:
            if checkpoint.size < self.state.size:
                return (
                    f"-refused: size {checkpoint.size} is below {self.state.size}, the largest "
                    "signed; a log never shrinks"
                ).encode()
            self.state.record(checkpoint.size, checkpoint.root)
        return b"+" + self.signer.sign(message)


class _Handler(socketserver.StreamRequestHandler):
    server: SigningServer

    def handle(self) -> None:
        while True:
            try:
                request = read_frame(self.rfile)
            except BadInput as exc:
                self.wfile.write(frame(f"-{exc}".encode()))
                return
            if request is None:
                return
            self.wfile.write(frame(self.server.helper.answer(request)))


class SigningServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, helper: SigningHelper) -> None:
        path.unlink(missing_ok=True)
        old = os.umask(0o177)  # the socket: owner only (grant the log's group explicitly)
        try:
            super().__init__(str(path), _Handler)
        finally:
            os.umask(old)
        self.helper = helper
