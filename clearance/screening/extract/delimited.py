"""CSV and TSV: decoded by the text decoder (every encoding it knows, or held), split by the
standard ``csv`` module (quoted fields, embedded separators and line breaks), every cell read.

The text screened holds one cell per line, so a finding's line maps back to the cell a reader
sees: ``row 3, column 2`` (1-based, as a spreadsheet program counts). A cell with line breaks
gives one line per line it shows, each mapped to the same cell, so a stamp on a line of its own
inside a cell is on a line of its own here too.
"""

from __future__ import annotations

import csv
import io
from array import array
from collections import Counter
from itertools import islice

from clearance.screening.extract.base import Extraction, LazyLabels
from clearance.screening.extract.text import decode_text
from clearance.screening.limits import Budget, Held

_CANDIDATES = ",;\t|"
_CHECK_EVERY = 4096


def _delimiter(sample: str) -> str:
    """The candidate separator that splits the first rows into the most rows of one width above
    one (``csv.Sniffer`` guesses wrong on quoted line breaks); a comma on a tie."""
    best, best_score = ",", 0
    for candidate in _CANDIDATES:
        widths: Counter[int] = Counter()
        try:
            for row in islice(
                csv.reader(io.StringIO(sample, newline=""), delimiter=candidate), 100
            ):
                widths[len(row)] += 1
        except csv.Error:
            continue
        width, rows = max(widths.items(), key=lambda item: (item[1], item[0]), default=(0, 0))
        score = rows if width > 1 else 0
        if score > best_score:
            best, best_score = candidate, score
    return best


class _Cells(LazyLabels):
    """The cell of each line of the screened text, as a lazy sequence of labels."""

    def __init__(self) -> None:
        self.rows = array("I")
        self.columns = array("I")

    def add(self, row: int, column: int) -> None:
        self.rows.append(row)
        self.columns.append(column)

    def __len__(self) -> int:
        return len(self.rows)

    def label(self, index: int) -> str:
        return f"row {self.rows[index]}, column {self.columns[index]}"


def extract_delimited(data: bytes, budget: Budget, *, tab: bool) -> Extraction:
    text = decode_text(data)
    delimiter = "\t" if tab else _delimiter(text[:65536])
    cells = _Cells()
    lines: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        for row_number, row in enumerate(reader, start=1):
            if row_number % _CHECK_EVERY == 0:
                budget.check()
            for column, value in enumerate(row, start=1):
                for line in value.splitlines():
                    if line.strip():
                        lines.append(line)
                        cells.add(row_number, column)
    except csv.Error as exc:
        raise Held(f"the table cannot be split into cells ({exc}); save it again as CSV") from exc
    out = Extraction()
    out.text("table", "\n".join(lines), method="cells", locations=cells)
    return out
