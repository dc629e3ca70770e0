"""A zip reader that cannot be bombed: member count, declared sizes, compression ratio and the
actual bytes read are all checked against the limits before and while reading."""

from __future__ import annotations

import io
import zipfile

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
        if declared > limits.max_decompressed_bytes:
            raise Held(
                f"the parts declare {declared} bytes uncompressed, "
                f"more than {limits.max_decompressed_bytes}"
            )
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
