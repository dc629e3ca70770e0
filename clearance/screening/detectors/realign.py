"""Offsets in the text as given, for hits found in the normalised text.

The scanner finds hits in the text it normalised (NFKC, invisible characters dropped, marks
reattached, spaced letters rejoined, lower-cased). Where that kept the length, an offset there
is an offset in the text as given. Where it did not, normalising never moves a newline, so the
hit's line (counted by the caller) is the same line of the text as given, and
:func:`normalise.traced` repeats the normalisation of that one line, recording where each
character came from. Only the lines holding a finding are traced, and only when the lengths
differ: the hot path pays nothing. A trace that does not give back the scanned line exactly (a
step not repeated) gives no offsets for that finding, never wrong ones.
"""

from __future__ import annotations

from clearance.screening.detectors.lines import after_newlines
from clearance.screening.normalise import traced, traced_lower

#: Lines longer than this are not traced (the trace is per character, in Python).
MAX_TRACED_LINE = 1_000_000


class Realign:
    """Maps spans of ``scanned`` (the normalised ``given``) to spans of ``given`` plus
    ``offset``; :meth:`span` is called with non-decreasing starts."""

    def __init__(self, given: str, scanned: str, offset: int = 0) -> None:
        self._given = given
        self._scanned = scanned
        self._offset = offset
        self._identity = len(given) == len(scanned)
        self._lines = 0  # newlines before ``_given_line``
        self._given_line = 0  # the start of that line in ``given``
        self._traces: dict[int, tuple[list[int], list[int]] | None] = {}

    def span(self, start: int, end: int, line: int) -> tuple[int, int] | None:
        """The span of ``given`` (plus the offset) that ``scanned[start:end]`` came from;
        ``line`` is the number of newlines before ``start`` (the caller counts them anyway)."""
        if self._identity:
            return start + self._offset, end + self._offset
        scanned, given = self._scanned, self._given
        if end <= start or line < self._lines:
            return None
        if line > self._lines:
            self._given_line = after_newlines(given, line - self._lines, self._given_line)
            self._lines = line
        line_start = scanned.rfind("\n", 0, start) + 1
        line_end = scanned.find("\n", start)
        line_end = len(scanned) if line_end < 0 else line_end
        if end > line_end:
            return None
        trace = self._trace(line_start, line_end)
        if trace is None:
            return None
        starts, ends = trace
        first, last = start - line_start, end - 1 - line_start
        base = self._given_line + self._offset
        return base + starts[first], base + ends[last]

    def _trace(self, line_start: int, line_end: int) -> tuple[list[int], list[int]] | None:
        key = self._given_line
        if key not in self._traces:
            given_end = self._given.find("\n", key)
            line = self._given[key : len(self._given) if given_end < 0 else given_end]
            self._traces[key] = _line_trace(line, self._scanned[line_start:line_end])
        return self._traces[key]


def _line_trace(line: str, target: str) -> tuple[list[int], list[int]] | None:
    """Where each character of ``target`` (``line`` as the scanner normalised it) came from in
    ``line``; None when no repeated normalisation gives ``target``."""
    if line == target or (line.lower() == target and len(line) == len(target)):
        return list(range(len(line))), list(range(1, len(line) + 1))
    if len(line) > MAX_TRACED_LINE:
        return None
    for rejoin in (True, False):  # the scanner rejoins only lines with a real spaced run
        result = traced(line, rejoin=rejoin)
        if result is None:
            continue
        for candidate in (result, traced_lower(result)):
            if candidate[0] == target:
                return candidate[1], candidate[2]
    return None
