"""DOCX/XLSX/PPTX derivative: only the parts that were read and can be rebuilt, reached from the
package root through relationships kept, plus the package index rebuilt to match.

A part is kept when its role (:mod:`clearance.screening.extract.ooxml_parts`, the same table the
extractor reads by) is XML text, a worksheet, an image (re-encoded without metadata) or an
embedded office document (rebuilt the same way), and the relationship that reaches it is not one
that only carries metadata or hidden material: comments and their authors, custom XML, custom
properties, thumbnails, printer settings, OLE objects, ActiveX, fonts, attached templates, legacy
comment drawings. Everything else is dropped; the relationships that pointed at it are removed,
``[Content_Types].xml`` lists only what is left, and the dropped parts are returned so the
screening result can say so. An embedded document that is dropped (a PDF, which is screened
but not rebuilt here) is also *lost*: the derivative does not hold everything the reader sees,
which holds the file.

Kept parts are cleaned as before: core/app properties emptied; DOCX tracked deletions removed and
insertions accepted, hidden runs (``w:vanish``) and comment anchors removed; XLSX
``legacyDrawing`` references removed. The XML is edited as text with narrow patterns instead of
re-serialised by ElementTree, because re-serialising renames namespace prefixes that
``mc:Ignorable`` refers to and Word then refuses the file.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections import deque
from dataclasses import dataclass

from clearance.screening.extract.ooxml_parts import Role, role
from clearance.screening.extract.opc import (
    CONTENT_TYPES,
    ROOT_RELS,
    Package,
    Relationship,
    read_package,
    rels_part_of,
)
from clearance.screening.extract.safezip import SafeZip
from clearance.screening.limits import Budget
from clearance.screening.rules import Limits
from clearance.screening.sanitise.image import sanitise_image

_EMPTY_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    b'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"/>'
)
_EMPTY_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-'
    b'properties"/>'
)
# Relationship types (last path segment, lower case) whose targets never go into a derivative.
_DROPPED_KINDS = frozenset(
    {"comments", "commentauthors", "authors", "people", "person", "threadedcomment",
     "commentsextended", "commentsids", "commentsextensible", "customxml", "customxmlprops",
     "custom-properties", "thumbnail", "printersettings", "oleobject", "activexcontrol",
     "activexcontrolbinary", "control", "vbaproject", "attachedtemplate", "font",
     "vmldrawing", "glossarydocument", "usernames", "revisionheaders", "revisionlog"}
)  # fmt: skip
_KEPT_ROLES = frozenset({Role.MARKUP, Role.SHEET, Role.PROPERTIES, Role.RASTER, Role.PACKAGE})
_KEPT_EXTERNAL = frozenset({"hyperlink"})
_NESTED = frozenset({"docx", "xlsx", "pptx"})

_DEL = re.compile(
    rb"<w:del\b[^>]*/>|<w:del\b[^>]*>.*?</w:del>|<w:moveFrom\b[^>]*>.*?</w:moveFrom>", re.S
)
_INS = re.compile(rb"</?w:(?:ins|moveTo)\b[^>]*>")
_COMMENT_ANCHOR = re.compile(
    rb"<w:commentRange(?:Start|End)\b[^>]*/>|<w:r\b[^>]*>(?:(?!</w:r>).)*?<w:commentReference\b[^>]*/>\s*</w:r>",
    re.S,
)
# A run whose properties hide it (w:vanish, unless switched off with val false/0/off).
_HIDDEN_RUN = re.compile(
    rb"<w:r(?:\s[^>]*)?>(?:(?!</w:r>).)*?"
    rb'<w:vanish(?!\s+w:val="(?:false|0|off)")(?:\s[^>]*)?/>(?:(?!</w:r>).)*?</w:r>',
    re.S,
)
_LEGACY_DRAWING = re.compile(rb"<(?:\w+:)?legacyDrawing(?:HF)?\b[^>]*/>")
_WORDML = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_BIG = 1 << 20  # parts above this size are compressed at level 1 (a large sheet: speed first)


@dataclass(frozen=True, slots=True)
class Derivative:
    data: bytes
    dropped: tuple[str, ...]
    lost: tuple[str, ...] = ()  # embedded documents not kept (each holds the file)


def _kind(relationship: Relationship) -> str:
    return relationship.type.rsplit("/", 1)[-1].lower()


def _kept_parts(package: Package) -> set[str]:
    """Parts reached from the root through relationships and parts that may be kept."""
    kept: set[str] = set()
    queue: deque[str] = deque([""])
    while queue:
        source = queue.popleft()
        for relationship in package.outgoing(source):
            target = relationship.target
            if relationship.external or target in kept or target not in package.names:
                continue
            if _kind(relationship) in _DROPPED_KINDS or role(package, target) not in _KEPT_ROLES:
                continue
            if "custom-properties" in package.content_type(target):
                continue
            kept.add(target)
            queue.append(target)
    return kept


def _rels(package: Package, source: str, kept: set[str]) -> bytes:
    entries = []
    for relationship in package.outgoing(source):
        if relationship.external:
            if _kind(relationship) not in _KEPT_EXTERNAL:
                continue
            mode = ' TargetMode="External"'
        elif relationship.target in kept:
            mode = ""
        else:
            continue
        target = _target(source, relationship)
        entries.append(
            f'<Relationship Id="{_attr(relationship.id)}" Type="{_attr(relationship.type)}" '
            f'Target="{_attr(target)}"{mode}/>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(entries)
        + "</Relationships>"
    ).encode()


def _target(source: str, relationship: Relationship) -> str:
    if relationship.external:
        return relationship.target
    if source == "":
        return relationship.target
    return posixpath.relpath(relationship.target, posixpath.dirname(source) or ".")


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _content_types(package: Package, kept: set[str]) -> bytes:
    defaults = "".join(
        f'<Default Extension="{_attr(ext)}" ContentType="{_attr(ctype)}"/>'
        for ext, ctype in package.defaults.items()
    )
    overrides = "".join(
        f'<Override PartName="/{_attr(name)}" ContentType="{_attr(ctype)}"/>'
        for name, ctype in package.overrides.items()
        if name in kept
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f"{defaults}{overrides}</Types>"
    ).encode()


def _clean(package: Package, name: str, data: bytes) -> bytes:
    kind = role(package, name)
    if kind is Role.PROPERTIES:
        return _EMPTY_CORE if "core-properties" in package.content_type(name) else _EMPTY_APP
    if kind is Role.RASTER:
        return sanitise_image(data, max_frames=Limits().max_pages).data
    if kind is Role.PACKAGE:
        return rebuild_ooxml(data).data
    if b"legacyDrawing" in data:  # the drawings that show comments are dropped
        data = _LEGACY_DRAWING.sub(b"", data)
    if _WORDML in data[:4096] or b"<w:" in data[:4096]:
        data = _DEL.sub(b"", data)
        data = _INS.sub(b"", data)
        data = _HIDDEN_RUN.sub(b"", data)
        data = _COMMENT_ANCHOR.sub(b"", data)
    return data


def rebuild_ooxml(data: bytes) -> Derivative:
    """The derivative of an OOXML package and the names of the parts it leaves out."""
    zf = SafeZip(data, Budget(Limits()))
    package = read_package(zf)
    kept = _kept_parts(package)
    for name in list(kept):
        if role(package, name) is Role.PACKAGE and name.rsplit(".", 1)[-1].lower() not in _NESTED:
            kept.discard(name)  # an embedded PDF: screened, but not rebuilt here
    sources = {""} | kept
    out = io.BytesIO()
    written: set[str] = set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:

        def write(name: str, content: bytes) -> None:
            item = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            item.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(item, content, compresslevel=1 if len(content) > _BIG else 6)
            written.add(name)

        write(CONTENT_TYPES, _content_types(package, kept))
        write(ROOT_RELS, _rels(package, "", kept))
        for name in package.names:
            if name not in kept:
                continue
            if role(package, name) is Role.SHEET:
                _copy_sheet(zf, name, target)
                written.add(name)
            else:
                write(name, _clean(package, name, zf.read(name)))
        for source in sorted(sources - {""}):
            if package.outgoing(source):
                write(rels_part_of(source), _rels(package, source, kept))
    dropped = tuple(n for n in package.names if n not in written and not n.endswith("/"))
    dropped = tuple(n for n in dropped if not n.endswith(".rels") or _source_dropped(n, kept))
    lost = tuple(f"the embedded document {n}" for n in dropped if role(package, n) is Role.PACKAGE)
    return Derivative(out.getvalue(), dropped, lost)


_WINDOW = 1 << 20


def _copy_sheet(zf: SafeZip, name: str, target: zipfile.ZipFile) -> None:
    """A worksheet streamed into the derivative (never held whole), ``legacyDrawing`` references
    removed. Chunks are cut before a ``<``, so no tag is ever split between two of them."""
    item = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    item.compress_type = zipfile.ZIP_DEFLATED
    item._compresslevel = 1  # type: ignore[attr-defined]  # zipfile's own per-entry level
    carry = b""
    with zf.stream(name) as source, target.open(item, "w") as sink:
        while chunk := source.read(_WINDOW):
            window = carry + chunk
            cut = window.rfind(b"<")
            head, carry = (window[:cut], window[cut:]) if cut > 0 else (window, b"")
            sink.write(_LEGACY_DRAWING.sub(b"", head) if b"legacyDrawing" in head else head)
        sink.write(_LEGACY_DRAWING.sub(b"", carry))


def _source_dropped(rels_name: str, kept: set[str]) -> bool:
    folder, base = posixpath.split(rels_name)
    source = posixpath.join(posixpath.dirname(folder), base[: -len(".rels")]).lstrip("/")
    return source not in kept


def sanitise_ooxml(data: bytes, *, docx: bool = False) -> bytes:
    """The derivative's bytes (see :func:`rebuild_ooxml`); ``docx`` is kept for callers."""
    del docx
    return rebuild_ooxml(data).data
