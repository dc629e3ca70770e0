"""The event loop that read OpenDocument XML parts before the tree reader (one Python step per
start and end event), kept as the reference: ``clearance.screening.extract.odf._stream_reads``
must give what this gives (``tests/screening/test_odf_reader.py``)."""

from __future__ import annotations

from typing import IO
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element

from clearance.screening import legacy_vn
from clearance.screening.extract.odf import (
    _BINARY,
    _BREAKS,
    _CODE_CONTAINERS,
    _EXTERNAL,
    _FIELD_NAMESPACES,
    _HIDDEN,
    _LINK,
    _META_TAGS,
    _PLAIN,
    _SECTION_LABELS,
    _SPACE,
    _STYLED,
    _TAB,
    _attribute_kind,
    _Fonts,
    _Read,
    spaces,
)
from clearance.screening.extract.xmltext import stream_events
from clearance.screening.limits import Budget, Held
from clearance.screening.metadata import xmp_has_gps


def stream_reads(
    stream: IO[bytes],
    name: str,
    fonts: _Fonts,
    budget: Budget,
    *,
    sections: bool = False,
    pictures: list[str] | None = None,
) -> list[tuple[str, _Read]]:
    """One XML part read as a stream (:func:`~.xmltext.stream_events`, elements dropped as soon
    as their text and tail are taken), in document order: an element's text, then each child
    (a paragraph, a line break, a cell or a metadata field on a line of its own) and the text
    after it. A style's legacy font converts the text inside it (and is inherited); comments
    and tracked changes go to sections of their own (read with the document's default font);
    inline pictures are not text (with ``pictures``, their base64 text is collected there).
    So a 200 MB spreadsheet needs the memory of its text. The result is ``[(name, read)]``;
    with ``sections`` (a flat ODF document), each child of the root element is read as a part
    of its own, named by its local name (``meta``, ``styles``, ``body``), after the root's own
    text (under ``name``)."""
    read = _Read()
    reads = [(name, read)]
    legacy = fonts.any_legacy()
    default = fonts.default_encoding() if legacy else None
    kinds: dict[str, int] = {}
    sniffed = [b""]

    def sniff(data: bytes) -> None:  # XMP GPS is markup: looked for in the bytes
        if not read.gps:
            window = sniffed[0] + data
            if b"gps" in window.lower() and xmp_has_gps(window.decode("utf-8", "replace")):
                read.gps = True
            sniffed[0] = data[-64:]

    # one frame per open element: the element, its encoding, where its text goes (None: not
    # text), whether it stands on a line of its own, its text taken, its last closed child
    elements: list[Element] = []
    encodings: list[str | None] = []
    targets: list[list[str] | None] = []
    aparts: list[bool] = []
    texts_done: list[bool] = []
    pending: list[Element | None] = []
    code_depth = 0
    count = 0
    convert = legacy_vn.convert
    body = read.body
    try:
        for event, element in stream_events(stream, name, on_bytes=sniff):
            if event == "start":
                tag = element.tag
                count += 1
                if count % 8192 == 0:
                    budget.check()
                    read.compact()
                if elements:
                    parent = elements[-1]
                    target = targets[-1]
                    encoding = encodings[-1]
                    if not texts_done[-1]:
                        texts_done[-1] = True
                        text = parent.text
                        if text and target is not None:
                            if encoding:
                                read.legacy.add(encoding)
                                text = convert(text, encoding)
                            target.append(text)
                    previous = pending[-1]
                    if previous is not None:
                        pending[-1] = None
                        text = previous.tail
                        if text and target is not None:
                            if encoding:
                                read.legacy.add(encoding)
                                text = convert(text, encoding)
                            target.append(text)
                        parent.remove(previous)
                else:
                    target, encoding = body, default
                if sections and len(elements) == 1:  # a section of a flat document
                    read = _Read()
                    reads.append((tag.rsplit("}", 1)[-1], read))
                    target, encoding = read.body, default
                apart = False
                if tag in _SECTION_LABELS:
                    chunk: list[str] = []
                    read.sections.setdefault(_SECTION_LABELS[tag], []).append(chunk)
                    own: list[str] | None = chunk
                    encoding = default
                elif tag == _BINARY:
                    own = None
                else:
                    own = target
                    apart = tag in _BREAKS or tag.startswith(_FIELD_NAMESPACES)
                attributes = element.attrib
                if attributes:
                    for key, value in attributes.items():
                        kind = kinds.get(key)
                        if kind is None:
                            kind = kinds[key] = _attribute_kind(key)
                        if kind == _PLAIN:
                            continue
                        if kind == _STYLED:
                            if legacy:
                                encoding = fonts.encoding(value, encoding)
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
                    code_depth += 1
                if code_depth:
                    read.code.add(tag.rsplit("}", 1)[-1])
                if own is not None:
                    if apart:
                        own.append("\n")
                    if tag == _SPACE:
                        own.append(spaces(element, name))
                    elif tag == _TAB:
                        own.append("\t")
                elements.append(element)
                encodings.append(encoding)
                targets.append(own)
                aparts.append(apart)
                texts_done.append(False)
                pending.append(None)
                continue
            elements.pop()
            encoding = encodings.pop()
            own = targets.pop()
            apart = aparts.pop()
            done = texts_done.pop()
            previous = pending.pop()
            if own is not None:
                if not done and element.text:
                    text = element.text
                    if encoding:
                        read.legacy.add(encoding)
                        text = convert(text, encoding)
                    own.append(text)
                if previous is not None and previous.tail:
                    text = previous.tail
                    if encoding:
                        read.legacy.add(encoding)
                        text = convert(text, encoding)
                    own.append(text)
                if apart:
                    own.append("\n")
            if previous is not None:
                element.remove(previous)
            if pictures is not None and element.tag == _BINARY:
                pictures.append(element.text or "")
            if element.tag in _CODE_CONTAINERS:
                code_depth -= 1
            if pending:
                pending[-1] = element
            else:
                element.clear()
    except ET.ParseError as exc:
        raise Held(f"the part {name} is not well-formed XML ({exc})") from exc
    return reads
