"""Blob stores, one contract for both: named by SHA-256, never overwritten, limits enforced while
streaming, and every read hash-checked (a changed blob, same length included, is refused and
its last chunk never released). Each test runs on the folder store and on PostgreSQL's chunked
rows (skipped, with the reason, where no PostgreSQL server is configured)."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.errors import BadInput, ConfigurationError, NotFound
from clearance.settings import load_settings
from clearance.storage.blobs import (
    CHUNK,
    BlobIntegrityError,
    BlobStore,
    DatabaseBlobStore,
    FolderBlobStore,
    blob_chunks,
    blob_objects,
    open_blob_store,
    verify,
)
from clearance.storage.db import make_engine
from tests.conftest import PG_URL, pg_schema_url

HELLO = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"  # sha256 of b"hello"


@dataclass
class Case:
    store: BlobStore
    #: replace the stored bytes of a blob behind the store's back
    tamper: Callable[[str, bytes], None]
    #: how many stored things (files, rows) exist outside finished blobs and the blobs
    leftovers: Callable[[], int]


def _folder(root: Path, max_bytes: int) -> Case:
    store = FolderBlobStore(root, max_bytes=max_bytes)

    def tamper(sha256: str, data: bytes) -> None:
        path = store.path(sha256)
        path.chmod(0o644)
        path.write_bytes(data)

    return Case(store, tamper, lambda: len([p for p in root.rglob("*") if p.is_file()]))


def _database(url: str, max_bytes: int) -> Iterator[Case]:
    engine = make_engine(url)
    blob_objects.create(engine)
    blob_chunks.create(engine)
    store = DatabaseBlobStore(engine, max_bytes=max_bytes)

    def tamper(sha256: str, data: bytes) -> None:
        with engine.begin() as connection:
            connection.execute(blob_chunks.delete().where(blob_chunks.c.blob == sha256))
            for seq, start in enumerate(range(0, len(data), CHUNK), start=1):
                connection.execute(
                    blob_chunks.insert().values(
                        blob=sha256, seq=seq, data=data[start : start + CHUNK]
                    )
                )

    def leftovers() -> int:
        with engine.connect() as connection:
            return int(connection.scalar(sa.select(sa.func.count()).select_from(blob_chunks)) or 0)

    yield Case(store, tamper, leftovers)
    engine.dispose()


@pytest.fixture(params=["folder", "postgresql"])
def make_case(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[int], Case]]:
    """A factory of empty stores with a given size limit, of the parametrised kind."""
    cleanups: list[Iterator[object]] = []
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("CLEARANCE_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)")

    def make(max_bytes: int) -> Case:
        if request.param == "folder":
            return _folder(tmp_path_factory.mktemp("blobs"), max_bytes)
        assert PG_URL is not None
        urls = pg_schema_url(PG_URL)
        cases = _database(next(urls), max_bytes)
        cleanups.extend([cases, urls])
        return next(cases)

    yield make
    for generator in cleanups:
        for _ in generator:
            pass


def test_put_names_by_sha256(make_case: Callable[[int], Case]) -> None:
    store = make_case(1000).store
    ref = store.put_bytes(b"hello")
    assert ref.sha256 == HELLO  # printf 'hello' | sha256sum
    assert ref.size == 5
    assert store.exists(HELLO)
    assert store.size(HELLO) == 5
    assert store.read(HELLO) == b"hello"
    with store.open(HELLO) as reader:
        assert reader.read() == b"hello"


def test_folder_blobs_are_read_only_files(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path, max_bytes=1000)
    ref = store.put_bytes(b"hello")
    assert store.path(ref.sha256).stat().st_mode & 0o222 == 0


def test_same_bytes_twice_is_one_blob(make_case: Callable[[int], Case]) -> None:
    case = make_case(1000)
    a = case.store.put_bytes(b"x" * 10)
    b = case.store.put_stream(io.BytesIO(b"x" * 10))
    assert a == b
    assert case.leftovers() == 1


def test_many_chunks_stream_through_in_order(make_case: Callable[[int], Case]) -> None:
    store = make_case(4 * CHUNK).store
    data = b"".join(hashlib.sha256(str(k).encode()).digest() for k in range(110_000))  # 3.4 MiB
    pieces = [data[k : k + 77_777] for k in range(0, len(data), 77_777)]
    ref = store.put_chunks(iter(pieces))
    assert ref == store.put_stream(io.BytesIO(data))
    assert store.size(ref.sha256) == len(data)
    with store.open(ref.sha256) as reader:
        chunks = list(reader.chunks())
    assert b"".join(chunks) == data
    assert max(len(c) for c in chunks) <= CHUNK  # streamed, never the whole blob at once
    with store.open(ref.sha256) as reader:
        assert reader.read(10) == data[:10]
        assert reader.read() == data[10:]
    verify(store, ref.sha256)


def test_oversize_refused_while_streaming_and_nothing_left(
    make_case: Callable[[int], Case],
) -> None:
    case = make_case(CHUNK)
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
        case.store.put_stream(Endless(), name="the file 'big.bin'")  # type: ignore[arg-type]
    assert read <= 3 * CHUNK  # stopped early, not after reading everything
    assert case.leftovers() == 0


@pytest.mark.parametrize(
    ("size", "change"),
    [
        (14, "same length"),
        (14, "longer"),
        (14, "shorter"),
        (3 * CHUNK + 5, "same length"),
        (3 * CHUNK + 5, "shorter"),
    ],
)
def test_tampered_blob_is_refused_on_every_read(
    make_case: Callable[[int], Case], size: int, change: str
) -> None:
    case = make_case(4 * CHUNK)
    data = (b"approved bytes" * (size // 14 + 1))[:size]
    ref = case.store.put_bytes(data)
    changed = {
        "same length": data[:-1] + b"!",
        "longer": data + b"!",
        "shorter": data[:-1],
    }[change]
    case.tamper(ref.sha256, changed)
    with pytest.raises(BlobIntegrityError, match="no longer matches its hash"):
        case.store.read(ref.sha256)
    with pytest.raises(BlobIntegrityError, match="no longer matches"):
        verify(case.store, ref.sha256)
    released = bytearray()
    with pytest.raises(BlobIntegrityError), case.store.open(ref.sha256) as reader:
        for chunk in reader.chunks():
            released += chunk
    # the final chunk is held back: what came out before the refusal is never the whole file
    last = len(changed) % CHUNK or CHUNK
    assert len(released) <= len(changed) - last
    assert changed.startswith(released)
    with pytest.raises(BlobIntegrityError), case.store.open(ref.sha256) as reader:
        while reader.read(4096):
            pass


def test_a_change_in_the_first_chunk_holds_back_the_last(
    make_case: Callable[[int], Case],
) -> None:
    case = make_case(4 * CHUNK)
    data = bytes(range(256)) * (2 * CHUNK // 256) + b"tail"
    ref = case.store.put_bytes(data)
    case.tamper(ref.sha256, b"\xff" + data[1:])
    with case.store.open(ref.sha256) as reader:
        chunks = reader.chunks()
        assert len(next(chunks)) == CHUNK  # a changed chunk may stream ...
        assert len(next(chunks)) == CHUNK
        with pytest.raises(BlobIntegrityError):
            next(chunks)  # ... but the end never comes: the last piece is withheld


def test_missing_and_malformed_names(make_case: Callable[[int], Case]) -> None:
    store = make_case(100).store
    with pytest.raises(NotFound, match="missing"):
        store.read("0" * 64)
    with pytest.raises(NotFound, match="missing"):
        store.open("0" * 64)
    with pytest.raises(NotFound, match="missing"):
        store.size("0" * 64)
    assert not store.exists("0" * 64)
    with pytest.raises(BadInput, match="64 lowercase hex"):
        store.exists("../../etc/passwd")
    with pytest.raises(BadInput, match="64 lowercase hex"):
        store.open("A" * 64)


def test_the_same_bytes_from_two_writers_at_once_are_one_blob(
    make_case: Callable[[int], Case],
) -> None:
    case = make_case(4 * CHUNK)
    data = b"shared" * 300_000
    barrier = threading.Barrier(2)
    refs = []

    def put() -> None:
        barrier.wait()
        refs.append(case.store.put_chunks(data[k : k + 65536] for k in range(0, len(data), 65536)))

    threads = [threading.Thread(target=put) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refs) == 2 and refs[0] == refs[1]
    assert case.store.read(refs[0].sha256) == data


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=5000))
def test_any_bytes_round_trip(make_case: Callable[[int], Case], data: bytes) -> None:
    store = make_case(10_000).store
    ref = store.put_bytes(data)
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.size == len(data)
    assert store.read(ref.sha256) == data


def test_the_setting_selects_the_store(tmp_path: Path) -> None:
    base = {"CLEARANCE_HOME": str(tmp_path), "CLEARANCE_ENV": "test"}
    sqlite = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    assert isinstance(open_blob_store(load_settings(base), sqlite), FolderBlobStore)
    asked = load_settings({**base, "CLEARANCE_BLOB_STORE": "database"})
    with pytest.raises(ConfigurationError, match="needs Clearance on PostgreSQL"):
        open_blob_store(asked, sqlite)
    with pytest.raises(BadInput, match="CLEARANCE_BLOB_STORE must be one of folder, database"):
        load_settings({**base, "CLEARANCE_BLOB_STORE": "s3"})
    sqlite.dispose()
    if not PG_URL:
        pytest.skip("CLEARANCE_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)")
    postgres = make_engine(PG_URL)
    assert isinstance(open_blob_store(asked, postgres), DatabaseBlobStore)
    postgres.dispose()
