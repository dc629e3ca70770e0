"""ZIP archives: every member screened as a file of its own through the engine's embedded files
(the engine applies the depth cap; :class:`SafeZip` the member count, size and ratio caps).
The member names are read as text (they stay in the derivative); directories are structure; an
encrypted member holds the archive (SafeZip). A member of a type screening does not read (no
accepted extension, and not of a refused kind such as an executable) is ``uninspected``: it
holds the archive for review and is left out of the derivative (:mod:`..sanitise.archive`)."""

from __future__ import annotations

from clearance.screening import filetype
from clearance.screening.extract.base import Embedded, Extraction
from clearance.screening.extract.safezip import SafeZip
from clearance.screening.limits import Budget, Held


def extract_zip(data: bytes, budget: Budget) -> Extraction:
    zf = SafeZip(data, budget)
    out = Extraction()
    for name in zf.names():
        if name.startswith("/") or ".." in name.split("/"):
            raise Held(f"the archive member {name!r} has an unsafe path")
        if name.endswith("/"):
            out.covered(name, "structure")
            continue
        member = zf.read(name)
        reason = filetype.unread_member(member, name)
        if reason is not None:
            out.uninspected(name, reason)
            continue
        out.embedded.append(Embedded(name, member))
    out.text("zip directory", "\n".join(zf.names()))
    return out
