"""Resource limits and the two ways an inspection ends early.

- :class:`Held`: the file could not be inspected completely (too big, too deep, too slow,
  undecodable, malformed, polyglot). Verdict ``review`` with the reason: a human decides, the
  file is never silently passed.
- :class:`Refused`: the file is of a kind that is never published (executables, archives, scripts,
  macro-enabled documents, type mismatches, types the channel does not accept). Verdict
  ``blocked``.

:class:`Budget` carries the wall-time deadline and the decompressed-bytes allowance of one file
(a part read as a stream moves the deadline on by what it declares: :func:`stream_seconds`);
extractors call :meth:`Budget.check` inside their loops, so a slow file stops at the next unit of
work. A parser stuck inside one call cannot be interrupted from Python: the hard guard is
:func:`clearance.screening.isolated.screen_file_isolated` (child process, timeout, memory limit).
"""

from __future__ import annotations

import time

from clearance.screening.rules import Limits


def stream_seconds(limits: Limits, streamed: int) -> float:
    """Wall seconds a file gets on top of ``max_seconds`` for ``streamed`` bytes of XML read as
    a stream (at most ``max_streamed_bytes``): ``stream_seconds_per_gb`` per GB. Streaming
    is what lets a big real workbook be read at all, and its time grows with its size; the
    memory caps do not move."""
    return min(streamed, limits.max_streamed_bytes) * limits.stream_seconds_per_gb / 1e9


class Held(Exception):
    """Inspection stopped: the file goes to a human with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Refused(Exception):
    """The file is never publishable: blocked with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Budget:
    """Deadline and decompression allowance of one file."""

    def __init__(self, limits: Limits, *, clock: float | None = None) -> None:
        self.limits = limits
        self.started = time.monotonic() if clock is None else clock
        self.deadline = self.started + limits.max_seconds
        self.decompressed = 0
        self.streamed = 0
        self.stream_declared = 0  # bytes the parts opened as streams declare

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            extra = ""
            if self.stream_declared:
                seconds = stream_seconds(self.limits, self.stream_declared)
                extra = (
                    f" plus {seconds:.0f} s for the {self.stream_declared / 1e6:.0f} MB of XML "
                    f"read as a stream ({self.limits.stream_seconds_per_gb} s per GB)"
                )
            raise Held(
                f"screening took longer than {self.limits.max_seconds} s{extra}; "
                "split the file or ask the security officer to review it by hand"
            )

    def spend(self, size: int) -> None:
        """Account ``size`` decompressed bytes; hold when the file's allowance is exceeded."""
        self.decompressed += size
        if self.decompressed > self.limits.max_decompressed_bytes:
            raise Held(
                f"decompressed content exceeds {self.limits.max_decompressed_bytes} bytes "
                "(possible decompression bomb)"
            )
        self.check()

    def open_stream(self, declared: int) -> None:
        """A part that declares ``declared`` bytes is about to be read as a stream: the deadline
        moves on by :func:`stream_seconds` of it (up to ``max_streamed_bytes`` in all)."""
        self.stream_declared += declared
        self.deadline = (
            self.started
            + self.limits.max_seconds
            + stream_seconds(self.limits, self.stream_declared)
        )

    def stream(self, size: int) -> None:
        """Account ``size`` bytes parsed as a stream (never held whole): they count against the
        streaming allowance and the deadline, not the memory allowance of :meth:`spend`."""
        self.streamed += size
        if self.streamed > self.limits.max_streamed_bytes:
            raise Held(
                f"streamed content exceeds {self.limits.max_streamed_bytes} bytes "
                "(possible decompression bomb)"
            )
        self.check()
