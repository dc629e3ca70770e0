"""The flat OpenDocument derivative as it was built before it was streamed: the whole document
parsed into a tree, cleaned in place, serialised by ElementTree. Kept as the reference the
streaming writer (``sanitise.odf.sanitise_flat_odf``) must match byte for byte; never used by
the product (it holds the document's tree, nine times its size)."""

from __future__ import annotations

import base64
import binascii
import io
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as DET

from clearance.screening.extract.odf import OFFICE
from clearance.screening.rules import Limits
from clearance.screening.sanitise.image import sanitise_image
from clearance.screening.sanitise.odf import DROPPED_ELEMENTS


def _namespaces(data: bytes) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for _event, item in DET.iterparse(io.BytesIO(data), events=("start-ns",), forbid_dtd=True):
        prefix, uri = item
        found.append((prefix, uri))
    return found


def _remove(parent: ET.Element) -> None:
    for index in range(len(parent) - 1, -1, -1):
        child = parent[index]
        if child.tag in DROPPED_ELEMENTS:
            tail = child.tail or ""
            if tail:
                if index > 0:
                    parent[index - 1].tail = (parent[index - 1].tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
            del parent[index]
        else:
            _remove(child)


def sanitise_flat_odf_in_memory(data: bytes) -> bytes:
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
