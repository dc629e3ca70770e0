"""Atomic file and folder replacement for the file-based channels, and a folder lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from clearance.crashpoint import crash_point
from clearance.publishing.adapter import sha256_hex


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, fsync, rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_folder(final: Path, files: Mapping[str, bytes]) -> None:
    """Make ``final`` hold exactly ``files`` (relative paths): build beside it, then swap."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".{final.name}.new-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(0o644)
        staging.chmod(0o755)
        crash_point("channel.staged")
        remove_folder(final)
        staging.replace(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def remove_folder(folder: Path) -> None:
    """Move ``folder`` aside then delete it, so readers never see half of it."""
    if not folder.exists():
        return
    doomed = folder.parent / f".{folder.name}.old-{secrets.token_hex(4)}"
    folder.replace(doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` now, by its path relative to ``folder`` (read
    from the disk each time: what is live, not what was written)."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): sha256_hex(path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock across processes for changes under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
