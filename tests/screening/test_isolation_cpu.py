"""The time cap counts the CPU a file takes, not the wall time a loaded machine stretches: a
child that is descheduled (here: stopped, the extreme of a busy machine) past the policy's
seconds still ends with a verdict from its content, while a child that spins is stopped by its
CPU cap and one that sleeps or is blocked by the wall backstop (``WALL_FACTOR`` times the cap)."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from collections.abc import Callable

import pytest

from clearance.screening import ScreeningRules, Verdict, screen_file_isolated
from clearance.screening.isolated import _SERVER
from clearance.screening.limits import WALL_FACTOR, Budget, Held
from clearance.screening.rules import Limits
from clearance.screening.types import FileResult
from tests.screening.test_isolated import PATHOLOGICAL_HTML, _spares, _still_serves

TEXT = "Lễ hội du lịch biển Nha Trang thu hút du khách trong và ngoài nước\n".encode()


def _rules(rules: ScreeningRules, seconds: int) -> ScreeningRules:
    return dataclasses.replace(rules, limits=dataclasses.replace(rules.limits, max_seconds=seconds))


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _in_background(call: Callable[[], FileResult]) -> tuple[threading.Thread, list[FileResult]]:
    out: list[FileResult] = []
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    return thread, out


def _working_child(server: int, thread: threading.Thread) -> int:
    """The server's child that has started spending CPU on the file (the spare has not)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and thread.is_alive():
        for pid in _spares(server):
            if _cpu_ticks(pid) >= 10:
                return pid
        time.sleep(0.01)
    raise AssertionError("no child started on the file")


def test_sleeping_does_not_spend_the_allowance_spinning_does() -> None:
    limits = dataclasses.replace(Limits(), max_seconds=1)
    budget = Budget(limits)
    time.sleep(1.3)  # wall time past the cap, no CPU: a descheduled file
    budget.check()
    spin = time.process_time() + 1.2
    while time.process_time() < spin:
        pass
    with pytest.raises(Held) as stopped:
        budget.check()
    assert "used more than 1 s of CPU time" in stopped.value.reason


def test_the_wall_backstop_stops_a_file_that_spends_no_cpu() -> None:
    limits = dataclasses.replace(Limits(), max_seconds=30)
    budget = Budget(limits, clock=time.monotonic() - WALL_FACTOR * 30 - 1)
    assert budget.cpu_used() < 1
    with pytest.raises(Held) as stopped:
        budget.check()
    assert f"did not finish within {WALL_FACTOR} times 30 s" in stopped.value.reason


@pytest.mark.slow
def test_a_child_descheduled_past_the_seconds_still_gets_its_verdict(
    rules: ScreeningRules,
) -> None:
    tight = _rules(rules, 10)  # 10 s + 2 s of grace of CPU: the file needs one or two
    screen_file_isolated(b"warm", "a.txt", tight)
    server = _SERVER.pid
    assert server is not None
    data = TEXT * 300_000  # some 24 MB
    thread, out = _in_background(lambda: screen_file_isolated(data, "tin.txt", tight))
    child = _working_child(server, thread)
    os.kill(child, signal.SIGSTOP)
    time.sleep(16)  # past the 12 s the wall cap gave it
    os.kill(child, signal.SIGCONT)
    thread.join(120)
    assert out, "no answer"
    result = out[0]
    assert result.held_reason is None, result.held_reason
    assert result.verdict is Verdict.CLEAR, result.findings
    _still_serves(rules)


@pytest.mark.slow
def test_a_child_stopped_for_good_is_ended_by_the_wall_backstop(rules: ScreeningRules) -> None:
    tight = _rules(rules, 1)  # 1 s + 2 s of grace of CPU: the wall backstop is ten times that
    screen_file_isolated(b"warm", "a.txt", tight)
    server = _SERVER.pid
    assert server is not None
    data = TEXT * 300_000
    started = time.monotonic()
    thread, out = _in_background(lambda: screen_file_isolated(data, "tin.txt", tight))
    child = _working_child(server, thread)
    os.kill(child, signal.SIGSTOP)  # never continued: it sleeps for good
    thread.join(120)
    assert out, "no answer"
    elapsed = time.monotonic() - started
    result = out[0]
    assert result.verdict is Verdict.REVIEW
    assert f"did not finish within {WALL_FACTOR * 3:g} s" in (result.held_reason or "")
    assert elapsed < WALL_FACTOR * 3 + 15, elapsed
    deadline = time.monotonic() + 10
    while child in _spares(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert child not in _spares(server)  # killed, not left stopped
    _still_serves(rules)


@pytest.mark.slow
def test_a_spinning_child_is_stopped_by_its_cpu_cap(rules: ScreeningRules) -> None:
    tight = _rules(rules, 1)  # the wall backstop: 30 s; 1 CPU-s takes 10 wall-s at load 20
    started = time.monotonic()
    result = screen_file_isolated(PATHOLOGICAL_HTML, "slow.html", tight, cpu_seconds=1)
    assert result.verdict is Verdict.REVIEW
    assert "of CPU time" in (result.held_reason or ""), result.held_reason
    assert time.monotonic() - started < WALL_FACTOR * 3 + 5
    _still_serves(rules)
