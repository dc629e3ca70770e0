"""Resource limits and the two ways an inspection ends early.

- :class:`Held`: the file could not be inspected completely (too big, too deep, too slow,
  undecodable, malformed, polyglot). Verdict ``review`` with the reason: a human decides, the
  file is never silently passed.
- :class:`Refused`: the file is of a kind that is never published (executables, archives, scripts,
  macro-enabled documents, type mismatches, types the channel does not accept). Verdict
  ``blocked``.

:class:`Budget` carries the wall-time deadline and the decompressed-bytes allowance of one file;
extractors call :meth:`Budget.check` inside their loops, so a slow file stops at the next unit of
work. A parser stuck inside one call cannot be interrupted from Python: the hard guard is
:func:`clearance.screening.isolated.screen_file_isolated` (child process, timeout, memory limit).
"""

from __future__ import annotations

import time

from clearance.screening.rules import Limits


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
        self.deadline = (time.monotonic() if clock is None else clock) + limits.max_seconds
        self.decompressed = 0
        self.streamed = 0

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise Held(
                f"screening took longer than {self.limits.max_seconds} s; "
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
