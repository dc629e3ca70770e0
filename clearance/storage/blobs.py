"""Content-addressed blob store: files named by their SHA-256, never overwritten.

Writes go to a temporary file in the store, are fsync'd, then renamed into place (and the folder
fsync'd), so a crash leaves either the whole blob or nothing. The size limit is enforced while
streaming: an oversized upload is refused before it is all read, and nothing is kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from clearance.errors import BadInput, NotFound, VerificationError

CHUNK = 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class BlobRef:
    sha256: str
    size: int


def _check_digest(sha256: str) -> None:
    if not _HEX64.match(sha256):
        raise BadInput(f"a blob name must be 64 lowercase hex digits, found {sha256!r}")


class BlobStore:
    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path(self, sha256: str) -> Path:
        _check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_bytes(self, data: bytes, *, name: str = "the file") -> BlobRef:
        return self.put_chunks([data], name=name)

    def put_stream(self, stream: BinaryIO, *, name: str = "the file") -> BlobRef:
        return self.put_chunks(iter(lambda: stream.read(CHUNK), b""), name=name)

    def put_chunks(self, chunks: Iterable[bytes], *, name: str = "the file") -> BlobRef:
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise BadInput(
                            f"{name} is larger than the limit of {self.max_bytes:,} bytes; "
                            "split it or ask an administrator to raise CLEARANCE_MAX_UPLOAD_BYTES"
                        )
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            ref = BlobRef(digest.hexdigest(), size)
            final = self.path(ref.sha256)
            if final.exists():
                tmp.unlink()
                return ref
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp.chmod(0o444)
            # link() refuses to replace an existing file: a blob is never overwritten.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, final)
            tmp.unlink()
            _fsync_dir(final.parent)
            return ref
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def read(self, sha256: str) -> bytes:
        """Return the blob's bytes after checking they still hash to their name."""
        path = self.path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"blob {sha256} is missing from the store at {self.root}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise VerificationError(
                f"blob {sha256} no longer matches its hash: the stored bytes were changed"
            )
        return data

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise NotFound(f"blob {sha256} is missing from the store at {self.root}") from None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
