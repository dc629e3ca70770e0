"""Text of an OOXML part as a reader can meet it, parsed incrementally from a stream through
``defusedxml`` (no DTDs, no entity expansion) with each element cleared once read.

:func:`markup_text` reads any XML part (WordprocessingML, DrawingML text boxes ``a:t`` and
``w:txbxContent`` in ``wps:txbx``/``v:textbox``, PresentationML, charts, SmartArt, comments,
custom XML, pivot caches...): every text node, every tail, and the attributes that carry words a
reader sees (WordArt ``v:textpath string``, alt text ``descr``/``title``, sheet and defined names,
data-validation prompts and errors, pivot items ``v``). Paragraph-like elements end a line; runs
inside a paragraph are joined without a separator, so a stamp split over runs is one word again.
A run set in a legacy Vietnamese font (``.VnTime``, ``VNI-Times`` in ``w:rFonts`` or a DrawingML
``a:latin`` typeface) is converted to Unicode (:mod:`clearance.screening.legacy_vn`).

:func:`sheet_text` reads a worksheet row by row (one line per row, cells joined by tabs): values,
formulas, inline strings, print headers and footers (``oddHeader``...), data-validation and
hyperlink texts. Rows are removed from the tree as soon as they are read, so a sheet of any size
needs the memory of one row.
"""

from __future__ import annotations

import codecs
import gc
import html
import io
import re
import xml.etree.ElementTree as ET
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Literal

import defusedxml.ElementTree as DET

from clearance.screening import legacy_vn
from clearance.screening.extract.base import LazyLabels
from clearance.screening.limits import Budget, Held

TEXT_ATTRIBUTES = frozenset(
    {"string", "descr", "title", "name", "v", "prompt", "promptTitle", "error", "errorTitle",
     "caption", "display", "tooltip", "instr", "alt", "label", "formatCode"}
)  # fmt: skip
#: Attributes holding a number format, whose literal parts are shown in every cell using it.
_FORMAT_CODE = "formatCode"


def number_format_text(code: str) -> str:
    """What a number format shows besides the number: per section (``;``), its quoted strings,
    escaped characters and any character that is not a format token (a letter outside ASCII),
    one line each, so ``"TỐI MẬT "0`` reads as the line ``TỐI MẬT``."""
    lines: list[str] = []
    shown: list[str] = []
    index, length = 0, len(code)
    while index < length:
        char = code[index]
        if char == '"':
            end = code.find('"', index + 1)
            end = length if end < 0 else end
            shown.append(code[index + 1 : end])
            index = end + 1
            continue
        if char == "\\" or char in "_*":  # an escaped character; a space as wide as; a fill
            if char == "\\" and index + 1 < length:
                shown.append(code[index + 1])
            index += 2
            continue
        if char == "[":  # colour, condition or locale
            end = code.find("]", index)
            index = length if end < 0 else end + 1
            continue
        if char == ";":
            lines.append("".join(shown).strip())
            shown = []
        elif char == " " or not char.isascii():
            shown.append(char)
        index += 1
    lines.append("".join(shown).strip())
    return "\n".join(line for line in lines if line)


def _shown(local: str, value: str) -> str:
    """An attribute's value as a reader sees it (a number format: its literal text)."""
    return number_format_text(value) if local == _FORMAT_CODE else value


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
# Run fonts: WordprocessingML ``w:rFonts`` (ascii/hAnsi), DrawingML ``a:latin``/``a:cs`` typeface.
_RUN_FONT = frozenset({"rFonts", "latin"})
_FONT_ATTRIBUTES = ("ascii", "hAnsi", "typeface")


def _legacy_font(attributes: dict[str, str], cache: dict[str, str]) -> str | None:
    """The legacy Vietnamese encoding (TCVN3, VNI) a run's font names, if any."""
    for key, value in attributes.items():
        if _local(key, cache) in _FONT_ATTRIBUTES:
            encoding = legacy_vn.encoding_for_font(value)
            if encoding:
                return encoding
    return None


def _local(tag: str, cache: dict[str, str]) -> str:
    local = cache.get(tag)
    if local is None:
        local = cache[tag] = tag.rpartition("}")[2]
    return local


_CHUNK = 1 << 16
_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")
_UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")


Event = Literal["start", "end", "start-ns"]
_BOTH: tuple[Event, ...] = ("start", "end")
_END: tuple[Event, ...] = ("end",)


def stream_events(
    stream: IO[bytes],
    name: str,
    events: tuple[Event, ...] = _BOTH,
    on_bytes: Callable[[bytes], None] | None = None,
) -> Iterator[tuple[str, ET.Element]]:
    """``(event, element)`` pairs from ElementTree's C parser, read from ``stream`` as it goes.

    The protection of ``defusedxml`` at C speed: entities can only be declared in a DTD, so a part
    whose bytes hold a ``<!DOCTYPE`` or ``<!ENTITY`` anywhere is refused as it is read, before
    the parser sees those bytes (ElementTree never fetches external resources). A UTF-16 part,
    where that byte check would not see the markup, goes through ``defusedxml``'s own parser.
    The one streaming reader of every XML part (OOXML parts, worksheets, OpenDocument parts);
    ``on_bytes`` sees the raw bytes as they are read (a check on the markup itself)."""
    guarded = io.BufferedReader(_Guarded(stream, name, on_bytes), _CHUNK)
    if guarded.peek(2)[:2] in _UTF16_STARTS:
        return DET.iterparse(guarded, events=events, forbid_dtd=True)  # type: ignore[no-any-return]
    return ET.iterparse(guarded, events=events)  # noqa: S314 (guarded above)


class _Guarded(io.RawIOBase):
    """``stream`` with every byte checked for DTD and entity declarations."""

    def __init__(
        self, stream: IO[bytes], name: str, on_bytes: Callable[[bytes], None] | None = None
    ) -> None:
        super().__init__()
        self._stream = stream
        self._name = name
        self._tail = b""
        self._on_bytes = on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        window = self._tail + data[:16] if self._tail else data
        if any(m in data for m in _FORBIDDEN) or any(m in window for m in _FORBIDDEN):
            raise Held(f"the part {self._name} declares a DTD or entities, never accepted")
        self._tail = data[-16:]
        if self._on_bytes is not None:
            self._on_bytes(data)
        buffer[: len(data)] = data
        return len(data)


def markup_text(
    stream: IO[bytes], budget: Budget, name: str, on_start: StartHook | None = None
) -> str:
    """Every piece of text in the XML part ``name``; ``on_start(local_name, attributes)`` sees
    each element as it opens (for observations such as tracked changes or hidden slides)."""
    chunks: list[str] = []
    cache: dict[str, str] = {}
    count = 0
    legacy: str | None = None  # the run's legacy Vietnamese font encoding, if any
    try:
        for event, element in stream_events(stream, name):
            local = _local(element.tag, cache)
            if event == "start":
                if local == "r":
                    legacy = None
                elif local in _RUN_FONT:
                    legacy = _legacy_font(element.attrib, cache) or legacy
                attributes = element.attrib
                if attributes:
                    for key, value in attributes.items():
                        attribute = _local(key, cache)
                        if attribute in TEXT_ATTRIBUTES and value.strip():
                            chunks.append(_shown(attribute, value))
                            chunks.append("\n")
                if on_start is not None:
                    on_start(local, attributes)
                continue
            count += 1
            if count % _CHECK_EVERY == 0:
                budget.check()
            text = element.text
            if local in _RUN_TEXT:
                if legacy and text:
                    text = legacy_vn.convert(text, legacy)
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
    except ET.ParseError as exc:
        raise MalformedPart(f"the part {name} is not well-formed XML ({exc})") from exc
    text = "".join(chunks)
    budget.spend(len(text))
    return text


class CellMap(LazyLabels):
    """Which cell each line of a worksheet's text came from (``cell B12``), as a lazy sequence
    of labels: two small integer arrays instead of a string per cell."""

    def __init__(self) -> None:
        self.columns = array("H")  # per line: column number, 0 for a line outside the cells
        self.row_starts = array("I")  # per row: index of its first line
        self.row_numbers = array("I")

    def __len__(self) -> int:
        return len(self.columns)

    def label(self, index: int) -> str:
        if self.columns[index] == 0:
            return "sheet header, footer or settings"
        row = self.row_numbers[bisect_right(self.row_starts, index) - 1]
        return f"cell {column_letters(self.columns[index])}{row}"


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_COLUMNS: dict[str, int] = {}
_DIGITS = "0123456789"


def _column_number(ref: str | None, previous: int) -> int:
    """Column of a cell reference (``AB12`` -> 28), or the next column when there is none."""
    if not ref:
        return previous + 1
    letters = ref.rstrip(_DIGITS)
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for char in letters.upper():
            if not "A" <= char <= "Z":
                return previous + 1
            number = number * 26 + ord(char) - 64
        number = min(number, 65535)
        if len(_COLUMNS) < 20000:
            _COLUMNS[letters] = number
    return number or previous + 1


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused while a large part is read: the tree's elements and
    the row strings form no cycles (reference counting frees them), yet the collector, triggered
    by every 700 new elements, walked the elements alive in the current chunk again and again:
    a quarter of the CPU of reading a 61 MB worksheet (measured). Restored as it was after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sheet_chunks(stream: IO[bytes], name: str) -> Iterator[bytes]:
    """The part's bytes in chunks for a parser's ``feed``, with the guard of
    :func:`stream_events` (no ``<!DOCTYPE``, no ``<!ENTITY`` anywhere): checked as they are read,
    a UTF-16 part (where the byte check would not see the markup) decoded as it goes and checked
    as text, so every part is parsed by ElementTree's C parser (which reads UTF-16 itself)."""
    guarded = io.BufferedReader(_Guarded(stream, name), _CHUNK)
    if guarded.peek(2)[:2] not in _UTF16_STARTS:
        while chunk := guarded.read(_FEED):
            yield chunk
        return
    head = guarded.peek(2)[:2]
    codec = (
        "utf-16"
        if head in (b"\xff\xfe", b"\xfe\xff")
        else ("utf-16-le" if head == b"<\x00" else "utf-16-be")
    )
    decoder = codecs.getincrementaldecoder(codec)()
    tail = ""
    while True:
        data = guarded.read(_FEED)
        text = decoder.decode(data, final=not data)
        window = tail + text[:16]
        if any(m in text or m in window for m in _FORBIDDEN_TEXT):
            raise Held(f"the part {name} declares a DTD or entities, never accepted")
        tail = text[-16:]
        if not data:
            return
        yield data


_FEED = 1 << 18
_FORBIDDEN_TEXT = ("<!DOCTYPE", "<!ENTITY")


class _SheetReader:
    """What :func:`sheet_text` gathers: one handler per closed element (the rule for each kind
    of element, in one place), applied to whole rows as they complete and to the rest of the
    worksheet in document order (children before their parent, as end events come)."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.chunks: list[str] = []  # text of finished blocks of rows
        self.rows: list[str] = []  # rows of the current block
        self.cells: list[str] = []
        self.extra: list[str] = []
        self.cache: dict[str, str] = {}
        self.where = CellMap()
        self.column = 0
        self.row_number = 0
        self.lines = self.row_first = 0
        self.count = 0
        self.held = 0

    def local(self, tag: str) -> str:
        return self.cache.get(tag) or _local(tag, self.cache)

    def walk(self, element: ET.Element) -> None:
        """``element`` and everything inside it, children first (the order of end events)."""
        local = self.local(element.tag)
        if local == "c":
            self.cell(element)
            return
        if local == "row":
            self.walk_row(element)
            return
        for child in element:
            self.walk(child)
        if local in _SHEET_PLAIN:  # values and runs are read with their cell
            return
        if element.attrib:
            self.extra.extend(_attribute_text(element.attrib, self.cache))
        text = element.text
        if text and text.strip():
            self.extra.append(header_footer_text(text) if local in _HEADER_FOOTER else text)

    def walk_row(self, element: ET.Element) -> None:
        """A row: :meth:`cell` for each cell, inlined for the common cell (one value, no
        children, not a shared-string index), which is most of a statistics sheet."""
        cache = self.cache
        cells, columns = self.cells, self.where.columns
        columns_known, digits = _COLUMNS.get, _DIGITS
        for cell in element:
            if (cache.get(cell.tag) or _local(cell.tag, cache)) != "c":
                self.walk(cell)
                continue
            if len(cell) != 1 or (cache.get(cell[0].tag) or _local(cell[0].tag, cache)) != "v":
                self.cell(cell)
                continue
            value = cell[0]
            if len(value):
                self.cell(cell)
                continue
            ref = cell.get("r")
            known = columns_known(ref.rstrip(digits)) if ref else None
            column = self.column = known if known else _column_number(ref, self.column)
            text = value.text
            if not text or cell.get("t") == "s":
                continue
            if "\n" in text or "\r" in text:
                for piece in text.splitlines():
                    cells.append(piece)
                    columns.append(column)
                    self.lines += 1
            else:
                cells.append(text)
                columns.append(column)
                self.lines += 1
        self.row(element)

    def cell(self, element: ET.Element) -> None:
        """A cell: its values, formulas and inline strings, each on lines of its own."""
        cache = self.cache
        texts: list[str] = []
        shared = element.get("t") == "s"
        for child in element:
            kind = cache.get(child.tag) or _local(child.tag, cache)
            if kind == "v":
                text = None if shared else child.text
            elif kind == "f":
                text = child.text
            elif kind == "is":
                text = "".join(child.itertext())
            else:
                self.walk(child)
                continue
            if len(child):  # anything inside a value, a formula or an inline string
                for inner in child:
                    self.walk(inner)
            if text:
                texts.append(text)
        ref = element.get("r")
        known = _COLUMNS.get(ref.rstrip(_DIGITS)) if ref else None
        column = self.column = known if known else _column_number(ref, self.column)
        if not texts:
            return
        cells, columns = self.cells, self.where.columns
        for text in texts:
            if "\n" in text or "\r" in text:
                for piece in text.splitlines():
                    cells.append(piece)
                    columns.append(column)
                    self.lines += 1
            else:
                cells.append(text)
                columns.append(column)
                self.lines += 1

    def row(self, element: ET.Element) -> None:
        number = element.get("r")
        self.row_number = int(number) if number and number.isdigit() else self.row_number + 1
        if self.cells:
            self.where.row_starts.append(self.row_first)
            self.where.row_numbers.append(self.row_number)
            line = "\n".join(self.cells)
            self.rows.append(line)
            self.held += len(line) + 1
            self.cells = []
            self.row_first = self.lines
        self.column = 0
        self.count += 1
        if self.count % _CHECK_EVERY == 0:
            if self.rows:
                self.chunks.append("\n".join(self.rows))  # a block of rows, one string
                self.rows = []
            self.budget.spend(self.held)
            self.held = 0

    def text(self) -> str:
        self.budget.spend(self.held)
        self.held = 0
        if self.rows:
            self.chunks.append("\n".join(self.rows))
        columns = self.where.columns
        for text in self.extra:
            self.chunks.append(text)
            columns.extend([0] * (text.count("\n") + 1))
        return "\n".join(self.chunks)


def sheet_text(stream: IO[bytes], budget: Budget, name: str) -> tuple[str, CellMap]:
    """The cells of worksheet ``name``, one line per value (a cell's own line breaks kept), and
    the map from lines back to cells. Shared-string indexes are left to the shared-strings part;
    every other value, formula and inline string is read, then the sheet's print headers and
    footers and the text attributes of its other elements (data validation, hyperlinks).

    The part is fed in chunks to ElementTree's C parser building the tree with no event per
    element, with the cyclic collector paused (:func:`no_cycle_collection`); after each chunk,
    the rows of ``sheetData`` that are complete (all but the last) are read whole and removed,
    so the tree never holds more than one chunk of rows. Start events are
    asked for only until ``sheetData`` opens (through the parser's ``_setevents``, the method
    ``XMLPullParser`` itself uses); everything outside ``sheetData`` is read when the part ends.
    The text is that of one pass over end events (``tests/screening/test_sheet_reader.py``)."""
    with no_cycle_collection():
        return _read_sheet(stream, budget, name)


def _read_sheet(stream: IO[bytes], budget: Budget, name: str) -> tuple[str, CellMap]:
    reader = _SheetReader(budget)
    parser = ET.XMLParser(target=ET.TreeBuilder())  # noqa: S314 (guarded: sheet_chunks)
    started: list[tuple[str, ET.Element]] = []
    parser._setevents(started, ("start",))  # type: ignore[attr-defined]
    root: ET.Element | None = None
    rows: ET.Element | None = None  # the sheetData element, once open
    try:
        for chunk in sheet_chunks(stream, name):
            parser.feed(chunk)
            if rows is None:
                for _event, element in started:
                    if root is None:
                        root = element
                    elif (
                        rows is None
                        and reader.local(element.tag) == "sheetData"
                        and any(child is element for child in root)
                    ):
                        rows = element
                started.clear()
                if rows is None:
                    continue
                parser._setevents(started, ())  # type: ignore[attr-defined]
                assert root is not None
                before = list(root).index(rows)
                for element in root[:before]:  # closed before sheetData opened
                    reader.walk(element)
                del root[:before]
            complete = len(rows) - 1
            if complete > 0:
                for element in rows[:complete]:
                    reader.walk(element)
                del rows[:complete]
        tree = parser.close()
    except ET.ParseError as exc:
        raise MalformedPart(f"the worksheet {name} is not well-formed XML ({exc})") from exc
    reader.walk(tree)  # what is left: the last row, sheetData, what follows it, the root
    return reader.text(), reader.where


_SHEET_PLAIN = frozenset({"row", "v", "f", "is", "t", "r", "rPr", "c"})
_CELL_CHILDREN = frozenset({"v", "f", "is", "t", "r", "rPr"})


def _attribute_text(attributes: dict[str, str], cache: dict[str, str]) -> list[str]:
    found = []
    for key, value in attributes.items():
        attribute = cache.get(key) or _local(key, cache)
        if attribute in TEXT_ATTRIBUTES and value.strip():
            found.append(_shown(attribute, value))
    return found
