"""What each part of an OOXML package is, decided from the package's own index (content type and
the relationship types that reach it), never from its name. Extraction reads a part by its role;
the sanitiser keeps a part only when its role is one it rebuilds. One table, both users.
"""

from __future__ import annotations

import posixpath
from enum import StrEnum

from clearance.screening.extract.opc import CONTENT_TYPES, Package


class Role(StrEnum):
    INDEX = "index"  # [Content_Types].xml and the .rels parts: read as structure
    DIRECTORY = "directory"  # a zip folder entry, no content
    PROPERTIES = "properties"  # docProps core/app/custom: read as text and metadata
    SHEET = "sheet"  # a worksheet: streamed
    MARKUP = "markup"  # any other XML part: every text node and text-bearing attribute read
    RASTER = "raster"  # an image the image extractor decodes
    PACKAGE = "package"  # an embedded office document or PDF: screened as a file of its own
    OLE = "ole"  # an embedded OLE object: judged by the OLE rules (held or refused)
    PRINTER = "printer"  # printer settings (a DEVMODE): device name read
    UNREAD = "unread"  # anything else: reported uninspected, dropped from the derivative


RASTER_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "tif", "tiff"})
_PACKAGE_EXTENSIONS = frozenset({"docx", "xlsx", "pptx", "pdf"})
_XML_TYPES = ("application/xml", "text/xml")
_SHEET_TYPES = (
    "spreadsheetml.worksheet+xml",
    "spreadsheetml.dialogsheet+xml",
    "ms-excel.macrosheet",
)
_PROPERTY_TYPES = ("core-properties+xml", "extended-properties+xml", "custom-properties+xml")


def extension(name: str) -> str:
    """``_rels/.rels`` -> ``rels`` (``posixpath.splitext`` treats ``.rels`` as a bare name)."""
    base = posixpath.basename(name)
    return base.rpartition(".")[2].lower() if "." in base else ""


def role(package: Package, name: str) -> Role:
    """The role of zip entry ``name`` in ``package``."""
    if name.endswith("/"):
        return Role.DIRECTORY
    ext = extension(name)
    if name == CONTENT_TYPES or ext == "rels":
        return Role.INDEX
    ctype = package.content_type(name).lower()
    if ctype.endswith("+xml") or ctype in _XML_TYPES or (not ctype and ext in ("xml", "vml")):
        if any(kind in ctype for kind in _SHEET_TYPES):
            return Role.SHEET
        if any(kind in ctype for kind in _PROPERTY_TYPES):
            return Role.PROPERTIES
        return Role.MARKUP
    if ctype.endswith("vnd.openxmlformats-officedocument.vmldrawing") or ext == "vml":
        return Role.MARKUP
    if ctype.startswith("image/") or (not ctype and ext in RASTER_EXTENSIONS):
        return Role.RASTER if ext in RASTER_EXTENSIONS else Role.UNREAD
    if ext in _PACKAGE_EXTENSIONS:
        return Role.PACKAGE
    if "printersettings" in ctype:
        return Role.PRINTER
    if ext == "bin" and ("oleobject" in ctype or "activex" in ctype or ctype == ""):
        return Role.OLE
    return Role.UNREAD


def unread_reason(package: Package, name: str) -> str:
    ctype = package.content_type(name) or "no declared content type"
    if ctype.startswith("image/"):
        return f"an image in a format that is not decoded ({ctype}); replace it with PNG or JPEG"
    if "font" in ctype.lower():
        return f"an embedded font ({ctype}) is not read; remove embedded fonts"
    return f"a part of type {ctype} is not read; remove it or convert the file"
