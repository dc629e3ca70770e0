"""Content-addressed blob stores: blobs named by their SHA-256, never overwritten, and every read
checked against that name.

One small interface, ``BlobStore``, two implementations:

- ``FolderBlobStore`` (the embedded default): files under ``CLEARANCE_HOME/blobs``. Writes go to a
  temporary file in the store, are fsync'd, then linked into place (and the folder fsync'd), so a
  crash leaves either the whole blob or nothing.
- ``DatabaseBlobStore`` (the scale path, ``CLEARANCE_BLOB_STORE=database`` on PostgreSQL): the
  blob as rows of ``CHUNK`` bytes in ``blob_chunks`` plus one ``blob_objects`` row, all written in
  one transaction, so web and workers on several machines share nothing but the database.

Both enforce the size limit while streaming (an oversized upload is refused before it is all
read, and nothing is kept), and both ``open`` a ``CheckedReader``: it re-hashes while streaming
and holds back the final chunk until the digest matches, so a changed blob is never returned
whole; ``read`` and ``verify`` go through it too. There is no unchecked read path.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from clearance.errors import BadInput, ConfigurationError, NotFound, VerificationError
from clearance.settings import BlobStoreKind, Settings
from clearance.storage.db import Base

#: bytes per streamed chunk (and per ``blob_chunks`` row)
CHUNK = 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class BlobRef:
    sha256: str
    size: int


class BlobIntegrityError(VerificationError):
    """A stored blob no longer hashes to its name: its bytes were changed or damaged."""


def _check_digest(sha256: str) -> None:
    if not isinstance(sha256, str) or not _HEX64.match(sha256):
        raise BadInput(f"a blob name must be 64 lowercase hex digits, found {sha256!r}")


def _tampered(sha256: str, where: str) -> BlobIntegrityError:
    return BlobIntegrityError(
        f"blob {sha256} no longer matches its hash: the stored bytes in {where} were changed; "
        "it is not served (restore it from a backup)",
        code="blob.altered",
        params={"blob": sha256},
    )


class BlobStore(Protocol):
    """What the product needs from a blob store; every reader it hands out is hash-checked."""

    max_bytes: int

    def put_chunks(self, chunks: Iterable[bytes], *, name: str = "the file") -> BlobRef:
        """Store the concatenated chunks (refused past ``max_bytes``); returns its name."""
        ...

    def put_stream(self, stream: BinaryIO, *, name: str = "the file") -> BlobRef: ...

    def put_bytes(self, data: bytes, *, name: str = "the file") -> BlobRef: ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int:
        """The blob's size in bytes; NotFound when it is not stored."""
        ...

    def open(self, sha256: str) -> CheckedReader:
        """A reader of the blob that raises BlobIntegrityError instead of ending on changed
        bytes; NotFound when it is not stored."""
        ...

    def read(self, sha256: str) -> bytes:
        """The whole blob after checking it still hashes to its name."""
        ...


class CheckedReader(io.RawIOBase):
    """A read-only stream of a blob's chunks that re-hashes while streaming.

    The final chunk is held back until the digest (and size) match: on a mismatch ``read``
    raises ``BlobIntegrityError`` and the reader never reaches its end, so a consumer that
    reads to the end either gets the approved bytes or an error. Iterating yields chunks.
    """

    def __init__(
        self, chunks: Iterator[bytes], sha256: str, size: int, *, where: str, close: object = None
    ) -> None:
        super().__init__()
        self._chunks = chunks
        self._sha256 = sha256
        self._size = size
        self._where = where
        self._digest = hashlib.sha256()
        self._seen = 0
        self._held = b""  # the chunk read ahead: released once the next one (or the end) is known
        self._out = memoryview(b"")
        self._done = False
        self._close = close

    def readable(self) -> bool:
        return True

    def _advance(self) -> bytes:
        """The next chunk that may be released, b"" at a verified end."""
        while True:
            if self._done:
                return b""
            chunk = next(self._chunks, None)
            if chunk is None:
                self._done = True
                if self._seen != self._size or self._digest.hexdigest() != self._sha256:
                    self._held = b""
                    raise _tampered(self._sha256, self._where)
                released, self._held = self._held, b""
                return released
            if not chunk:
                continue
            self._seen += len(chunk)
            if self._seen > self._size:
                self._held = b""
                self._done = True
                raise _tampered(self._sha256, self._where)
            self._digest.update(chunk)
            released, self._held = self._held, bytes(chunk)
            if released:
                return released

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if not self._out:
            self._out = memoryview(self._advance())
            if not self._out:
                return 0
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def chunks(self) -> Iterator[bytes]:
        """The blob chunk by chunk (the last one only after the digest matched)."""
        if self._out:
            rest, self._out = bytes(self._out), memoryview(b"")
            yield rest
        while chunk := self._advance():
            yield chunk

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks()

    def close(self) -> None:
        if not self.closed and callable(self._close):
            self._close()
        super().close()


def verify(store: BlobStore, sha256: str) -> None:
    """Stream the whole blob through its hash check (bounded memory); raises on a change."""
    with store.open(sha256) as reader:
        for _ in reader.chunks():
            pass


def _rechunk(chunks: Iterable[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """The same bytes in pieces of exactly ``size`` (the last one shorter)."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)


def _limited(chunks: Iterable[bytes], max_bytes: int, name: str) -> Iterator[bytes]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise BadInput(
                f"{name} is larger than the limit of {max_bytes:,} bytes; "
                "split it or ask an administrator to raise CLEARANCE_MAX_UPLOAD_BYTES"
            )
        yield chunk


class FolderBlobStore:
    """Blobs as read-only files ``root/ab/cd/abcd…`` (the embedded default)."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path(self, sha256: str) -> Path:
        _check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"blob {sha256} is missing from the store at {self.root}") from None

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
                for chunk in _limited(chunks, self.max_bytes, name):
                    size += len(chunk)
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

    def open(self, sha256: str) -> CheckedReader:
        path = self.path(sha256)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise NotFound(f"blob {sha256} is missing from the store at {self.root}") from None
        # The expected size is the name's, not the file's: a blob is only ever whole, so any
        # other length is a change; the hash decides either way.
        size = os.fstat(handle.fileno()).st_size
        return CheckedReader(
            iter(lambda: handle.read(CHUNK), b""),
            sha256,
            size,
            where=f"the folder {self.root}",
            close=handle.close,
        )

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as reader:
            return b"".join(reader.chunks())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: one row per complete blob: written last, in the same transaction as its chunks
blob_objects = sa.Table(
    "blob_objects",
    Base.metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("chunks", sa.Integer, nullable=False),
)
#: the bytes, ``CHUNK`` per row; ``blob`` is the digest (a random ``incoming-…`` key while the
#: upload streams in, renamed to the digest before commit)
blob_chunks = sa.Table(
    "blob_chunks",
    Base.metadata,
    sa.Column("blob", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)


class _AlreadyStored(Exception):
    """Internal: the blob is already stored; roll the new rows back."""


class DatabaseBlobStore:
    """Blobs as chunked rows in the product's database (the scale path on PostgreSQL).

    An upload streams into rows under a random key inside one transaction; at the end the rows
    are renamed to the digest and the ``blob_objects`` row is inserted, then it commits. A crash
    leaves nothing; the same bytes stored twice (even at once, from two machines) are one blob.
    Reads fetch one chunk per query (bounded memory, no long transaction), hash-checked.
    """

    def __init__(self, engine: Engine, *, max_bytes: int) -> None:
        self.engine = engine
        self.max_bytes = max_bytes

    def _where(self) -> str:
        return f"the database {self.engine.url.render_as_string(hide_password=True)}"

    def _object(self, sha256: str) -> tuple[int, int] | None:
        _check_digest(sha256)
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(blob_objects.c.size, blob_objects.c.chunks).where(
                    blob_objects.c.sha256 == sha256
                )
            ).first()
        return None if row is None else (int(row.size), int(row.chunks))

    def exists(self, sha256: str) -> bool:
        return self._object(sha256) is not None

    def size(self, sha256: str) -> int:
        found = self._object(sha256)
        if found is None:
            raise NotFound(f"blob {sha256} is missing from {self._where()}")
        return found[0]

    def put_bytes(self, data: bytes, *, name: str = "the file") -> BlobRef:
        return self.put_chunks([data], name=name)

    def put_stream(self, stream: BinaryIO, *, name: str = "the file") -> BlobRef:
        return self.put_chunks(iter(lambda: stream.read(CHUNK), b""), name=name)

    def put_chunks(self, chunks: Iterable[bytes], *, name: str = "the file") -> BlobRef:
        key = f"incoming-{uuid.uuid4().hex}"
        digest = hashlib.sha256()
        size = count = 0
        ref: BlobRef | None = None
        try:
            with self.engine.begin() as connection:
                for count, chunk in enumerate(
                    _rechunk(_limited(chunks, self.max_bytes, name)), start=1
                ):
                    size += len(chunk)
                    digest.update(chunk)
                    connection.execute(blob_chunks.insert().values(blob=key, seq=count, data=chunk))
                ref = BlobRef(digest.hexdigest(), size)
                known = connection.execute(
                    sa.select(blob_objects.c.sha256).where(blob_objects.c.sha256 == ref.sha256)
                ).first()
                if known is not None:
                    raise _AlreadyStored  # the rows written under the random key roll back
                connection.execute(
                    blob_chunks.update().where(blob_chunks.c.blob == key).values(blob=ref.sha256)
                )
                connection.execute(
                    blob_objects.insert().values(sha256=ref.sha256, size=size, chunks=count)
                )
        except _AlreadyStored:
            pass
        except IntegrityError:
            # another process stored the same bytes at the same moment: that blob is this one
            if ref is None or not self.exists(ref.sha256):
                raise
        assert ref is not None
        return ref

    def _rows(self, sha256: str, chunks: int) -> Iterator[bytes]:
        for seq in range(1, chunks + 1):
            with self.engine.connect() as connection:
                data = connection.execute(
                    sa.select(blob_chunks.c.data).where(
                        blob_chunks.c.blob == sha256, blob_chunks.c.seq == seq
                    )
                ).scalar()
            if data is None:
                return  # a missing row: the digest check at the end refuses it
            yield bytes(data)

    def open(self, sha256: str) -> CheckedReader:
        found = self._object(sha256)
        if found is None:
            raise NotFound(f"blob {sha256} is missing from {self._where()}")
        size, chunks = found
        return CheckedReader(self._rows(sha256, chunks), sha256, size, where=self._where())

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as reader:
            return b"".join(reader.chunks())


def open_blob_store(settings: Settings, engine: Engine) -> BlobStore:
    """The store ``settings`` ask for: the folder (default) or, with CLEARANCE_BLOB_STORE=database
    on PostgreSQL, the database's chunked rows."""
    if settings.blob_store is BlobStoreKind.DATABASE:
        if engine.dialect.name != "postgresql":
            raise ConfigurationError(
                "CLEARANCE_BLOB_STORE=database needs Clearance on PostgreSQL "
                "(CLEARANCE_DATABASE_URL=postgresql+psycopg://...); on SQLite keep the folder"
            )
        return DatabaseBlobStore(engine, max_bytes=settings.max_upload_bytes)
    return FolderBlobStore(settings.blob_dir, max_bytes=settings.max_upload_bytes)
