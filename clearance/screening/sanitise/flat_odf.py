"""Flat OpenDocument derivative (.fodt, .fods, .fodp), written as a stream whatever the size.

What is dropped (one rule with the packaged documents: :data:`~.odf.DROPPED_ELEMENTS`):
annotations, tracked changes and hidden text (their tails kept, as text that follows them);
the top-level ``office:meta`` and ``office:settings`` sections; comments and processing
instructions; inline pictures (``office:binary-data``) are re-encoded by the image sanitiser,
and one that cannot be decoded is dropped.

The document is read twice with the guarded streaming parser
(:func:`~clearance.screening.extract.xmltext.stream_events`), each element let go once it is
written, so the memory needed is that of the deepest open element and of one row, not of a
tree (the tree took nine times the file's size and more):

1. a plan: the namespaces the kept elements use, in the order ElementTree would meet them,
   and each inline picture's cleaned data;
2. the writing, in ElementTree's own serialisation (its prefixes, the namespace declarations
   on the root sorted by prefix, ``<empty />`` elements, its escaping), so the derivative of a
   document is byte for byte what the tree-building sanitiser gave
   (``tests/screening/flat_odf_oracle.py`` keeps that one as the reference).
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, cast
from xml.etree import ElementTree as ET

from clearance.screening.extract.odf import OFFICE
from clearance.screening.extract.xmltext import Event, stream_events
from clearance.screening.rules import Limits
from clearance.screening.sanitise.image import sanitise_image
from clearance.screening.sanitise.odf import DROPPED_ELEMENTS

_BINARY = f"{{{OFFICE}}}binary-data"
_SECTIONS_DROPPED = frozenset({f"{{{OFFICE}}}meta", f"{{{OFFICE}}}settings"})  # with their tails
_EVENTS: tuple[Event, ...] = ("start-ns", "start", "end")
_FLUSH = 1 << 16  # characters written in one go

# What happens to an element: kept, dropped with its tail kept (the text after it stays), or
# dropped with its tail (a top-level section, a picture that cannot be decoded: as the tree's
# ``remove`` did).
_KEEP, _DROP, _DROP_WITH_TAIL = 0, 1, 2


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(value: str) -> str:
    return (
        _escape_text(value)
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
        .replace("\n", "&#10;")
        .replace("\t", "&#09;")
    )


def _clean_picture(text: str | None) -> str | None:
    """The picture's base64 as the image sanitiser rebuilds it, or None when it cannot be read."""
    try:
        blob = base64.b64decode("".join((text or "").split()), validate=True)
        clean = sanitise_image(blob, max_frames=Limits().max_pages).data
    except (binascii.Error, ValueError, OSError):
        return None
    return base64.b64encode(clean).decode("ascii")


@dataclass(slots=True)
class _Names:
    """ElementTree's naming of a tree's qualified names: the prefix a namespace was registered
    with (the document's own prefixes registered first, as the tree-building sanitiser did,
    here on a copy of the registry: nothing global changes), else ``ns0``, ``ns1``..."""

    registry: dict[str, str]
    qnames: dict[str, str] = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)  # uri -> prefix, declared on the root

    def register(self, prefix: str, uri: str) -> None:
        if not prefix or prefix.startswith("ns"):
            return
        for known, value in list(self.registry.items()):
            if known == uri or value == prefix:
                del self.registry[known]
        self.registry[uri] = prefix

    def add(self, clark: str) -> None:
        if clark in self.qnames:
            return
        if clark[:1] != "{":
            self.qnames[clark] = clark
            return
        uri, local = clark[1:].rsplit("}", 1)
        prefix = self.namespaces.get(uri)
        if prefix is None:
            prefix = self.registry.get(uri)
            if prefix is None:
                prefix = f"ns{len(self.namespaces)}"
            if prefix != "xml":
                self.namespaces[uri] = prefix
        self.qnames[clark] = f"{prefix}:{local}" if prefix else local


def _fate(element: ET.Element, depth: int) -> int:
    if element.tag in DROPPED_ELEMENTS:
        return _DROP
    if depth == 1 and element.tag in _SECTIONS_DROPPED:
        return _DROP_WITH_TAIL
    return _KEEP


def _events(source: IO[bytes]) -> Iterator[tuple[str, object]]:
    return cast(Iterator[tuple[str, object]], stream_events(source, "document", _EVENTS))


def _plan(source: IO[bytes]) -> tuple[_Names, list[str | None]]:
    """First reading: the qualified names of the kept elements in document order and each
    kept inline picture's cleaned data (None: dropped)."""
    # ElementTree's registry of prefixes, copied (the tree-building sanitiser added to it)
    names = _Names(dict(ET._namespace_map))  # type: ignore[attr-defined]
    order: list[str] = []
    pictures: list[str | None] = []
    held: list[str] | None = None  # names met inside a picture: kept only if the picture is
    stack: list[ET.Element] = []
    dropping = 0
    picture_depth = 0
    for event, item in _events(source):
        if event == "start-ns":
            prefix, uri = cast(tuple[str, str], item)
            names.register(prefix, uri)
            continue
        element = cast(ET.Element, item)
        if event == "start":
            stack.append(element)
            if dropping or _fate(element, len(stack) - 1) != _KEEP:
                dropping += 1
                continue
            if picture_depth:
                picture_depth += 1
            elif element.tag == _BINARY and len(stack) > 1:
                picture_depth, held = 1, []
            into = held if held is not None else order
            into.append(element.tag)
            into.extend(element.attrib)
            continue
        stack.pop()
        if dropping:
            dropping -= 1
        elif picture_depth:
            picture_depth -= 1
            if not picture_depth and held is not None:
                cleaned = _clean_picture(element.text)
                pictures.append(cleaned)
                if cleaned is not None:
                    order.extend(held)
                held = None
        if not picture_depth and stack:
            stack[-1].remove(element)  # its parent keeps no finished child
    for clark in order:
        names.add(clark)
    return names, pictures


class _Writer:
    """Second reading: the kept elements written in ElementTree's serialisation."""

    def __init__(self, sink: IO[bytes], names: _Names, pictures: list[str | None]) -> None:
        self._sink = sink
        self._names = names.qnames
        self._namespaces = names.namespaces
        self._pictures = iter(pictures)
        self._buffer: list[str] = []
        self._size = 0
        self._open_tag = False  # the last start tag written still lacks its ">"

    def write(self, text: str) -> None:
        self._buffer.append(text)
        self._size += len(text)
        if self._size >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        self._sink.write("".join(self._buffer).encode("utf-8"))
        self._buffer, self._size = [], 0

    def chars(self, text: str | None) -> None:
        if text:
            self.content()
            self.write(_escape_text(text))

    def content(self) -> None:
        """The open element gets content: its start tag is closed."""
        if self._open_tag:
            self._open_tag = False
            self.write(">")

    def start(self, element: ET.Element, root: bool) -> None:
        self.content()
        pieces = [f"<{self._names[element.tag]}"]
        if root:
            for uri, prefix in sorted(self._namespaces.items(), key=lambda item: item[1]):
                pieces.append(f' xmlns{":" + prefix if prefix else ""}="{_escape_attribute(uri)}"')
        for key, value in element.attrib.items():
            pieces.append(f' {self._names[key]}="{_escape_attribute(value)}"')
        self.write("".join(pieces))
        self._open_tag = True

    def end(self, element: ET.Element) -> None:
        if self._open_tag:
            self._open_tag = False
            self.write(" />")
        else:
            self.write(f"</{self._names[element.tag]}>")

    def picture(self, element: ET.Element) -> int:
        """A whole inline picture (held until its end): its cleaned data, or dropped."""
        cleaned = next(self._pictures)
        if cleaned is None:
            return _DROP_WITH_TAIL
        self.start(element, False)
        self.chars(cleaned)
        self._subtree_children(element)
        self.end(element)
        return _KEEP

    def _subtree_children(self, parent: ET.Element) -> None:
        """The children of a held element, with the same drops (tails of dropped ones kept)."""
        for child in parent:
            if child.tag in DROPPED_ELEMENTS:
                self.chars(child.tail)
                continue
            self.start(child, False)
            self.chars(child.text)
            self._subtree_children(child)
            self.end(child)
            self.chars(child.tail)

    def run(self, source: IO[bytes]) -> None:
        self.write("<?xml version='1.0' encoding='UTF-8'?>\n")
        elements: list[ET.Element] = []
        text_done: list[bool] = []
        previous: list[tuple[ET.Element, bool] | None] = []  # a finished child, its tail kept?
        # after a picture dropped with its tail, the tails of the dropped elements that follow
        # it went into that tail (the tree's order: tails joined, then pictures removed)
        lost: list[bool] = []
        dropping = 0  # depth inside a dropped element
        picture = 0  # depth inside an inline picture (written whole at its end)
        for event, item in _events(source):
            if event == "start-ns":
                continue
            element = cast(ET.Element, item)
            if event == "start":
                if picture:
                    picture += 1
                    continue
                if elements:
                    parent = elements[-1]
                    if not text_done[-1]:
                        text_done[-1] = True
                        if not dropping:
                            self.chars(parent.text)
                    done = previous[-1]
                    if done is not None:
                        previous[-1] = None
                        if done[1] and not dropping:
                            self.chars(done[0].tail)
                        parent.remove(done[0])
                fate = _KEEP if dropping else _fate(element, len(elements))
                if dropping or fate != _KEEP:
                    dropping += 1
                elif element.tag == _BINARY and elements:
                    picture = 1
                else:
                    self.start(element, not elements)
                elements.append(element)
                text_done.append(False)
                previous.append(None)
                lost.append(False)
                continue
            if picture > 1:
                picture -= 1
                continue
            elements.pop()
            done_text = text_done.pop()
            done = previous.pop()
            lost.pop()
            tail_kept = True
            if picture:
                picture = 0
                tail_kept = self.picture(element) == _KEEP
                lost[-1] = not tail_kept
            elif dropping:
                dropping -= 1
                fate = _fate(element, len(elements))
                tail_kept = dropping > 0 or (fate == _DROP and not (lost and lost[-1]))
            else:
                if lost:
                    lost[-1] = False
                if not done_text:
                    self.chars(element.text)
                if done is not None and done[1]:
                    self.chars(done[0].tail)
                self.end(element)
            if done is not None:
                element.remove(done[0])
            if previous:
                previous[-1] = (element, tail_kept)
            else:
                element.clear()
        self.flush()


def write_flat_odf(source: bytes, sink: IO[bytes]) -> None:
    """The derivative of the flat document ``source`` written to ``sink``."""
    names, pictures = _plan(io.BytesIO(source))
    _Writer(sink, names, pictures).run(io.BytesIO(source))


def sanitise_flat_odf(data: bytes) -> bytes:
    """The derivative of a flat OpenDocument file, of any size (see the module's text)."""
    out = io.BytesIO()
    write_flat_odf(data, out)
    return out.getvalue()
