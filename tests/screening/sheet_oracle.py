"""The worksheet reader as it was before it read whole rows from a tree fed in chunks: one loop
over ``iterparse`` end events (kept here as the oracle the new reader is compared with,
``test_sheet_reader.py``; nothing in the product uses it)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import IO

from clearance.screening.extract.xmltext import (
    _COLUMNS,
    _DIGITS,
    _HEADER_FOOTER,
    CellMap,
    MalformedPart,
    _attribute_text,
    _column_number,
    _local,
    header_footer_text,
    stream_events,
)
from clearance.screening.limits import Budget

_CHECK_EVERY = 4096
_SHEET_PLAIN = frozenset({"row", "v", "f", "is", "t", "r", "rPr", "c"})
_CELL_CHILDREN = frozenset({"v", "f", "is", "t", "r", "rPr"})


def event_sheet_text(stream: IO[bytes], budget: Budget, name: str) -> tuple[str, CellMap]:
    """The cells of worksheet ``name``, one line per value (a cell's own line breaks kept), and
    the map from lines back to cells. Shared-string indexes are left to the shared-strings part;
    every other value, formula and inline string is read, then the sheet's print headers and
    footers and the text attributes of its other elements (data validation, hyperlinks).

    Only end events are parsed (a cell is read whole when it closes) and each row is cleared when
    it closes, which keeps the loop near a bare ``iterparse``."""
    rows: list[str] = []
    cells: list[str] = []
    extra: list[str] = []
    cache: dict[str, str] = {}
    where = CellMap()
    columns = where.columns
    column = 0
    row_number = 0
    lines = row_first = 0
    count = 0
    held = 0
    try:
        for _event, element in stream_events(stream, name, ("end",)):
            tag = element.tag
            local = cache.get(tag) or _local(tag, cache)
            if local in _CELL_CHILDREN:  # read with their cell, when it closes
                continue
            if local == "c":
                shared = element.get("t") == "s"
                ref = element.get("r")
                known = _COLUMNS.get(ref.rstrip(_DIGITS)) if ref else None
                column = known if known else _column_number(ref, column)
                for child in element:
                    kind = cache.get(child.tag) or _local(child.tag, cache)
                    if kind == "v":
                        text = None if shared else child.text
                    elif kind == "f":
                        text = child.text
                    elif kind == "is":
                        text = "".join(child.itertext())
                    else:
                        continue
                    if not text:
                        continue
                    if "\n" in text or "\r" in text:
                        for piece in text.splitlines():
                            cells.append(piece)
                            columns.append(column)
                            lines += 1
                    else:
                        cells.append(text)
                        columns.append(column)
                        lines += 1
            elif local == "row":
                number = element.get("r")
                row_number = int(number) if number and number.isdigit() else row_number + 1
                if cells:
                    where.row_starts.append(row_first)
                    where.row_numbers.append(row_number)
                    line = "\n".join(cells)
                    rows.append(line)
                    held += len(line) + 1
                    cells = []
                    row_first = lines
                column = 0
                element.clear()
                count += 1
                if count % _CHECK_EVERY == 0:
                    budget.spend(held)
                    held = 0
            elif local in _SHEET_PLAIN:
                continue
            else:
                if element.attrib:
                    extra.extend(_attribute_text(element.attrib, cache))
                text = element.text
                if text and text.strip():
                    extra.append(header_footer_text(text) if local in _HEADER_FOOTER else text)
    except ET.ParseError as exc:
        raise MalformedPart(f"the worksheet {name} is not well-formed XML ({exc})") from exc
    budget.spend(held)
    for text in extra:
        rows.append(text)
        columns.extend([0] * (text.count("\n") + 1))
    return "\n".join(rows), where
