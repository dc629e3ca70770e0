"""Resource limits and the two ways an inspection ends early.

- :class:`Held`: the file could not be inspected completely (too big, too deep, too slow,
  undecodable, malformed, polyglot). Verdict ``review`` with the reason: a human decides, the
  file is never silently passed.
- :class:`Refused`: the file is of a kind that is never published (executables, archives, scripts,
  macro-enabled documents, type mismatches, types the channel does not accept). Verdict
  ``blocked``.

:class:`Budget` carries the time allowance and the decompressed-bytes allowance of one file (a
part read as a stream adds to the time by what it declares: :func:`stream_seconds`); extractors
call :meth:`Budget.check` inside their loops, so a slow file stops at the next unit of work.

The time allowance counts **CPU seconds** (this process's, and those of the helpers it has run
and waited for: Tesseract, poppler), not wall time: on a loaded machine a file gets a fraction
of a core, and a wall cap would hold a big real workbook for the load, not for its content. A
wall backstop of :data:`WALL_FACTOR` times the allowance (``deadline``, also what waits on a
helper are bounded by) still stops a file that sleeps or is blocked without spending CPU. A
parser stuck inside one call cannot be interrupted from Python: the hard guard is
:func:`clearance.screening.isolated.screen_file_isolated` (child process, CPU cap, the wall
backstop, memory limit).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from clearance.screening.rules import Limits

#: The wall backstop, as a multiple of the CPU allowance: at a load of 20 on two cores a process
#: gets about a tenth of a core (measured: a spinning child had less than 3 CPU-s in 12 wall-s
#: at load 21; the 244 MB workbook took 33 CPU-s in 81 wall-s at load 14), so ten times leaves
#: the CPU cap the one a busy machine meets, while a file that sleeps or is blocked (no CPU
#: spent) is still stopped, later: 320 s under the default policy's 30 s.
WALL_FACTOR = 10


def cpu_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for (user + system)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


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
    """Time (CPU seconds, with a wall backstop) and decompression allowance of one file.
    ``clock`` (a monotonic start) and ``cpu`` (a CPU clock) are for tests."""

    def __init__(
        self,
        limits: Limits,
        *,
        clock: float | None = None,
        cpu: Callable[[], float] = cpu_seconds,
    ) -> None:
        self.limits = limits
        self.started = time.monotonic() if clock is None else clock
        self._cpu = cpu
        self.cpu_started = cpu()
        self.seconds: float = limits.max_seconds  # CPU seconds allowed
        self.deadline = self.started + WALL_FACTOR * self.seconds  # the wall backstop
        self.decompressed = 0
        self.streamed = 0
        self.stream_declared = 0  # bytes the parts opened as streams declare

    def cpu_used(self) -> float:
        return self._cpu() - self.cpu_started

    def check(self) -> None:
        spun = self.cpu_used() > self.seconds
        if spun or time.monotonic() > self.deadline:
            extra = ""
            if self.stream_declared:
                seconds = stream_seconds(self.limits, self.stream_declared)
                extra = (
                    f" plus {seconds:.0f} s for the {self.stream_declared / 1e6:.0f} MB of XML "
                    f"read as a stream ({self.limits.stream_seconds_per_gb} s per GB)"
                )
            if spun:
                what = f"used more than {self.limits.max_seconds} s{extra} of CPU time"
            else:
                what = f"did not finish within {WALL_FACTOR} times {self.limits.max_seconds} s"
                what += f"{extra} of wall time"
            raise Held(
                f"screening {what}; split the file or ask the security officer to review it by hand"
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
        """A part that declares ``declared`` bytes is about to be read as a stream: the time
        allowance (and its wall backstop) grows by :func:`stream_seconds` of it (up to
        ``max_streamed_bytes`` in all)."""
        self.stream_declared += declared
        self.seconds = self.limits.max_seconds + stream_seconds(self.limits, self.stream_declared)
        self.deadline = self.started + WALL_FACTOR * self.seconds

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
