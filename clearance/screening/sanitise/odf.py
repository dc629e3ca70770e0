"""OpenDocument derivative: a new package holding only the parts the screener read and rebuilt.

Kept: ``mimetype`` (first, stored), ``content.xml`` and ``styles.xml`` of the document and of its
``Object N/`` sub-documents, with annotations, tracked changes (deleted text; insertions stay as
accepted text) and hidden text removed, and the pictures under ``Pictures/`` re-encoded by the
image sanitiser (metadata gone). Everything else is dropped: ``meta.xml`` (author, dates, custom
fields), ``settings.xml`` (printer names, view state), thumbnails (a picture of the original),
``manifest.rdf``, UI configuration, object replacement images and any part the screener does not
read. The manifest is rewritten to list what is left. An embedded file the extractor screens
as a file of its own (a PDF, an office document, an SVG...) but that is not rebuilt here is
*lost*: :func:`sanitise_odf_report` names it, which holds the document (thumbnails are not
members: they only picture the first page, which is read itself).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
from pathlib import PurePosixPath
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as DET

from clearance.screening.extract.odf import EMBEDDABLE, MANIFEST, MANIFEST_PART, OFFICE, TEXT
from clearance.screening.rules import Limits
from clearance.screening.sanitise.image import sanitise_image

_KEEP_XML = re.compile(r"^(?:Object [^/]+/)?(?:content|styles)\.xml$")
_PICTURE = re.compile(r"^Pictures/[^/]+\.(?:png|jpe?g|gif|webp|tiff?|bmp)$", re.IGNORECASE)
_DROP = {
    f"{{{OFFICE}}}annotation",
    f"{{{OFFICE}}}annotation-end",
    f"{{{TEXT}}}tracked-changes",
    f"{{{TEXT}}}change",
    f"{{{TEXT}}}change-start",
    f"{{{TEXT}}}change-end",
    f"{{{TEXT}}}hidden-text",
    f"{{{TEXT}}}hidden-paragraph",
}


def _namespaces(data: bytes) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for _event, item in DET.iterparse(io.BytesIO(data), events=("start-ns",), forbid_dtd=True):
        prefix, uri = item
        found.append((prefix, uri))
    return found


def _remove(parent: ET.Element) -> None:
    for index in range(len(parent) - 1, -1, -1):
        child = parent[index]
        if child.tag in _DROP:
            tail = child.tail or ""
            if tail:
                if index > 0:
                    parent[index - 1].tail = (parent[index - 1].tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
            del parent[index]
        else:
            _remove(child)


def clean_xml(data: bytes) -> bytes:
    """``data`` without annotations, tracked changes and hidden text, its prefixes kept."""
    for prefix, uri in _namespaces(data):
        if prefix and not prefix.startswith("ns"):
            ET.register_namespace(prefix, uri)
    root = DET.fromstring(data, forbid_dtd=True)
    _remove(root)
    return bytes(ET.tostring(root, encoding="UTF-8", xml_declaration=True))


def _manifest(media_type: str, kept: dict[str, str]) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<manifest:manifest xmlns:manifest="{MANIFEST}" manifest:version="1.2">',
        f' <manifest:file-entry manifest:full-path="/" manifest:media-type="{media_type}"/>',
    ]
    lines += [
        f' <manifest:file-entry manifest:full-path="{_escape(path)}" '
        f'manifest:media-type="{_escape(kind)}"/>'
        for path, kind in kept.items()
    ]
    lines.append("</manifest:manifest>")
    return "\n".join(lines).encode("utf-8")


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _entry(name: str) -> zipfile.ZipInfo:
    """A package entry with a fixed date: the same document always has the same derivative."""
    return zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))


def sanitise_odf(data: bytes, media_type: str) -> bytes:
    return sanitise_odf_report(data, media_type)[0]


def _member(name: str) -> bool:
    """An embedded file the extractor screens as a file of its own (not a thumbnail)."""
    return PurePosixPath(name).suffix.lower() in EMBEDDABLE and not name.startswith("Thumbnails/")


def sanitise_odf_report(data: bytes, media_type: str) -> tuple[bytes, list[str]]:
    """The derivative and the embedded files it could not keep (lost: each holds the file)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = set(source.namelist())
    manifest = DET.fromstring(source.read(MANIFEST_PART), forbid_dtd=True)
    types = {
        entry.get(f"{{{MANIFEST}}}full-path", ""): entry.get(f"{{{MANIFEST}}}media-type", "")
        for entry in manifest.iter(f"{{{MANIFEST}}}file-entry")
    }
    kept: dict[str, str] = {}
    parts: dict[str, bytes] = {}
    for name in sorted(names):
        if _KEEP_XML.match(name):
            parts[name] = clean_xml(source.read(name))
            kept[name] = "text/xml"
        elif _PICTURE.match(name):
            clean = sanitise_image(source.read(name), max_frames=Limits().max_pages).data
            parts[name] = clean
            kept[name] = types.get(name, "") or "image/png"
    for directory in sorted({n.split("/", 1)[0] + "/" for n in kept if n.startswith("Object ")}):
        kept[directory] = types.get(directory, "") or "application/vnd.oasis.opendocument.chart"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr(_entry("mimetype"), media_type.encode(), zipfile.ZIP_STORED)
        for name, content in parts.items():
            target.writestr(_entry(name), content, zipfile.ZIP_DEFLATED)
        target.writestr(_entry(MANIFEST_PART), _manifest(media_type, kept), zipfile.ZIP_DEFLATED)
    lost = [f"the embedded file {name}" for name in sorted(names - set(parts)) if _member(name)]
    return out.getvalue(), lost


def sanitise_flat_odf(data: bytes) -> bytes:
    """A flat ODF document without its meta and settings sections, annotations, tracked changes
    and hidden text; inline pictures re-encoded by the image sanitiser, unreadable ones dropped."""
    for prefix, uri in _namespaces(data):
        if prefix and not prefix.startswith("ns"):
            ET.register_namespace(prefix, uri)
    root = DET.fromstring(data, forbid_dtd=True)
    for child in list(root):
        if child.tag in (f"{{{OFFICE}}}meta", f"{{{OFFICE}}}settings"):
            root.remove(child)
    _remove(root)
    binary = f"{{{OFFICE}}}binary-data"
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag != binary:
                continue
            try:
                blob = base64.b64decode("".join((child.text or "").split()), validate=True)
                child.text = base64.b64encode(
                    sanitise_image(blob, max_frames=Limits().max_pages).data
                ).decode("ascii")
            except (binascii.Error, ValueError, OSError):
                parent.remove(child)
    return bytes(ET.tostring(root, encoding="UTF-8", xml_declaration=True))
