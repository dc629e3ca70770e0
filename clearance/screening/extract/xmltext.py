"""Text of an OOXML part as a reader can meet it, parsed incrementally from a stream through
``defusedxml`` (no DTDs, no entity expansion) with each element cleared once read.

:func:`markup_text` reads any XML part (WordprocessingML, DrawingML text boxes ``a:t`` and
``w:txbxContent`` in ``wps:txbx``/``v:textbox``, PresentationML, charts, SmartArt, comments,
custom XML, pivot caches...): every text node, every tail, and the attributes that carry words a
reader sees (WordArt ``v:textpath string``, alt text ``descr``/``title``, sheet and defined names,
data-validation prompts and errors, pivot items ``v``). Paragraph-like elements end a line; runs
inside a paragraph are joined without a separator, so a stamp split over runs is one word again.

:func:`sheet_text` reads a worksheet row by row (one line per row, cells joined by tabs): values,
formulas, inline strings, print headers and footers (``oddHeader``...), data-validation and
hyperlink texts. Rows are removed from the tree as soon as they are read, so a sheet of any size
needs the memory of one row.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import IO

import defusedxml.ElementTree as DET

from clearance.screening.limits import Budget, Held

TEXT_ATTRIBUTES = frozenset(
    {"string", "descr", "title", "name", "v", "prompt", "promptTitle", "error", "errorTitle",
     "caption", "display", "tooltip", "instr", "alt", "label"}
)  # fmt: skip
_RUN_TEXT = frozenset({"t", "delText", "instrText", "delInstrText"})
_LINE_END = frozenset({"p", "si", "tc", "br", "cr", "comment", "cm", "row", "txBody", "text"})
_CHECK_EVERY = 4096
_TAG = re.compile(r"<[^>]*>")
_ATTRIBUTE = re.compile(
    r"""(?:^|[\s:])(""" + "|".join(sorted(TEXT_ATTRIBUTES)) + r""")\s*=\s*(?:"([^"]*)"|'([^']*)')"""
)


_HEADER_FOOTER = frozenset(
    {"oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter"}
)
# Print header/footer codes (ECMA-376 18.3.1.46): &L &C &R sections, &"font,style", &12 size,
# &K colour, &P &N &D &T &Z &F &A &G fields, &B &I &U &E &S &X &Y &O &H toggles, && an ampersand.
_HEADER_CODE = re.compile(
    r'&(?:"[^"]*"|\d+|K[0-9A-Fa-f]{6}|K\d{2}[+-]\d{3}|[LCRPNDTZFAGBIUESXYOH])'
)


def header_footer_text(code: str) -> str:
    """What a print header or footer shows: sections on lines of their own, codes removed."""
    return _HEADER_CODE.sub("\n", code.replace("&&", "\x00")).replace("\x00", "&")


class MalformedPart(Held):
    """An XML part that does not parse; :func:`lenient_text` still reads its words."""


def lenient_text(data: bytes) -> str:
    """Words of a part that is not well-formed XML (legacy VML often is not): the text between
    tags and the text-bearing attributes, entities decoded."""
    source = data.decode("utf-8", "replace")
    words = [
        html.unescape(value)
        for m in _ATTRIBUTE.finditer(source)
        for value in m.groups()[1:]
        if value
    ]
    words.append(html.unescape(_TAG.sub("\n", source)))
    return "\n".join(w for w in words if w.strip())


StartHook = Callable[[str, dict[str, str]], None]


def _local(tag: str, cache: dict[str, str]) -> str:
    local = cache.get(tag)
    if local is None:
        local = cache[tag] = tag.rpartition("}")[2]
    return local


def _events(stream: IO[bytes], name: str) -> DET.iterparse:
    return DET.iterparse(stream, events=("start", "end"), forbid_dtd=True)


def markup_text(
    stream: IO[bytes], budget: Budget, name: str, on_start: StartHook | None = None
) -> str:
    """Every piece of text in the XML part ``name``; ``on_start(local_name, attributes)`` sees
    each element as it opens (for observations such as tracked changes or hidden slides)."""
    chunks: list[str] = []
    cache: dict[str, str] = {}
    count = 0
    try:
        for event, element in _events(stream, name):
            local = _local(element.tag, cache)
            if event == "start":
                attributes = element.attrib
                if attributes:
                    for key, value in attributes.items():
                        if _local(key, cache) in TEXT_ATTRIBUTES and value.strip():
                            chunks.append(value)
                            chunks.append("\n")
                if on_start is not None:
                    on_start(local, attributes)
                continue
            count += 1
            if count % _CHECK_EVERY == 0:
                budget.check()
            text = element.text
            if local in _RUN_TEXT:
                chunks.append(text or "")
            elif local == "tab":
                chunks.append("\t")
            elif text and text.strip():
                chunks.append(text)
                chunks.append("\n")
            for child in element:
                tail = child.tail
                if tail and tail.strip():
                    chunks.append(tail)
                    chunks.append("\n")
            if local in _LINE_END:
                chunks.append("\n")
            element.clear()
    except DET.ParseError as exc:
        raise MalformedPart(f"the part {name} is not well-formed XML ({exc})") from exc
    text = "".join(chunks)
    budget.spend(len(text))
    return text


def sheet_text(stream: IO[bytes], budget: Budget, name: str) -> str:
    """One line per row of worksheet ``name``; shared-string indexes are left to the
    shared-strings part, every other value is read."""
    rows: list[str] = []
    cells: list[str] = []
    extra: list[str] = []
    cache: dict[str, str] = {}
    cell_type = ""
    parent = None
    count = 0
    held = 0
    try:
        for event, element in _events(stream, name):
            local = _local(element.tag, cache)
            if event == "start":
                if local == "c":
                    cell_type = element.get("t", "")
                elif local == "sheetData":
                    parent = element
                elif local not in ("row", "v", "f", "is", "t", "r") and element.attrib:
                    for key, value in element.attrib.items():
                        if _local(key, cache) in TEXT_ATTRIBUTES and value.strip():
                            extra.append(value)
                continue
            if local == "v":
                if cell_type != "s" and element.text:
                    cells.append(element.text)
            elif local in ("f", "t"):
                if element.text:
                    cells.append(element.text)
            elif local == "row":
                line = "\t".join(cells)
                rows.append(line)
                held += len(line) + 1
                cells = []
                if parent is not None:
                    parent.clear()
                count += 1
                if count % _CHECK_EVERY == 0:
                    budget.spend(held)
                    held = 0
            elif local not in ("c", "is", "r", "rPr") and element.text and element.text.strip():
                text = element.text
                extra.append(header_footer_text(text) if local in _HEADER_FOOTER else text)
                if parent is None:
                    element.clear()
    except DET.ParseError as exc:
        raise MalformedPart(f"the worksheet {name} is not well-formed XML ({exc})") from exc
    budget.spend(held)
    if cells:
        rows.append("\t".join(cells))
    rows.extend(extra)
    return "\n".join(rows)
