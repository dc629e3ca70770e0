"""OLE objects embedded in OOXML documents (``word/embeddings/oleObject1.bin``...).

An OLE compound file can hold anything: a spreadsheet, an equation, a packaged file of any kind.
We do not parse it (no well-kept pure-Python parser is in the dependency set, and a partial parse
would pretend to an inspection that did not happen), so it is never passed as clear:

- recognisably active content (a packaged executable or script, a VBA project, a PE header,
  ActiveX/OLE-Package carrying a dangerous file name) is refused: the document is blocked;
- anything else is held: a reviewer opens it, or the author replaces it with text or an image.
"""

from __future__ import annotations

import re

from clearance.screening.limits import Held, Refused

OLE_TYPE = "application/x-ole-storage"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EMBEDDING = re.compile(r"^(?:word|xl|ppt)/embeddings/[^/]+\.bin$", re.IGNORECASE)
_DANGEROUS_NAMES = (
    "exe", "dll", "scr", "com", "pif", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh",
    "ps1", "hta", "msi", "lnk", "jar", "reg", "cpl", "inf", "sct", "chm",
)  # fmt: skip
_DANGEROUS_FILE = re.compile(
    rb"[\w\-. ]{1,64}\.(?:" + b"|".join(n.encode() for n in _DANGEROUS_NAMES) + rb")\x00",
    re.IGNORECASE,
)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


_ACTIVE_MARKERS: tuple[tuple[bytes, str], ...] = (
    (_utf16("_VBA_PROJECT"), "a VBA macro project"),
    (_utf16("Macros"), "a macro storage"),
    (b"This program cannot be run in DOS mode", "a Windows executable"),
    (b"MZ\x90\x00", "a Windows executable header"),
)


def is_ole_embedding(data: bytes, name: str) -> bool:
    """Whether ``name``/``data`` is an OLE object embedded in a document."""
    return data.startswith(_OLE_MAGIC) or bool(_EMBEDDING.match(name))


def judge_ole(data: bytes, name: str) -> None:
    """Raise :class:`Refused` for active content, otherwise :class:`Held` (never returns)."""
    for marker, what in _ACTIVE_MARKERS:
        if marker in data:
            raise Refused(f"the embedded OLE object {name} carries {what}")
    packaged = _DANGEROUS_FILE.search(data)
    if packaged is not None:
        label = packaged.group(0)[:-1].decode("latin-1")
        raise Refused(f"the embedded OLE object {name} packages an executable or script '{label}'")
    raise Held(
        f"the embedded OLE object {name} cannot be inspected automatically; a reviewer must "
        "open it, or the author must replace it with text or an image"
    )
