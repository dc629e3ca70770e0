"""Content-addressed blob store: names, never overwritten, limits enforced while streaming."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.errors import BadInput, NotFound, VerificationError
from clearance.storage.blobs import BlobStore


def test_put_names_by_sha256(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=1000)
    ref = store.put_bytes(b"hello")
    # printf 'hello' | sha256sum
    assert ref.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert store.read(ref.sha256) == b"hello"
    assert store.path(ref.sha256).stat().st_mode & 0o222 == 0


def test_same_bytes_twice_is_one_blob(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=1000)
    a = store.put_bytes(b"x" * 10)
    b = store.put_stream(io.BytesIO(b"x" * 10))
    assert a == b
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1


def test_oversize_refused_while_streaming_and_nothing_left(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=1024 * 1024)
    read = 0

    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            nonlocal read
            n = len(buffer)
            buffer[:n] = b"a" * n
            read += n
            return n

    with pytest.raises(BadInput, match="larger than the limit of 1,048,576 bytes"):
        store.put_stream(Endless(), name="the file 'big.bin'")  # type: ignore[arg-type]
    assert read <= 3 * 1024 * 1024  # stopped early, not after reading everything
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_tampered_blob_detected(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=100)
    ref = store.put_bytes(b"approved bytes")
    path = store.path(ref.sha256)
    path.chmod(0o644)
    path.write_bytes(b"other bytes")
    with pytest.raises(VerificationError, match="no longer matches"):
        store.read(ref.sha256)


def test_missing_and_malformed_names(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=100)
    with pytest.raises(NotFound, match="missing"):
        store.read("0" * 64)
    with pytest.raises(BadInput, match="64 lowercase hex"):
        store.path("../../etc/passwd")


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=5000))
def test_any_bytes_round_trip(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    store = BlobStore(tmp_path_factory.mktemp("blobs"), max_bytes=10_000)
    ref = store.put_bytes(data)
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.size == len(data)
    assert store.read(ref.sha256) == data
