"""A hard guard around :func:`screen_file`: the screening runs in a child process with a wall
timeout, an address-space limit and a CPU-time limit, so a parser stuck inside one C call, a
runaway allocation or a crash cannot hang or take down the caller. Any such end becomes a held
result with the reason.

The children are forked from a warm server (:mod:`clearance.screening.forkserver`) that has
imported the engine and compiled the rules once, so a file costs a fork (a few milliseconds)
instead of an interpreter start (several hundred). Each child screens one file and exits, so the
caps are per file and a cap hit never affects the next one; a server that dies is restarted on the
next call. The parent sends its request pickled (it trusts its own objects); the child answers
JSON only (never pickle), because it is the process that touched hostile bytes: a compromised
child can at worst return a wrong verdict, and anything malformed is itself held.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import contextlib
import io
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import zipfile
from typing import Any

from clearance.screening.frames import read_frame, rules_digest, write_frame
from clearance.screening.limits import WALL_FACTOR, stream_seconds
from clearance.screening.rules import ScreeningRules
from clearance.screening.types import (
    HELD_RULE,
    Coverage,
    FileResult,
    Finding,
    Severity,
    Verdict,
)

DEFAULT_MEMORY_BYTES = 2 * 1024 * 1024 * 1024
FLAT_ODF_ROOT = b"<office:document "  # a flat OpenDocument file's root, read as a stream
_GRACE_SECONDS = 2.0  # a fork, the answer's transfer, a loaded machine
_START_SECONDS = 60.0  # the server's own start: one interpreter and the imports


def _held(reason: str) -> FileResult:
    finding = Finding(
        HELD_RULE,
        Severity.REVIEW,
        reason,
        part="file",
        explanation="Anything not fully inspected is held for a human.",
    )
    return FileResult(
        verdict=Verdict.REVIEW,
        detected_type="unknown",
        level=None,
        findings=(finding,),
        held_reason=reason,
    )


def result_from_json(raw: dict[str, Any], sanitized: bytes | None) -> FileResult:
    """Rebuild a :class:`FileResult` from ``FileResult.to_json()`` and the derivative bytes."""
    return FileResult(
        verdict=Verdict(raw["verdict"]),
        detected_type=str(raw["detected_type"]),
        level=None if raw.get("level") is None else str(raw["level"]),
        findings=tuple(Finding.from_json(f) for f in raw["findings"]),
        sanitized=sanitized,
        sanitized_type=None if raw.get("sanitized_type") is None else str(raw["sanitized_type"]),
        held_reason=None if raw.get("held_reason") is None else str(raw["held_reason"]),
        coverage=tuple(Coverage.from_json(c) for c in raw.get("coverage", ())),
    )


class ForkServer:
    """The parent's handle on one warm fork server; restarted when it has died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._path = ""
        self._loaded: set[str] = set()
        self._owner = os.getpid()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def _start(self) -> None:
        self.stop()
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        process = subprocess.Popen(
            [sys.executable, "-m", "clearance.screening.forkserver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # a signal for the caller's group is not the server's
        )
        self._process = process
        assert process.stdout is not None
        kind, payload = read_frame(process.stdout)
        if kind != b"A":
            raise OSError("the screening server did not announce its socket")
        self._path = payload.decode()
        self._loaded = set()

    def stop(self) -> None:
        """End the server (its children end at their own alarms); the next call starts one."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def address(self, pickled_rules: bytes) -> tuple[str, str]:
        """The socket path of a live server that holds these rules, and the rules' digest."""
        digest = rules_digest(pickled_rules)
        with self._lock:
            if self._owner != os.getpid():  # a forked copy of the caller: never share the pipe
                self._process, self._owner = None, os.getpid()
            for attempt in (1, 2):
                if self._process is None or self._process.poll() is not None:
                    self._start()
                if digest in self._loaded:
                    return self._path, digest
                process = self._process
                assert process is not None and process.stdin is not None
                assert process.stdout is not None
                try:
                    write_frame(process.stdin, b"L", pickled_rules)
                    kind, payload = read_frame(process.stdout)
                except (OSError, EOFError):
                    if attempt == 2:
                        raise
                    self._process = None
                    continue
                if kind != b"K" or payload.decode() != digest:
                    raise OSError("the screening server did not load the rules")
                self._loaded.add(digest)
                return self._path, digest
        raise OSError("the screening server could not be started")  # pragma: no cover


_SERVER = ForkServer()
atexit.register(_SERVER.stop)


def _signal_reason(number: int, limit: float, cpu_seconds: int) -> str:
    if number == signal.SIGALRM:
        return f"screening did not finish within {limit:g} s and was stopped"
    if number in (signal.SIGXCPU, signal.SIGKILL):
        return (
            f"screening used more than {cpu_seconds} s of CPU time (or was killed) and was stopped"
        )
    return f"the screening process failed (signal {number})"


def screen_file_isolated(
    data: bytes,
    filename: str,
    rules: ScreeningRules,
    *,
    allowed_types: frozenset[str] | None = None,
    timeout: float | None = None,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    cpu_seconds: int | None = None,
) -> FileResult:
    """:func:`screen_file` in a child process stopped after ``cpu_seconds`` of CPU (default:
    the policy's ``max_seconds``, plus what the file's declared XML may add by being read as a
    stream (:func:`~clearance.screening.limits.stream_seconds`), plus a grace) or ``timeout``
    wall seconds (default: :data:`~clearance.screening.limits.WALL_FACTOR` times that: the
    backstop for a child that sleeps or is blocked; a loaded machine stretches wall time, not
    the CPU a file needs), limited to ``memory_bytes`` of address space. Never raises for bad
    content; a cap hit, a crash or a malformed answer is held."""
    if timeout is None:
        streamable = stream_seconds(rules.limits, _declared_bytes(data))
        allowance = rules.limits.max_seconds + streamable + _GRACE_SECONDS
        limit = WALL_FACTOR * allowance
    else:
        allowance = limit = timeout
    cpu = max(1, int(allowance + 0.999)) if cpu_seconds is None else cpu_seconds
    try:
        path, digest = _SERVER.address(pickle.dumps(rules))
    except (OSError, EOFError) as exc:
        return _held(f"the screening process could not be started ({exc})")
    request = pickle.dumps((digest, data, filename, allowed_types, memory_bytes, cpu, limit))
    held_note = "; a reviewer must inspect the file by hand"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        pid = 0
        try:
            connection.settimeout(_START_SECONDS)
            connection.connect(path)
            # the request goes at once (the child reads it after announcing its pid): one round
            # trip per file, not two; the socket buffers it until the child is forked
            write_frame(connection, b"Q", request)
            kind, payload = read_frame(connection)
            pid = int(payload) if kind == b"P" else 0
            connection.settimeout(limit + _GRACE_SECONDS)
            answer: bytes | None = None
            outcome: dict[str, Any] = {}
            while True:
                kind, payload = read_frame(connection)
                if kind == b"R":  # complete: the child only closes and exits after it, so its
                    answer = payload  # exit status (reaped by the server) is not waited for
                    outcome = {"exit": 0}
                    break
                if kind == b"X":  # ended without an answer: how it ended is the reason
                    outcome = json.loads(payload)
                    break
        except TimeoutError:
            _kill_group(pid)
            return _held(f"screening did not finish within {limit:g} s and was stopped{held_note}")
        except (OSError, EOFError, ValueError) as exc:
            _kill_group(pid)
            return _held(f"the screening process ended without an answer ({exc}){held_note}")
    if "signal" in outcome:
        return _held(_signal_reason(int(outcome["signal"]), limit, cpu) + held_note)
    if outcome.get("exit") != 0 or answer is None:
        return _held(f"the screening process failed (exit status {outcome.get('exit')})")
    try:
        raw = json.loads(answer)
        sanitized = raw.get("sanitized")
        derivative = None if sanitized is None else base64.b64decode(sanitized, validate=True)
        return result_from_json(raw["result"], derivative)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        return _held(f"the screening process gave a malformed answer ({type(exc).__name__})")


def _declared_bytes(data: bytes) -> int:
    """The uncompressed bytes a ZIP container's directory declares, or a flat OpenDocument
    file's own size (0 for anything else): what can be read from it as a stream, since no
    member is read past its declared size."""
    if not data.startswith(b"PK"):
        return len(data) if FLAT_ODF_ROOT in data[:4096] else 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0


def _kill_group(pid: int) -> None:
    if pid > 0:
        with contextlib.suppress(OSError):  # already gone
            os.killpg(pid, signal.SIGKILL)
