"""What changed between two versions of a spreadsheet, cell by cell: the values a reader sees
(the cached results of formulas, as a viewer shows them), compared sheet by sheet, so that the
approver reads "Sheet1!B4: 120 -> 150" instead of a changed hash.

Both workbooks are sanitised derivatives that passed screening; they are read with openpyxl in
read-only mode (streamed, no images or charts loaded) under a cap on the cells read."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

#: cells read from one workbook at most; a larger one is compared up to here and says so
MAX_CELLS = 200_000
#: changed cells listed at most
MAX_CHANGES = 500


class SheetUnreadable(Exception):
    """The workbook could not be read as a spreadsheet."""


@dataclass(frozen=True, slots=True)
class CellChange:
    sheet: str
    cell: str  # A1 notation
    old: str | None  # None: the cell was empty (added)
    new: str | None  # None: the cell is now empty (removed)


@dataclass(frozen=True, slots=True)
class SheetDiff:
    changes: tuple[CellChange, ...]
    truncated: bool  # more changes (or more cells) than listed
    sheets_added: tuple[str, ...] = ()
    sheets_removed: tuple[str, ...] = ()


def _shown(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() != time(0) else f"{value:%d/%m/%Y}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


Cells = dict[str, dict[tuple[int, int], str]]


def read_cells(data: bytes, *, max_cells: int = MAX_CELLS) -> tuple[Cells, bool]:
    """Every non-empty cell of every sheet: sheet -> (row, column) -> the value as shown; and
    whether the cap stopped the reading."""
    from openpyxl import load_workbook  # only the spreadsheet diff needs it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SheetUnreadable(str(exc)) from exc
    cells: Cells = {}
    count = 0
    try:
        for sheet in book.worksheets:
            values: dict[tuple[int, int], str] = {}
            cells[sheet.title] = values
            for row in sheet.iter_rows():
                for cell in row:
                    value = getattr(cell, "value", None)
                    if value is None or value == "":
                        continue
                    values[(int(cell.row), int(cell.column))] = _shown(value)
                    count += 1
                    if count >= max_cells:
                        return cells, True
    finally:
        book.close()
    return cells, False


def diff_sheets(old: bytes, new: bytes, *, limit: int = MAX_CHANGES) -> SheetDiff:
    """The cells whose shown value differs between ``old`` and ``new``, in sheet order (the
    new workbook's), then row, then column."""
    before, cut_before = read_cells(old)
    after, cut_after = read_cells(new)
    changes: list[CellChange] = []
    truncated = cut_before or cut_after
    for sheet, now in after.items():
        was = before.get(sheet)
        if was is None:
            continue
        for key in sorted(was.keys() | now.keys()):
            if was.get(key) == now.get(key):
                continue
            if len(changes) >= limit:
                truncated = True
                break
            row, column = key
            changes.append(CellChange(sheet, f"{_column(column)}{row}", was.get(key), now.get(key)))
    return SheetDiff(
        tuple(changes),
        truncated,
        sheets_added=tuple(s for s in after if s not in before),
        sheets_removed=tuple(s for s in before if s not in after),
    )
