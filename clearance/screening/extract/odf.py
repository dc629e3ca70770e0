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
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as DET

from clearance.screening import legacy_vn
from clearance.screening.extract.base import Embedded, Extraction
from clearance.screening.extract.safezip import SafeZip
from clearance.screening.extract.xmltext import (
    no_cycle_collection,
    sheet_chunks,
    stream_events,
)
from clearance.screening.limits import Budget, Held, Refused
from clearance.screening.metadata import xmp_has_gps
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
_DEFAULT_STYLE = f"{{{STYLE}}}default-style"
_FONT_FACE = f"{{{STYLE}}}font-face"
_STYLE_ELEMENT = f"{{{STYLE}}}style"
_TEXT_PROPERTIES = f"{{{STYLE}}}text-properties"
_BODY = f"{{{OFFICE}}}body"
_MASTER_STYLES = f"{{{OFFICE}}}master-styles"
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
    _cache: dict[tuple[str, str | None], str | None] = field(default_factory=dict)

    def default_encoding(self) -> str | None:
        if self.default is None:
            return None
        return legacy_vn.encoding_for_font(self.faces.get(self.default, self.default))

    def take(self, element: Element) -> None:
        """Learn from one closed element (a default style, a font face, a style)."""
        tag = element.tag
        if tag == _DEFAULT_STYLE:
            if element.get(f"{{{STYLE}}}family") not in ("paragraph", None):
                return
            for props in element.iter(_TEXT_PROPERTIES):
                font = props.get(f"{{{STYLE}}}font-name") or props.get(f"{{{FO}}}font-family")
                self.default = font or self.default
        elif tag == _FONT_FACE:
            name = element.get(f"{{{STYLE}}}name")
            family = element.get(f"{{{SVG}}}font-family")
            if name:
                self.faces[name] = (family or name).strip("'\"")
        elif tag == _STYLE_ELEMENT:
            name = element.get(f"{{{STYLE}}}name")
            if not name:
                return
            parent = element.get(f"{{{STYLE}}}parent-style-name")
            if parent:
                self.parents[name] = parent
            for props in element.iter(_TEXT_PROPERTIES):
                font = props.get(f"{{{STYLE}}}font-name") or props.get(f"{{{FO}}}font-family")
                if font:
                    self.style_font[name] = font
            self._cache.clear()

    def any_legacy(self) -> bool:
        """Whether any font the document declares or names is a legacy Vietnamese one."""
        names = {*self.faces.values(), *self.faces, *self.style_font.values()}
        if self.default:
            names.add(self.default)
        return any(legacy_vn.encoding_for_font(name) for name in names)

    def encoding(self, style: str, inherited: str | None) -> str | None:
        """The encoding of text in ``style``: its font's (or its parents'), else ``inherited``
        (a style that names no font keeps the font of the text around it)."""
        key = (style, inherited)
        if key not in self._cache:
            self._cache[key] = self._encoding(style, inherited)
        return self._cache[key]

    def _encoding(self, style: str, inherited: str | None) -> str | None:
        seen: set[str] = set()
        current: str | None = style
        while current is not None and current not in seen:
            seen.add(current)
            font = self.style_font.get(current)
            if font is not None:
                return legacy_vn.encoding_for_font(self.faces.get(font, font))
            current = self.parents.get(current)
        return inherited


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


_META_TAGS = frozenset(
    {f"{{{OFFICE}}}meta", f"{{{META}}}initial-creator", f"{{{DC}}}creator", f"{{{DC}}}title",
     f"{{{DC}}}subject", f"{{{DC}}}description", f"{{{META}}}keyword", f"{{{META}}}user-defined"}
)  # fmt: skip
_CODE_CONTAINERS = frozenset({f"{{{OFFICE}}}scripts", f"{{{OFFICE}}}event-listeners"})
_SPACE = f"{{{TEXT}}}s"
_TAB = f"{{{TEXT}}}tab"
_COUNT = f"{{{TEXT}}}c"
#: the most spaces one ``text:s`` gives: a longer run reads the same to the detectors, and a
#: few bytes of XML must not ask for gigabytes
MAX_SPACES = 64
_WHOLE_NUMBER = re.compile("[0-9]{1,12}")
_HREF = f"{{{XLINK}}}href"
_SECTION_LABELS = {_ANNOTATION: "annotations", _TRACKED: "tracked changes"}
_EXTERNAL = ("http:", "https:", "ftp:", "//", "file:")
# what an attribute is to the reader: 0 nothing, 1 words a reader sees, 2 a style, 3 a link
_PLAIN, _WORDS, _STYLED, _LINK = 0, 1, 2, 3


def spaces(element: Element, part: str) -> str:
    """The spaces a ``text:s`` element stands for: its ``text:c`` repeat count (one when there
    is none), at most ``MAX_SPACES``. A count that is not a whole number is a malformed part:
    :class:`Held`, naming the part and the attribute."""
    count = element.get(_COUNT)
    if count is None:
        return " "
    if not _WHOLE_NUMBER.fullmatch(count):
        if count.isascii() and count.isdigit():  # more than 12 digits: a whole number still
            return " " * MAX_SPACES
        shown = count[:40]
        raise Held(
            f"the part {part} is malformed: a space's repeat count text:c={shown!r} is not a "
            "whole number; re-save the document"
        )
    return " " * min(int(count), MAX_SPACES)


def _attribute_kind(name: str) -> int:
    if name in _STYLE_ATTRIBUTES:
        return _STYLED
    if "style-name" in name:
        return _PLAIN
    kind = _WORDS if _TEXT_ATTRIBUTES.search(name) else _PLAIN
    return _LINK if name == _HREF else kind


_COMPACT_AT = 1 << 16  # pieces of text gathered before they are joined into a block


@dataclass(slots=True)
class _Read:
    """What one XML part gave: its text as a reader meets it, its comments and tracked changes
    (each a list of chunks), the words in its attributes, and what was seen on the way."""

    body: list[str] = field(default_factory=list)
    sections: dict[str, list[list[str]]] = field(default_factory=dict)
    attributes: list[str] = field(default_factory=list)
    # ``body`` and ``attributes`` joined so far, a block at a time: millions of small strings
    # (a cell's line breaks and values) cost five times their text in memory
    body_blocks: list[str] = field(default_factory=list)
    attribute_blocks: list[str] = field(default_factory=list)
    legacy: set[str] = field(default_factory=set)
    hidden: bool = False
    code: set[str] = field(default_factory=set)
    external: bool = False
    tags: set[str] = field(default_factory=set)
    gps: bool = False

    def compact(self, at: int = _COMPACT_AT) -> None:
        """Join what was gathered into blocks once it counts ``at`` pieces (the lists are
        emptied in place: the reader's frames hold them)."""
        if len(self.body) >= at:
            self.body_blocks.append("".join(self.body))
            self.body.clear()
        if len(self.attributes) >= at:
            self.attribute_blocks.append("\n".join(self.attributes))
            self.attributes.clear()

    def text(self) -> str:
        """The body's text, joined once (kept as the one block)."""
        if len(self.body_blocks) != 1 or self.body:
            self.body_blocks = ["".join([*self.body_blocks, *self.body])]
            self.body.clear()
        return self.body_blocks[0]

    def attribute_text(self) -> str:
        return "\n".join([*self.attribute_blocks, *self.attributes])


def _stream_part(stream: IO[bytes], name: str, fonts: _Fonts, budget: Budget) -> _Read:
    """One XML part read as a stream (:func:`_stream_reads`)."""
    return _stream_reads(stream, name, fonts, budget)[0][1]


_ROW = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}table-row"
_CELL = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}table-cell"
_PARAGRAPH = f"{{{TEXT}}}p"
_CHECK_EVERY = 8192  # elements read between two looks at the budget


def _plain_cell(cell: Element, kinds: dict[str, int]) -> bool:
    """Whether a cell holds only paragraphs of plain text (no element inside them, no
    attribute on them but styles, which matter only with a legacy font)."""
    for paragraph in cell:
        if paragraph.tag != _PARAGRAPH or len(paragraph):
            return False
        for key in paragraph.attrib:
            kind = kinds.get(key)
            if kind is None:
                kind = kinds[key] = _attribute_kind(key)
            if kind != _STYLED:
                return False
    return True


@dataclass(slots=True)
class _Frame:
    """An element being read: where its text goes (None: not text), its encoding, whether it
    stands on a line of its own, whether it is inside scripts, its text taken, and the frame of
    its last child while that child may still be open."""

    element: Element
    own: list[str] | None
    encoding: str | None
    apart: bool
    code: bool
    text_done: bool = False
    child: _Frame | None = None


class _TreeReader:
    """The rule of :func:`_stream_reads` applied to finished elements of the tree ElementTree's
    C parser builds (no Python event per element): each element's text, then each child and the
    text after it, a child's line breaks, fonts, sections and attributes as the event loop took
    them (``tests/screening/odf_oracle.py`` keeps that loop as the reference). After each chunk
    fed to the parser, every element but the last child of each element on the open path is
    complete: it is read whole and removed, so the tree holds about one chunk of elements."""

    def __init__(
        self, name: str, fonts: _Fonts, budget: Budget, sections: bool, pictures: list[str] | None
    ) -> None:
        self.name = name
        self.read = _Read()
        self.reads = [(name, self.read)]
        self.fonts = fonts
        self.budget = budget
        self.sections = sections
        self.pictures = pictures
        self.legacy = fonts.any_legacy()
        self.default = fonts.default_encoding() if self.legacy else None
        self.kinds: dict[str, int] = {}
        self.count = 0
        self.next_check = _CHECK_EVERY
        # Rows read inline (:meth:`row`) where no legacy font can convert their text.
        self.plain_rows = not self.legacy

    def checked(self) -> None:
        self.budget.check()
        self.read.compact()
        self.next_check = self.count + _CHECK_EVERY

    def open(self, element: Element, parent: _Frame | None, depth: int) -> _Frame:
        """What the start of ``element`` does (``parent``'s text is taken by the caller)."""
        self.count += 1
        if self.count >= self.next_check:
            self.checked()
        tag = element.tag
        read = self.read
        target: list[str] | None
        if parent is None:
            target, encoding, code = read.body, self.default, False
        else:
            target, encoding, code = parent.own, parent.encoding, parent.code
        if self.sections and depth == 1:  # a section of a flat document
            read = self.read = _Read()
            self.reads.append((tag.rsplit("}", 1)[-1], read))
            target, encoding = read.body, self.default
        apart = False
        own: list[str] | None
        if tag in _SECTION_LABELS:
            chunk: list[str] = []
            read.sections.setdefault(_SECTION_LABELS[tag], []).append(chunk)
            own = chunk
            encoding = self.default
        elif tag == _BINARY:
            own = None
        else:
            own = target
            apart = tag in _BREAKS or tag.startswith(_FIELD_NAMESPACES)
        attributes = element.attrib
        if attributes:
            kinds = self.kinds
            for key, value in attributes.items():
                kind = kinds.get(key)
                if kind is None:
                    kind = kinds[key] = _attribute_kind(key)
                if kind == _PLAIN:
                    continue
                if kind == _STYLED:
                    if self.legacy:
                        encoding = self.fonts.encoding(value, encoding)
                    continue
                if value.strip():
                    read.attributes.append(value)
                if kind == _LINK and value.startswith(_EXTERNAL):
                    read.external = True
        if tag in _HIDDEN:
            read.hidden = True
        if tag in _META_TAGS:
            read.tags.add(tag)
        if tag in _CODE_CONTAINERS:
            code = True
        if code:
            read.code.add(tag.rsplit("}", 1)[-1])
        if own is not None:
            if apart:
                own.append("\n")
            if tag == _SPACE:
                own.append(spaces(element, self.name))
            elif tag == _TAB:
                own.append("\t")
        return _Frame(element, own, encoding, apart, code)

    def add(self, frame: _Frame, text: str | None) -> None:
        if text and frame.own is not None:
            encoding = frame.encoding
            if encoding:
                self.read.legacy.add(encoding)
                text = legacy_vn.convert(text, encoding)
            frame.own.append(text)

    def close(self, frame: _Frame, depth: int) -> None:
        """What is left of the complete element of ``frame``, to its end."""
        element = frame.element
        if frame.child is not None:
            self.close(frame.child, depth + 1)
            frame.child = None
            self.add(frame, element[0].tail)
            del element[0]
        if len(element):
            if not frame.text_done:
                frame.text_done = True
                self.add(frame, element.text)
            for child in element:
                self.child(child, frame, depth + 1)
                self.add(frame, child.tail)
            del element[:]
        elif not frame.text_done:
            self.add(frame, element.text)
        if frame.apart and frame.own is not None:
            frame.own.append("\n")
        if self.pictures is not None and element.tag == _BINARY:
            self.pictures.append(element.text or "")

    def child(self, element: Element, parent: _Frame, depth: int) -> None:
        """A complete ``element`` below ``parent``: a table row whole (:meth:`row`) when it
        can be, else element by element."""
        if element.tag == _ROW and self.plain_rows and parent.own is not None and not parent.code:
            self.row(element, parent, depth)
        else:
            self.close(self.open(element, parent, depth), depth)

    def row(self, element: Element, parent: _Frame, depth: int) -> None:
        """A complete table row with no legacy font around: each common cell (paragraphs of
        plain text, what a statistics sheet is made of) read inline, with what :meth:`open`
        and :meth:`close` would do for it; any other cell element by element."""
        frame = self.open(element, parent, depth)
        own = frame.own
        assert own is not None
        frame.text_done = True
        text = element.text
        if text:
            own.append(text)
        kinds = self.kinds
        words = self.read.attributes
        for cell in element:
            if cell.tag != _CELL or not _plain_cell(cell, kinds):
                self.child(cell, frame, depth + 1)
            else:
                self.count += 1 + len(cell)
                for key, value in cell.attrib.items():
                    kind = kinds.get(key)
                    if kind is None:
                        kind = kinds[key] = _attribute_kind(key)
                    if kind in (_WORDS, _LINK):
                        if value.strip():
                            words.append(value)
                        if kind == _LINK and value.startswith(_EXTERNAL):
                            self.read.external = True
                own.append("\n")
                text = cell.text
                if text:
                    own.append(text)
                for paragraph in cell:
                    own.append("\n")
                    text = paragraph.text
                    if text:
                        own.append(text)
                    own.append("\n")
                    text = paragraph.tail
                    if text:
                        own.append(text)
                own.append("\n")
                if self.count >= self.next_check:
                    self.checked()
            text = cell.tail
            if text:
                own.append(text)

    def advance(self, frame: _Frame, depth: int) -> None:
        """Read what is complete below the open element of ``frame``."""
        while True:
            element = frame.element
            count = len(element)
            if not count:
                return
            if not frame.text_done:
                frame.text_done = True
                self.add(frame, element.text)
            first = 0
            open_child = frame.child
            if open_child is not None:
                if count == 1:
                    frame, depth = open_child, depth + 1
                    continue
                self.close(open_child, depth + 1)
                frame.child = None
                self.add(frame, element[0].tail)
                first = 1
            for child in element[first : count - 1]:
                self.child(child, frame, depth + 1)
                self.add(frame, child.tail)
            if count > 1:
                del element[: count - 1]
            frame.child = self.open(element[0], frame, depth + 1)
            frame, depth = frame.child, depth + 1


def _stream_reads(
    stream: IO[bytes],
    name: str,
    fonts: _Fonts,
    budget: Budget,
    *,
    sections: bool = False,
    pictures: list[str] | None = None,
) -> list[tuple[str, _Read]]:
    """One XML part read as a stream, in document order: an element's text, then each child
    (a paragraph, a line break, a cell or a metadata field on a line of its own) and the text
    after it. A style's legacy font converts the text inside it (and is inherited); comments
    and tracked changes go to sections of their own (read with the document's default font);
    inline pictures are not text (with ``pictures``, their base64 text is collected there).
    So a 200 MB spreadsheet needs the memory of its text. The result is ``[(name, read)]``;
    with ``sections`` (a flat ODF document), each child of the root element is read as a part
    of its own, named by its local name (``meta``, ``styles``, ``body``), after the root's own
    text (under ``name``).

    The part is fed in chunks (:func:`~.xmltext.sheet_chunks`: no DTD, no entity, UTF-16 checked
    as text) to ElementTree's C parser building the tree with no event per element; after each
    chunk the complete elements are read (:class:`_TreeReader`) and removed. The bytes are also
    looked at for XMP GPS (markup, not text)."""
    reader = _TreeReader(name, fonts, budget, sections, pictures)
    parser = ET.XMLParser(target=ET.TreeBuilder())  # noqa: S314 (guarded: sheet_chunks)
    started: list[tuple[str, Element]] = []
    parser._setevents(started, ("start",))  # type: ignore[attr-defined]
    root: _Frame | None = None
    tail = b""
    try:
        for chunk in sheet_chunks(stream, name):
            if not reader.read.gps:
                window = tail + chunk
                if b"gps" in window.lower() and xmp_has_gps(window.decode("utf-8", "replace")):
                    reader.read.gps = True  # the part (or section) being read
                tail = chunk[-64:]
            parser.feed(chunk)
            if root is None:
                if not started:
                    continue
                root = reader.open(started[0][1], None, 0)
                parser._setevents(started, ())  # type: ignore[attr-defined]
                started.clear()
            reader.advance(root, 0)
        parser.close()
    except ET.ParseError as exc:
        raise Held(f"the part {name} is not well-formed XML ({exc})") from exc
    except RecursionError:
        raise Held(f"the part {name} nests its elements too deeply to be read") from None
    if root is not None:
        reader.close(root, 0)
    return reader.reads


def read_odf_part(
    zf: SafeZip, name: str, fonts: _Fonts, out: Extraction, *, metadata: bool | None = None
) -> None:
    """Read the XML part ``name`` of a package into ``out``, streamed from the zip (its bytes
    count against the streaming allowance, never held whole)."""
    zf.budget.check()
    with zf.stream(name) as stream, no_cycle_collection():
        read = _stream_part(stream, name, fonts, zf.budget)
    zf.budget.spend(len(read.text()))  # the text is held: it counts as memory
    _record(name, read, out, metadata)


def _record(name: str, read: _Read, out: Extraction, metadata: bool | None) -> None:
    """What a part gave, into ``out``: its text, sections and attributes (metadata when a
    reader does not see it: by default meta.xml, settings.xml), and the observations."""
    text = read.text()
    method = "xml" if not read.legacy else "xml (" + ", ".join(sorted(read.legacy)) + ")"
    hidden_from_reader = (
        PurePosixPath(name).name in ("meta.xml", "settings.xml", "manifest.rdf")
        if metadata is None
        else metadata
    )
    out.text(name, text, method=method, metadata=hidden_from_reader)
    if read.gps:
        out.observe(MetadataKind.GPS, name, "GPS position recorded in XMP metadata")
    if read.hidden:
        out.observe(MetadataKind.HIDDEN_CONTENT, name, "hidden or conditional text")
    for label, chunks in read.sections.items():
        if label == "annotations":
            out.observe(MetadataKind.COMMENTS, name, "annotations (office:annotation)")
        else:
            out.observe(MetadataKind.TRACKED_CHANGES, name, "tracked changes")
        joined = "\n".join("".join(chunk) for chunk in chunks)
        out.text(f"{name} {label}", joined, method="xml", metadata=True)
    out.text(f"{name} attributes", read.attribute_text(), method="xml")
    if read.code & _MACRO_CODE:
        raise Refused(f"the document contains macros ({name}); save it without them")
    # LibreOffice writes an empty Basic library container in every document: not active content
    if read.code & _ACTIVE:
        out.observe(MetadataKind.ACTIVE_CONTENT, name, "scripts or event listeners")
    if read.external:
        out.observe(MetadataKind.EXTERNAL_REFERENCES, name, "link to another host or file")
    if f"{{{OFFICE}}}meta" in read.tags:
        _meta_observations(read.tags, name, out)


def _meta_observations(tags: set[str], name: str, out: Extraction) -> None:
    if f"{{{META}}}initial-creator" in tags or f"{{{DC}}}creator" in tags:
        out.observe(MetadataKind.AUTHOR, name, "author or last editor recorded")
    described = any(
        f"{{{ns}}}{tag}" in tags
        for ns, tag in ((DC, "title"), (DC, "subject"), (DC, "description"), (META, "keyword"),
                        (META, "user-defined"))
    )  # fmt: skip
    if described:
        out.observe(MetadataKind.DESCRIPTION, name, "title, subject, keywords or custom fields")


def font_map(zf: SafeZip, names: list[str]) -> _Fonts:
    """The styles of every styles/content part (fonts are declared in both), streamed."""
    fonts = _Fonts()
    for name in names:
        if PurePosixPath(name).name not in ("styles.xml", "content.xml"):
            continue
        with zf.stream(name) as stream:
            _take_fonts(stream, name, fonts)
    return fonts


def _take_fonts(stream: IO[bytes], name: str, fonts: _Fonts) -> str | None:
    """Learn the fonts of one XML part, read up to its body (``office:body``,
    ``office:master-styles``), where declarations end; the tag of its root element."""
    root: str | None = None
    for event, element in stream_events(stream, name):
        if event == "start":
            if root is None:
                root = element.tag
            if element.tag in (_BODY, _MASTER_STYLES):
                break
            continue
        fonts.take(element)
    return root


def _head(zf: SafeZip, name: str) -> bytes:
    with zf.stream(name) as stream:
        return stream.read(64)


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
        if _is_xml(name, media_type, _head(zf, name)):
            read_odf_part(zf, name, fonts, out)
            continue
        content = zf.read(name)
        if PurePosixPath(name).suffix.lower() in EMBEDDABLE:
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


def picture_extension(data: bytes) -> str | None:
    return next((ext for signature, ext in _SIGNATURES if data.startswith(signature)), None)


def extract_flat_odf(data: bytes, budget: Budget) -> Extraction:
    """A flat OpenDocument file (.fodt, .fods, .fodp): one XML document holding what a package
    keeps in parts, read as a stream twice (its font declarations, then its text) with the
    per-element reading of the package's parts (:func:`_stream_reads`): each top-level section
    is read as a part (meta and settings as metadata); pictures kept inline as base64 go to the
    engine as embedded files. The memory it needs is that of the text, not of a tree."""
    fonts = _Fonts()
    root = _take_fonts(io.BytesIO(data), "document", fonts)
    if root != f"{{{OFFICE}}}document":
        raise Held("the flat OpenDocument file has no office:document root; re-save it")
    out = Extraction()
    pictures: list[str] = []
    budget.open_stream(len(data))  # parsed as a stream like a package's parts: the same time
    budget.stream(len(data))
    with no_cycle_collection():
        reads = _stream_reads(
            io.BytesIO(data), "document", fonts, budget, sections=True, pictures=pictures
        )
    for label, read in reads:
        if label == "document" and not read.text().strip() and not read.attribute_text():
            continue  # the root's own text: only the white space between sections
        budget.spend(len(read.text()))
        _record(label, read, out, label in ("meta", "settings"))
    for index, encoded in enumerate(pictures, 1):
        try:
            blob = base64.b64decode("".join(encoded.split()), validate=True)
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
