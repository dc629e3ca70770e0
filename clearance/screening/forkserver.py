"""The pre-loaded fork server behind :func:`clearance.screening.isolated.screen_file_isolated`.

One long-lived, single-threaded process imports the screening engine once and keeps each rules
object it is sent, with its matchers already compiled. For every file it forks one child, which
inherits all of that warm state and costs a fork instead of an interpreter start. One child is
forked ahead (the *spare*): it waits for the next connection itself, so a file does not wait for
a fork; once it has taken one it hands the connection to the server (``SCM_RIGHTS``) and the
server forks the next spare. Where no spare is waiting (it died, new rules were loaded) the
server accepts and forks as before. The child moves
to its own process group, sets its own caps (address space, CPU seconds, a wall-clock alarm),
screens the file, answers JSON on its connection and exits; a cap hit kills only that child.

Run by ``python -m clearance.screening.forkserver`` (internal protocol, see :mod:`.isolated`):

- control pipe (stdin/stdout): the server first writes ``A`` + its socket path; the parent sends
  ``L`` + pickled rules, the server answers ``K`` + the rules' digest once they are compiled.
- one Unix-socket connection per file: the parent writes ``Q`` + pickled ``(digest, data,
  filename, allowed_types, memory_bytes, cpu_seconds, wall_seconds)`` as soon as it connects; the
  child writes ``P`` + its pid, reads the request, writes ``R`` + the JSON answer (the parent
  stops there); after reaping it the server writes ``X`` + the JSON exit status, which is what
  the parent reads when the child ended without an answer.

Requests come from the parent that started the server (trusted, hence pickle); answers come from
the process that touched hostile bytes, hence JSON only. The server exits when its stdin closes.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import pickle
import select
import selectors
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from clearance.screening.frames import read_frame, rules_digest, write_frame
from clearance.screening.render import ensure_driver


class _Server:
    def __init__(self) -> None:
        self.rules: dict[str, Any] = {}
        self.waiting: dict[int, socket.socket] = {}
        self.exited: dict[int, int] = {}  # reaped before their hand-over was read: pid -> status
        self.spare: tuple[int, socket.socket] | None = None  # pid, the server's end of its channel
        self.selector = selectors.DefaultSelector()
        self.listening = False
        self.directory = tempfile.mkdtemp(prefix="clearance-screen-")
        self.path = str(Path(self.directory) / "fork.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(64)
        self.control_in = os.fdopen(0, "rb", buffering=0)  # unbuffered: select() sees every frame
        self.control_out = sys.stdout.buffer
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        os.set_blocking(wake_read, False)
        self.wake = wake_read
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)

    def load(self, pickled: bytes) -> None:
        from clearance.screening.detectors.scan import prepare_matchers
        from clearance.screening.engine import screen_file, screen_text

        digest = rules_digest(pickled)
        if digest not in self.rules:
            rules = pickle.loads(pickled)  # noqa: S301 - sent by the parent that started us
            prepare_matchers(rules)  # compiles the matchers once, inherited by every child
            screen_text("warm-up", rules)
            for name, data in _samples():  # and imports what the extractors load on first use
                screen_file(data, name, rules)
            self.rules[digest] = rules
            _freeze()
            self.retire_spare()  # it was forked without these rules
            self.fork_spare()
        write_frame(self.control_out, b"K", digest.encode())

    def listen(self, on: bool) -> None:
        """Accept in the server (no spare waiting) or leave the listener to the spare."""
        if on and not self.listening:
            self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        elif not on and self.listening:
            self.selector.unregister(self.listener)
        self.listening = on

    def fork_spare(self) -> None:
        if self.spare is not None or not self.rules or threading.active_count() != 1:
            self.listen(self.spare is None)
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the spare child
            code = 70
            try:
                ours.close()
                code = self.wait_as_spare(theirs)
            finally:
                os._exit(code)
        theirs.close()
        self.spare = (pid, ours)
        self.selector.register(ours, selectors.EVENT_READ, "spare")
        self.listen(False)
        ensure_driver()

    def wait_as_spare(self, channel: socket.socket) -> int:  # pragma: no cover - the spare
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for other in self.waiting.values():
            other.close()
        ready, _, _ = select.select([self.listener, channel], [], [])
        if channel in ready:  # the server has gone (or retired this spare)
            return 0
        connection, _address = self.listener.accept()
        self.listener.close()
        socket.send_fds(channel, [b"C"], [connection.fileno()])
        channel.close()
        return _child(connection, self.rules)

    def spare_taken(self) -> None:
        """The spare took a connection (or died): keep its connection, fork the next spare."""
        assert self.spare is not None
        pid, channel = self.spare
        self.spare = None
        self.selector.unregister(channel)
        try:
            _message, fds, _flags, _address = socket.recv_fds(channel, 16, 1)
        except OSError:
            fds = []
        channel.close()
        status = self.exited.pop(pid, None)
        if fds:
            connection = socket.socket(fileno=fds[0])
            if status is None:
                self.waiting[pid] = connection
            else:
                _report(connection, status)
        self.fork_spare()

    def retire_spare(self) -> None:
        if self.spare is None:
            return
        pid, channel = self.spare
        self.spare = None
        self.selector.unregister(channel)
        channel.close()  # the spare sees its channel close and exits (reaped as usual)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)

    def serve(self) -> None:
        ensure_driver()
        write_frame(self.control_out, b"A", self.path.encode())
        selector = self.selector
        self.listen(True)
        selector.register(self.control_in, selectors.EVENT_READ, "control")
        selector.register(self.wake, selectors.EVENT_READ, "reap")
        try:
            while True:
                for key, _events in selector.select():
                    if key.data == "control":
                        try:
                            kind, payload = read_frame(self.control_in)
                        except EOFError:
                            return
                        if kind == b"L":
                            self.load(payload)
                    elif key.data == "accept":
                        connection, _address = self.listener.accept()
                        self.fork(connection)
                        ensure_driver()  # the warm LibreOffice the capped children render in
                    elif key.data == "spare":
                        self.spare_taken()
                    else:
                        self.reap()
        finally:
            self.retire_spare()
            Path(self.path).unlink()
            Path(self.directory).rmdir()

    def fork(self, connection: socket.socket) -> None:
        if threading.active_count() != 1:  # forking a threaded process could copy a held lock
            connection.close()
            return
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 70
            try:
                self.listener.close()
                for other in self.waiting.values():
                    other.close()
                if self.spare is not None:
                    self.spare[1].close()
                code = _child(connection, self.rules)
            finally:
                os._exit(code)
        self.waiting[pid] = connection

    def reap(self) -> None:
        try:
            while os.read(self.wake, 4096):
                pass
        except BlockingIOError:
            pass
        while True:  # children and spares (a retired spare is reaped here too)
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            with contextlib.suppress(OSError):  # what it started (OCR, LibreOffice) ends with it
                os.killpg(pid, signal.SIGKILL)
            connection = self.waiting.pop(pid, None)
            if connection is None:
                if self.spare is not None and self.spare[0] == pid:
                    self.exited[pid] = status  # its hand-over (if any) is still to be read
                continue
            _report(connection, status)


def _report(connection: socket.socket, status: int) -> None:
    """Tell the parent how a child ended (what it reads when no answer came), then let go."""
    if os.WIFSIGNALED(status):
        outcome = {"signal": os.WTERMSIG(status)}
    else:
        outcome = {"exit": os.waitstatus_to_exitcode(status)}
    with contextlib.suppress(OSError):  # the parent may have given up and closed it
        write_frame(connection, b"X", json.dumps(outcome).encode())
    connection.close()


def _freeze() -> None:
    """Move every object the server holds out of the collector's reach before it forks: a
    child's collections then never walk (and so never copy-on-write) the warm state it
    inherits, only what it allocates itself."""
    gc.collect()
    gc.freeze()


def _samples() -> list[tuple[str, bytes]]:
    import io

    import pikepdf
    from PIL import Image

    pdf, png, jpeg = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with pikepdf.new() as document:
        document.add_blank_page()
        document.save(pdf)
    Image.new("RGB", (8, 8)).save(png, "PNG")
    Image.new("RGB", (8, 8)).save(jpeg, "JPEG")
    return [
        ("warm-up.txt", b"warm-up\n"),
        ("warm-up.pdf", pdf.getvalue()),
        ("warm-up.png", png.getvalue()),
        ("warm-up.jpg", jpeg.getvalue()),
        ("warm-up.html", b"<html><body><p>warm-up</p></body></html>"),
    ]


def _child(connection: socket.socket, known: dict[str, Any]) -> int:  # pragma: no cover
    import base64
    import resource

    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setpgid(0, 0)  # a timeout kills this child and anything it started (LibreOffice, OCR)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # stdout is the server's control pipe: never write on it
    write_frame(connection, b"P", str(os.getpid()).encode())
    kind, payload = read_frame(connection)
    if kind != b"Q":
        return 65
    request = pickle.loads(payload)  # noqa: S301 - written by the parent that started the server
    digest, data, filename, allowed, memory_bytes, cpu_seconds, wall_seconds = request
    rules = known.get(digest)
    if rules is None:
        return 66
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    signal.alarm(max(1, int(wall_seconds + 0.999)))  # default action ends the process
    from clearance.screening.engine import screen_file

    result = screen_file(data, filename, rules, allowed_types=allowed)
    sanitized = None if result.sanitized is None else base64.b64encode(result.sanitized).decode()
    answer = json.dumps({"result": result.to_json(), "sanitized": sanitized})
    write_frame(connection, b"R", answer.encode())
    connection.close()
    return 0


def main() -> None:  # pragma: no cover - runs as the server process
    import clearance.screening.engine  # noqa: F401 - the point: import once, fork many

    _freeze()
    _Server().serve()


if __name__ == "__main__":  # pragma: no cover
    main()
