"""What the sheet benchmarks share: one run of a script in a child process of its own (so peaks
do not mix), timed in wall seconds and in CPU seconds of the child and every process it waited
for (the screening's worker for large texts included), with the child's peak RSS, all read from
``os.wait4`` rather than reported by the child itself. The CPU figure is the fair one on a busy
machine, where wall time depends on the load (printed beside it).

    from measure import Run, run_child, load
    run = run_child([sys.executable, __file__, "--mode", "bare", "--file", path])
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child and the processes it waited for
    peak_mib: float  # the child's peak resident set (the largest of it and its waited children)
    output: str  # what the child printed (its verdict)

    def line(self, label: str) -> str:
        return (
            f"{label}: {self.wall:.2f} s wall, {self.cpu:.2f} s CPU, peak RSS "
            f"{self.peak_mib:.0f} MiB{f' ({self.output})' if self.output else ''}"
        )


def run_child(argv: list[str]) -> Run:
    """Run ``argv`` to its end; raise when it fails (its error output is shown)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:  # a file: a full pipe cannot block the child
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors, text=True)
        assert child.stdout is not None
        output = child.stdout.read()
        _pid, status, usage = os.wait4(child.pid, 0)  # reaped here: Popen must not wait again
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        child.stdout.close()
        if child.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{argv[1:]} failed ({child.returncode}):\n{errors.read()[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss / 1024, output.strip())


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def ratios(bare: Run, screen: Run) -> str:
    return (
        f"ratio screen / bare iterparse: {screen.wall / bare.wall:.2f}x wall, "
        f"{screen.cpu / bare.cpu:.2f}x CPU (CPU: fair on a busy machine; load {load()})"
    )
