"""ZIP derivative: a new archive holding only the members that were read and rebuilt.

Each member is the derivative its own sanitiser made (an image without EXIF, an office document
rebuilt from its read parts, a nested archive rebuilt the same way); plain text, CSV and TSV are
kept as they are, as a top-level one is. A member that was not read (a type screening does not
read, a member held) or that has no derivative is left out, and the result names it as lost
(which holds the archive: its derivative does not hold everything it does). An archive with
no file at all would have an empty derivative: held the same way. What the
original archive carried around its members is not copied: timestamps (all set to 1980-01-01),
comments, extra fields, permissions and the order of the directory beyond the members' own.
Directory entries are kept (a name is screened text, like every member name).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from clearance.screening.sanitise.members import Member, Rebuilt

_EPOCH = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16
_DIRECTORY_MODE = (0o40755 << 16) | 0x10


def _entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_STORED if name.endswith("/") else zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = mode
    return info


def rebuild_zip(data: bytes, members: Sequence[Member]) -> Rebuilt:
    """The archive ``data`` rebuilt from ``members`` (in the original's order); a file entry
    with no member, or whose member has no derivative, is left out and named as lost."""
    by_name = {member.name: member for member in members}
    with zipfile.ZipFile(io.BytesIO(data)) as original:
        names = list(dict.fromkeys(info.filename for info in original.infolist()))
    out = io.BytesIO()
    lost: list[str] = []
    kept = 0
    with zipfile.ZipFile(out, "w") as rebuilt:
        for name in names:
            if name.endswith("/"):
                rebuilt.writestr(_entry(name, _DIRECTORY_MODE), b"")
                continue
            member = by_name.get(name)
            if member is None or member.data is None:
                reason = member.reason if member is not None else "not read"
                lost.append(f"the archive member {name} ({reason})")
                continue
            rebuilt.writestr(_entry(name, _FILE_MODE), member.data)
            kept += 1
    if not kept and not lost:  # nothing to publish: an empty archive is never clear either
        lost.append("every file: the archive holds none, so its derivative would be empty")
    return Rebuilt(out.getvalue(), lost=tuple(lost))
