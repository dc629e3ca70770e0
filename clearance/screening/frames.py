"""Length-prefixed frames between the screening parent, its fork server and their children."""

from __future__ import annotations

import hashlib
import socket
import struct
from typing import IO

_HEADER = struct.Struct(">cI")


def write_frame(out: IO[bytes] | socket.socket, kind: bytes, payload: bytes) -> None:
    """Write one ``kind`` + length-prefixed frame."""
    frame = _HEADER.pack(kind, len(payload)) + payload
    if isinstance(out, socket.socket):
        out.sendall(frame)
    else:
        out.write(frame)
        out.flush()


def _read_exact(source: IO[bytes] | socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = source.recv(min(size, 1 << 20)) if isinstance(source, socket.socket) else (
            source.read(size)
        )  # fmt: skip
        if not chunk:
            raise EOFError("the peer closed the connection mid-frame")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(source: IO[bytes] | socket.socket) -> tuple[bytes, bytes]:
    """Read one frame; :class:`EOFError` when the peer has gone."""
    kind, size = _HEADER.unpack(_read_exact(source, _HEADER.size))
    return kind, _read_exact(source, size)


def rules_digest(pickled: bytes) -> str:
    return hashlib.sha256(pickled).hexdigest()
