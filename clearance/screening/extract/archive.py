"""ZIP archives: every member screened as a file of its own through the engine's embedded files
(the engine applies the depth cap; :class:`SafeZip` the member count, size and ratio caps).
Directories are structure; an encrypted member holds the archive (SafeZip)."""

from __future__ import annotations

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
        out.embedded.append(Embedded(name, zf.read(name)))
    out.covered("zip directory", "structure", chars=len(zf.names()))
    return out
