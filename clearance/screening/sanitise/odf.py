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

import io
import re
import shutil
import zipfile
from pathlib import PurePosixPath
from typing import IO, cast
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as DET

from clearance.screening.extract.odf import EMBEDDABLE, MANIFEST, MANIFEST_PART, OFFICE, TEXT
from clearance.screening.extract.xmltext import Event, stream_events
from clearance.screening.rules import Limits
from clearance.screening.sanitise.image import sanitise_image

_KEEP_XML = re.compile(r"^(?:Object [^/]+/)?(?:content|styles)\.xml$")
_BIG = 1 << 20  # parts above this size are compressed at level 1 (a large sheet: speed first)
_PICTURE = re.compile(r"^Pictures/[^/]+\.(?:png|jpe?g|gif|webp|tiff?|bmp)$", re.IGNORECASE)
#: Elements the derivative leaves out (their tails kept), packaged or flat.
DROPPED_ELEMENTS = {
    f"{{{OFFICE}}}annotation",
    f"{{{OFFICE}}}annotation-end",
    f"{{{TEXT}}}tracked-changes",
    f"{{{TEXT}}}change",
    f"{{{TEXT}}}change-start",
    f"{{{TEXT}}}change-end",
    f"{{{TEXT}}}hidden-text",
    f"{{{TEXT}}}hidden-paragraph",
}


_XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
_NS_EVENTS: tuple[Event, ...] = ("start-ns", "start", "end")


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(value: str) -> str:
    return (
        _escape_text(value)
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


# What cleaning changes: the elements it drops (by their local names, with any prefix or
# none), and what the reader never reads as text (comments, processing instructions: dropped
# too). A part in UTF-16, where these bytes would not show, is always cleaned.
_CLEANED = (b"annotation", b"tracked-changes", b"change", b"hidden-text", b"hidden-paragraph",
            b"<!--", b"<?")  # fmt: skip
_WINDOW = 1 << 20


def _needs_cleaning(source: zipfile.ZipFile, name: str) -> bool:
    """Whether the part holds anything :func:`clean_stream` removes (a look at its bytes, in
    windows that overlap so no marker is split): when not, the part is copied as it is."""
    carry = b""
    with source.open(name) as part:
        head = part.read(64)
        if b"\x00" in head or not head.lstrip().startswith(b"<"):
            return True  # UTF-16 or a byte-order mark: not looked at byte by byte
        if head.startswith(b"<?xml"):  # the declaration is the one instruction allowed
            head = head[head.find(b"?>") + 2 :] if b"?>" in head else head
        carry = head
        while True:
            chunk = part.read(_WINDOW)
            window = carry + chunk
            if any(marker in window for marker in _CLEANED):
                return True
            if not chunk:
                return False
            carry = chunk[-24:]


def clean_stream(source: IO[bytes], sink: IO[bytes], name: str) -> None:
    """An XML part without annotations, tracked changes and hidden text (their tails kept),
    its prefixes kept, as a stream: the part is parsed with the guarded streaming reader
    (:func:`~..extract.xmltext.stream_events`) and written to ``sink`` as it is read, each
    element dropped once written, so a sheet of any size needs the memory of one row. The
    document's own prefixes and namespace declarations are written where they were."""
    prefixes: dict[str, str] = {_XML_NAMESPACE: "xml"}
    declared: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    out = io.TextIOWrapper(sink, encoding="utf-8", newline="")
    write = out.write
    write('<?xml version="1.0" encoding="UTF-8"?>')

    def qualified(clark: str) -> str:
        found = names.get(clark)
        if found is None:
            uri, _, local = clark[1:].partition("}") if clark[:1] == "{" else ("", "", clark)
            prefix = prefixes.get(uri, "") if uri else ""
            found = names[clark] = f"{prefix}:{local}" if prefix else local
        return found

    elements: list[ET.Element] = []
    texts_done: list[bool] = []
    pending: list[ET.Element | None] = []
    dropping = 0  # depth inside a dropped element (its tail is kept)
    for event, item in stream_events(source, name, _NS_EVENTS):
        if event == "start-ns":
            prefix, uri = cast(tuple[str, str], item)
            declared.append((prefix, uri))
            prefixes[uri] = prefix
            names.clear()
            continue
        element = item
        if event == "start":
            if elements:
                parent = elements[-1]
                if not texts_done[-1]:
                    texts_done[-1] = True
                    if parent.text and not dropping:
                        write(_escape_text(parent.text))
                previous = pending[-1]
                if previous is not None:
                    pending[-1] = None
                    if previous.tail and not dropping:
                        write(_escape_text(previous.tail))
                    parent.remove(previous)
            if dropping or element.tag in DROPPED_ELEMENTS:
                dropping += 1
            else:
                pieces = [f"<{qualified(element.tag)}"]
                for prefix, uri in declared:
                    attribute = f"xmlns:{prefix}" if prefix else "xmlns"
                    pieces.append(f' {attribute}="{_escape_attribute(uri)}"')
                for key, value in element.attrib.items():
                    pieces.append(f' {qualified(key)}="{_escape_attribute(value)}"')
                pieces.append(">")
                write("".join(pieces))
            declared = []
            elements.append(element)
            texts_done.append(False)
            pending.append(None)
            continue
        elements.pop()
        done = texts_done.pop()
        previous = pending.pop()
        if not dropping:
            if not done and element.text:
                write(_escape_text(element.text))
            if previous is not None and previous.tail:
                write(_escape_text(previous.tail))
            write(f"</{qualified(element.tag)}>")
        else:
            dropping -= 1
        if previous is not None:
            element.remove(previous)
        if pending:
            pending[-1] = element
        else:
            element.clear()
    out.flush()
    out.detach()


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
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr(_entry("mimetype"), media_type.encode(), zipfile.ZIP_STORED)
        for name in sorted(names):
            if _KEEP_XML.match(name):
                entry = _entry(name)
                entry.compress_type = zipfile.ZIP_DEFLATED
                big = source.getinfo(name).file_size > _BIG
                entry._compresslevel = 1 if big else 6  # type: ignore[attr-defined]
                with source.open(name) as part, target.open(entry, "w") as sink:
                    if _needs_cleaning(source, name):
                        clean_stream(part, sink, name)
                    else:  # nothing to remove: the part as it is (streamed, never held)
                        shutil.copyfileobj(part, sink, _WINDOW)
                kept[name] = "text/xml"
            elif _PICTURE.match(name):
                clean = sanitise_image(source.read(name), max_frames=Limits().max_pages).data
                target.writestr(_entry(name), clean, zipfile.ZIP_DEFLATED)
                kept[name] = types.get(name, "") or "image/png"
        for folder in sorted({n.split("/", 1)[0] + "/" for n in kept if n.startswith("Object ")}):
            kept[folder] = types.get(folder, "") or "application/vnd.oasis.opendocument.chart"
        target.writestr(_entry(MANIFEST_PART), _manifest(media_type, kept), zipfile.ZIP_DEFLATED)
    lost = [f"the embedded file {name}" for name in sorted(names - set(kept)) if _member(name)]
    return out.getvalue(), lost
