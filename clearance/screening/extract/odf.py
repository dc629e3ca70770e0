"""OpenDocument (ODT, ODS, ODP and their templates): every part the package holds, found by walking
``META-INF/manifest.xml`` and the zip directory (a part missing from the manifest is still read).

- XML parts (content, styles with headers, footers and master pages, meta, settings, the
  content and styles of embedded ``Object N/`` sub-documents, anything else in XML) are parsed
  with ``defusedxml``: their text, frames and text boxes, notes, speaker notes, annotations
  (``office:annotation``), tracked changes (``text:tracked-changes``, deleted text included),
  hidden text and the text-bearing attributes (cell string values, formulas, titles,
  descriptions, links). Annotations, tracked changes and metadata are screened as parts of
  their own and raise the policy's metadata observations.
- Text set in a legacy Vietnamese font (TCVN3 ``.VnTime``, VNI ``VNI-Times``) is converted to
  Unicode by the font of its style (``style:font-name`` -> ``style:font-face``), with the
  style's parents followed.
- Pictures and other embedded files go to the engine as embedded files (images are read by the
  image extractor); a part that is neither XML nor a file the engine reads is ``uninspected``.
- Macros (``Basic/``, ``Scripts/``) are refused; encrypted parts hold the file.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as DET

from clearance.screening import legacy_vn
from clearance.screening.extract.base import Embedded, Extraction
from clearance.screening.extract.safezip import SafeZip
from clearance.screening.limits import Budget, Held, Refused
from clearance.screening.metadata import observe_xmp_gps
from clearance.screening.rules import MetadataKind

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
XLINK = "http://www.w3.org/1999/xlink"
DC = "http://purl.org/dc/elements/1.1/"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"

MANIFEST_PART = "META-INF/manifest.xml"
# Files the engine screens as embedded files of their own (by their extension).
EMBEDDABLE = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".svg", ".pdf", ".txt",
     ".html", ".htm", ".docx", ".xlsx", ".odt", ".ods", ".odp", ".rtf", ".eml", ".zip"}
)  # fmt: skip
NUMBER = "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
# a number style's literal text (what a cell shows around its number) stands on its own line
_BREAKS = (
    {f"{{{TEXT}}}{tag}" for tag in ("p", "h", "line-break", "list-item")}
    | {f"{{{NUMBER}}}text"}
    | {f"{{urn:oasis:names:tc:opendocument:xmlns:table:1.0}}{tag}" for tag in ("table-cell",)}
)
_STYLE_ATTRIBUTES = (
    f"{{{TEXT}}}style-name",
    "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}style-name",
    "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}text-style-name",
    "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}style-name",
    "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}style-name",
)
# Attributes whose values a reader sees or a program shows (cell values, formulas, link
# targets, titles, conditions of conditional text).
_TEXT_ATTRIBUTES = re.compile(
    r"\}(string-value|formula|title|description|href|condition|string-value-if-true|"
    r"string-value-if-false|label|value|name|display-name|current-value)$"
)
# Metadata fields (title, keywords, creator...): each value on a line of its own.
_FIELD_NAMESPACES = (f"{{{DC}}}", f"{{{META}}}")
_HIDDEN = {f"{{{TEXT}}}{tag}" for tag in ("hidden-text", "hidden-paragraph", "conditional-text")}
_ANNOTATION = f"{{{OFFICE}}}annotation"
_TRACKED = f"{{{TEXT}}}tracked-changes"
_BINARY = f"{{{OFFICE}}}binary-data"  # a picture inside a flat ODF document (base64)
_SKIP_CHILDREN = {_ANNOTATION, _TRACKED, _BINARY}
_MACRO_DIRECTORIES = ("Basic/", "Scripts/")
_MACRO_CODE = {"library-embedded", "module", "source-code"}  # Basic kept inside the XML
_ACTIVE = {"event-listener"}  # script:event-listener, presentation:event-listener


@dataclass(slots=True)
class _Fonts:
    """Which legacy encoding each style's text is in (``None``: Unicode)."""

    faces: dict[str, str] = field(default_factory=dict)  # font-face name -> family
    style_font: dict[str, str] = field(default_factory=dict)  # style name -> font name/family
    parents: dict[str, str] = field(default_factory=dict)
    default: str | None = None  # the font of style:default-style (paragraphs), if any

    def default_encoding(self) -> str | None:
        if self.default is None:
            return None
        return legacy_vn.encoding_for_font(self.faces.get(self.default, self.default))

    def read(self, root: Element) -> None:
        for default in root.iter(f"{{{STYLE}}}default-style"):
            if default.get(f"{{{STYLE}}}family") not in ("paragraph", None):
                continue
            for props in default.iter(f"{{{STYLE}}}text-properties"):
                font = props.get(f"{{{STYLE}}}font-name") or props.get(f"{{{FO}}}font-family")
                self.default = font or self.default
        for face in root.iter(f"{{{STYLE}}}font-face"):
            name = face.get(f"{{{STYLE}}}name")
            family = face.get(f"{{{SVG}}}font-family")
            if name:
                self.faces[name] = (family or name).strip("'\"")
        for style in root.iter(f"{{{STYLE}}}style"):
            name = style.get(f"{{{STYLE}}}name")
            if not name:
                continue
            parent = style.get(f"{{{STYLE}}}parent-style-name")
            if parent:
                self.parents[name] = parent
            for props in style.iter(f"{{{STYLE}}}text-properties"):
                font = props.get(f"{{{STYLE}}}font-name") or props.get(f"{{{FO}}}font-family")
                if font:
                    self.style_font[name] = font

    def encoding(self, style: str, inherited: str | None) -> str | None:
        """The encoding of text in ``style``: its font's (or its parents'), else ``inherited``
        (a style that names no font keeps the font of the text around it)."""
        seen: set[str] = set()
        current: str | None = style
        while current is not None and current not in seen:
            seen.add(current)
            font = self.style_font.get(current)
            if font is not None:
                return legacy_vn.encoding_for_font(self.faces.get(font, font))
            current = self.parents.get(current)
        return inherited


@dataclass(slots=True)
class _Walk:
    fonts: _Fonts
    budget: Budget
    body: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    hidden: bool = False
    legacy: set[str] = field(default_factory=set)
    count: int = 0

    def _text(self, text: str | None, encoding: str | None, into: list[str]) -> None:
        if not text:
            return
        if encoding is not None:
            self.legacy.add(encoding)
            text = legacy_vn.convert(text, encoding)
        into.append(text)

    def walk(self, element: Element, encoding: str | None, into: list[str]) -> None:
        self.count += 1
        if self.count % 5000 == 0:
            self.budget.check()
        for attribute in _STYLE_ATTRIBUTES:
            style = element.get(attribute)
            if style is not None:
                encoding = self.fonts.encoding(style, encoding)
                break
        if element.tag in _HIDDEN:
            self.hidden = True
        for name, value in element.attrib.items():
            if _TEXT_ATTRIBUTES.search(name) and value.strip() and "style-name" not in name:
                self.attributes.append(value)
        tag = element.tag
        if tag == f"{{{TEXT}}}s":
            into.append(" " * int(element.get(f"{{{TEXT}}}c", "1") or 1))
        elif tag == f"{{{TEXT}}}tab":
            into.append("\t")
        self._text(element.text, encoding, into)
        for child in element:
            if child.tag in _SKIP_CHILDREN:
                continue  # read as parts of their own
            apart = child.tag in _BREAKS or child.tag.startswith(_FIELD_NAMESPACES)
            if apart:
                into.append("\n")  # a paragraph inside a note or frame stands on its own line
            self.walk(child, encoding, into)
            if apart:
                into.append("\n")
            self._text(child.tail, encoding, into)


def _manifest(zf: SafeZip) -> dict[str, str]:
    """full-path -> media type of every manifest entry; encrypted entries hold the file."""
    if MANIFEST_PART not in zf.infos:
        raise Held("the OpenDocument package has no META-INF/manifest.xml; re-save it")
    root = DET.fromstring(zf.read(MANIFEST_PART), forbid_dtd=True)
    entries: dict[str, str] = {}
    for entry in root.iter(f"{{{MANIFEST}}}file-entry"):
        path = entry.get(f"{{{MANIFEST}}}full-path", "")
        if entry.find(f"{{{MANIFEST}}}encryption-data") is not None:
            raise Held(f"the part {path} is encrypted (password-protected document)")
        entries[path] = entry.get(f"{{{MANIFEST}}}media-type", "")
    return entries


def _is_xml(name: str, media_type: str, head: bytes) -> bool:
    return (
        name.endswith((".xml", ".rdf"))
        or media_type.endswith("xml")
        or head.lstrip().startswith(b"<?xml")
    )


def _sections(root: Element) -> Iterator[tuple[str, str, list[Element]]]:
    yield "annotations", "comments", list(root.iter(_ANNOTATION))
    yield "tracked changes", "tracked", list(root.iter(_TRACKED))


def read_odf_xml(
    name: str,
    data: bytes,
    fonts: _Fonts,
    budget: Budget,
    out: Extraction,
    *,
    metadata: bool | None = None,
) -> None:
    """Read one XML part of an OpenDocument package (or a flat ODF document) into ``out``;
    ``metadata`` says whether a reader sees it (default: by its name, meta.xml, settings.xml)."""
    budget.check()
    root = DET.fromstring(data, forbid_dtd=True)
    walk = _Walk(fonts, budget)
    walk.walk(root, fonts.default_encoding(), walk.body)
    method = "xml" if not walk.legacy else "xml (" + ", ".join(sorted(walk.legacy)) + ")"
    hidden_from_reader = (
        PurePosixPath(name).name in ("meta.xml", "settings.xml", "manifest.rdf")
        if metadata is None
        else metadata
    )
    out.text(name, "".join(walk.body), method=method, metadata=hidden_from_reader)
    observe_xmp_gps(out, name, data.decode("utf-8", "replace"))
    if walk.hidden:
        out.observe(MetadataKind.HIDDEN_CONTENT, name, "hidden or conditional text")
    for label, kind, elements in _sections(root):
        if not elements:
            continue
        chunks: list[str] = []
        for element in elements:
            inner = _Walk(fonts, budget)
            inner.walk(element, fonts.default_encoding(), inner.body)
            chunks.append("".join(inner.body))
            walk.attributes.extend(inner.attributes)
        if kind == "comments":
            out.observe(MetadataKind.COMMENTS, name, "annotations (office:annotation)")
        else:
            out.observe(MetadataKind.TRACKED_CHANGES, name, "tracked changes")
        out.text(f"{name} {label}", "\n".join(chunks), method="xml", metadata=True)
    out.text(f"{name} attributes", "\n".join(walk.attributes), method="xml")
    code = {
        element.tag.rsplit("}", 1)[-1]
        for tag in ("scripts", "event-listeners")
        for container in root.iter(f"{{{OFFICE}}}{tag}")
        for element in container.iter()
    }
    if code & _MACRO_CODE:
        raise Refused(f"the document contains macros ({name}); save it without them")
    # LibreOffice writes an empty Basic library container in every document: not active content
    if code & _ACTIVE:
        out.observe(MetadataKind.ACTIVE_CONTENT, name, "scripts or event listeners")
    if any(
        value.startswith(("http:", "https:", "ftp:", "//", "file:"))
        for element in root.iter()
        for key, value in element.attrib.items()
        if key == f"{{{XLINK}}}href"
    ):
        out.observe(MetadataKind.EXTERNAL_REFERENCES, name, "link to another host or file")
    if root.find(f".//{{{OFFICE}}}meta") is not None:
        _meta_observations(root, name, out)


def _meta_observations(root: Element, name: str, out: Extraction) -> None:
    if (
        root.find(f".//{{{META}}}initial-creator") is not None
        or root.find(f".//{{{DC}}}creator") is not None
    ):
        out.observe(MetadataKind.AUTHOR, name, "author or last editor recorded")
    described = any(
        root.find(f".//{{{ns}}}{tag}") is not None
        for ns, tag in ((DC, "title"), (DC, "subject"), (DC, "description"), (META, "keyword"),
                        (META, "user-defined"))
    )  # fmt: skip
    if described:
        out.observe(MetadataKind.DESCRIPTION, name, "title, subject, keywords or custom fields")


def font_map(zf: SafeZip, names: list[str]) -> _Fonts:
    """The styles of every styles/content part (fonts are declared in both)."""
    fonts = _Fonts()
    for name in names:
        if PurePosixPath(name).name in ("styles.xml", "content.xml"):
            fonts.read(DET.fromstring(zf.read(name), forbid_dtd=True))
    return fonts


def extract_odf(data: bytes, budget: Budget) -> Extraction:
    zf = SafeZip(data, budget)
    manifest = _manifest(zf)
    names = zf.names()
    for name in names:
        if name.startswith(_MACRO_DIRECTORIES) or manifest.get(name, "").endswith("basic"):
            raise Refused(f"the document contains macros ({name}); save it without them")
    fonts = font_map(zf, names)
    out = Extraction()
    for name in sorted(names, key=lambda n: (n != "content.xml", n)):
        if name.endswith("/"):
            out.covered(name, "structure")
            continue
        if name == "mimetype":
            out.covered(name, "structure", chars=len(zf.read(name)))
            continue
        media_type = manifest.get(name, "")
        content = zf.read(name)
        if _is_xml(name, media_type, content[:64]):
            read_odf_xml(name, content, fonts, budget, out)
        elif PurePosixPath(name).suffix.lower() in EMBEDDABLE:
            if not name.startswith(("Pictures/", "Thumbnails/")):
                out.observe(MetadataKind.EMBEDDED_FILES, name, "embedded file")
            out.embedded.append(Embedded(name, content))
        else:
            kind = media_type or "binary data"
            out.uninspected(name, f"{kind} is not a format the screener reads")
    for path in manifest:
        if path != "/" and not path.endswith("/") and path not in zf.infos:
            out.uninspected(path, "listed in the manifest but missing from the package")
    return out


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF8", ".gif"),
    (b"II*\x00", ".tif"), (b"MM\x00*", ".tif"), (b"BM", ".bmp"), (b"%PDF-", ".pdf"),
)  # fmt: skip
_METADATA_CHILDREN = {f"{{{OFFICE}}}meta", f"{{{OFFICE}}}settings"}


def picture_extension(data: bytes) -> str | None:
    return next((ext for signature, ext in _SIGNATURES if data.startswith(signature)), None)


def extract_flat_odf(data: bytes, budget: Budget) -> Extraction:
    """A flat OpenDocument file (.fodt, .fods, .fodp): one XML document holding what a package
    keeps in parts. Each top-level section is read as a part (meta and settings as metadata);
    pictures kept inline as base64 go to the engine as embedded files."""
    root = DET.fromstring(data, forbid_dtd=True)
    if root.tag != f"{{{OFFICE}}}document":
        raise Held("the flat OpenDocument file has no office:document root; re-save it")
    fonts = _Fonts()
    fonts.read(root)
    out = Extraction()
    for child in list(root):
        label = child.tag.rsplit("}", 1)[-1]
        wrapped = ET.tostring(_wrap(root, child), encoding="utf-8")
        read_odf_xml(label, wrapped, fonts, budget, out, metadata=child.tag in _METADATA_CHILDREN)
    for index, element in enumerate(root.iter(_BINARY), 1):
        try:
            blob = base64.b64decode("".join((element.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            out.uninspected(f"picture {index}", "inline picture data is not valid base64")
            continue
        extension = picture_extension(blob)
        if extension is None:
            out.uninspected(
                f"picture {index}", "inline picture in a format the screener cannot read"
            )
        else:
            out.embedded.append(Embedded(f"picture {index}{extension}", blob))
    return out


def _wrap(root: Element, child: Element) -> Element:
    """``child`` inside a copy of the root element (keeps the document's namespaces)."""
    shell = ET.Element(root.tag, dict(root.attrib))
    shell.append(child)
    return shell
