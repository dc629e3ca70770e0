"""A zip reader that cannot be bombed: member count, declared sizes, compression ratio and the
actual bytes read are all checked against the limits before and while reading.

Two ways to read a member: :meth:`SafeZip.read` holds it in memory (its bytes count against the
memory allowance, ``max_decompressed_bytes``); :meth:`SafeZip.stream` hands out a file object
for an incremental parser (its bytes count against ``max_streamed_bytes`` and the deadline, chunk
by chunk, so a large worksheet is parsed without being held; the part's declared size gives it
time beyond the fixed cap, ``limits.stream_seconds_per_gb``)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from clearance.screening.limits import Budget, Held

_RATIO_FLOOR = 1024 * 1024  # small members compress well legitimately; ratio counts above 1 MiB


class SafeZip:
    def __init__(self, data: bytes, budget: Budget) -> None:
        self.budget = budget
        limits = budget.limits
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise Held(f"the zip container is malformed ({exc})") from exc
        if len(infos) > limits.max_parts:
            raise Held(f"the container has {len(infos)} parts, more than {limits.max_parts}")
        declared = sum(info.file_size for info in infos)
        allowance = limits.max_decompressed_bytes + limits.max_streamed_bytes
        if declared > allowance:
            raise Held(f"the parts declare {declared} bytes uncompressed, more than {allowance}")
        if declared > _RATIO_FLOOR and declared > limits.max_ratio * max(len(data), 1):
            raise Held(f"compression ratio above {limits.max_ratio}: possible decompression bomb")
        for info in infos:
            if info.flag_bits & 0x1:
                raise Held(f"the part {info.filename} is encrypted and cannot be inspected")
            if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_ratio * max(
                info.compress_size, 1
            ):
                raise Held(f"the part {info.filename} expands more than {limits.max_ratio} times")
        self.infos = {info.filename: info for info in infos}
        self._opened: set[str] = set()

    def names(self) -> list[str]:
        return list(self.infos)

    def read(self, name: str) -> bytes:
        info = self.infos[name]
        try:
            with self.zip.open(info) as handle:
                data = handle.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise Held(f"the part {name} cannot be read ({exc})") from exc
        if len(data) > info.file_size:
            raise Held(f"the part {name} is larger than it declares: possible decompression bomb")
        self.budget.spend(len(data))
        return data

    @contextmanager
    def stream(self, name: str) -> Iterator[IO[bytes]]:
        """Member ``name`` as a file object whose reads are counted as they happen; the time it
        declares it needs moves the deadline on (:meth:`Budget.open_stream`)."""
        info = self.infos[name]
        if name not in self._opened:  # a part gives its time once, however often it is opened
            self._opened.add(name)
            self.budget.open_stream(info.file_size)
        try:
            with self.zip.open(info) as handle:
                yield io.BufferedReader(_Counted(handle, info.file_size, name, self.budget), 65536)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise Held(f"the part {name} cannot be read ({exc})") from exc


class _Counted(io.RawIOBase):
    """A member's decompressed stream, counted against the budget and its declared size."""

    def __init__(self, handle: IO[bytes], declared: int, name: str, budget: Budget) -> None:
        super().__init__()
        self._handle = handle
        self._left = declared
        self._name = name
        self._budget = budget

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size if size >= 0 else self._left + 1)
        self._left -= len(data)
        if self._left < 0:
            raise Held(f"the part {self._name} is larger than it declares: possible bomb")
        self._budget.stream(len(data))
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
