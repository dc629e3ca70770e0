"""The warm LibreOffice behind :mod:`clearance.screening.render`: one headless ``soffice``
listening on a private pipe, driven through UNO, converts one document at a time to PDF.

Run by the system Python that has ``python3-uno`` (``/usr/bin/python3 unodriver.py DIR``), never
imported by Clearance (stdlib and ``uno`` only). It listens on ``DIR/driver.sock`` (``DIR`` is
private to the user, mode 0700); each connection sends one JSON line ``{"source", "target",
"seconds"}`` and reads one JSON line back, ``{"ok": true}`` or ``{"error": reason}``.

Caps: soffice runs under ``prlimit`` (address space), in its own process group; a conversion that
outlives its ``seconds`` gets the whole group killed by a watchdog and the answer is an error (the
caller holds the file). Documents open hidden, read-only, with macros off and links never updated.
soffice is recycled after ``RECYCLE_AFTER`` documents or any error; the driver exits when idle.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uno  # python3-uno, the system Python's binding

RECYCLE_AFTER = 50
IDLE_SECONDS = 600.0
MEMORY_BYTES = 1536 * 1024 * 1024
_FILTERS = (
    ("com.sun.star.text.TextDocument", "writer_pdf_Export"),
    ("com.sun.star.sheet.SpreadsheetDocument", "calc_pdf_Export"),
    ("com.sun.star.presentation.PresentationDocument", "impress_pdf_Export"),
    ("com.sun.star.drawing.DrawingDocument", "draw_pdf_Export"),
)


def _property(name: str, value: Any) -> Any:
    prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
    prop.Name = name
    prop.Value = value
    return prop


class Office:
    """One soffice process and the UNO desktop that drives it."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.process: subprocess.Popen[bytes] | None = None
        self.profile: Path | None = None
        self.desktop: Any = None
        self.served = 0

    def start(self) -> None:
        self.stop()
        profile = Path(tempfile.mkdtemp(prefix="profile-", dir=self.work))
        self.profile = profile
        pipe = f"clearance-{os.getpid()}-{time.monotonic_ns()}"
        self.process = subprocess.Popen(
            [
                "prlimit",
                f"--as={MEMORY_BYTES}",
                "--",
                "soffice",
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--nologo",
                "--nolockcheck",
                "--nodefault",
                f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("LibreOffice did not start") from None
                time.sleep(0.1)
        self.desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context
        )
        self.served = 0
        self.conversions_total = getattr(self, "conversions_total", 0)
        self.record()

    def record(self) -> None:
        """What is running and how much it has converted (``driver.json``, for operators)."""
        state = {
            "driver": os.getpid(),
            "office_group": None if self.process is None else self.process.pid,
            "conversions": self.conversions_total,
        }
        (self.work / "driver.json").write_text(json.dumps(state), encoding="utf-8")

    def stop(self) -> None:
        process, self.process, self.desktop = self.process, None, None
        if process is not None:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        profile, self.profile = self.profile, None
        if profile is not None:
            shutil.rmtree(profile, ignore_errors=True)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def convert(self, source: str, target: str) -> None:
        if not self.alive() or self.served >= RECYCLE_AFTER:
            self.start()
        self.served += 1
        document = self.desktop.loadComponentFromURL(
            Path(source).as_uri(),
            "_blank",
            0,
            (
                _property("Hidden", True),
                _property("ReadOnly", True),
                _property("MacroExecutionMode", 0),  # NEVER_EXECUTE
                _property("UpdateDocMode", 0),  # NO_UPDATE: links are never fetched
            ),
        )
        if document is None:
            raise RuntimeError("LibreOffice could not open the document")
        try:
            name = next((f for service, f in _FILTERS if document.supportsService(service)), None)
            if name is None:
                raise RuntimeError("LibreOffice opened it as a kind of document it cannot print")
            document.storeToURL(Path(target).as_uri(), (_property("FilterName", name),))
            self.conversions_total += 1
            self.record()
        finally:
            with contextlib.suppress(Exception):
                document.close(True)


_BUSY = threading.Event()
_STOPPING = threading.Event()


def _stop(_number: int, _frame: object) -> None:
    _STOPPING.set()
    if not _BUSY.is_set():  # else after the current answer: a conversion is never cut short
        raise SystemExit(0)  # so that the clean-up below runs (socket, soffice, profile)


def serve(directory: Path) -> None:
    signal.signal(signal.SIGTERM, _stop)
    office = Office(directory)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = directory / "driver.sock"
    staging = directory / f"driver-{os.getpid()}.sock"
    listener.bind(str(staging))
    listener.listen(16)
    office.start()
    ours = staging.stat().st_ino
    staging.replace(path)  # visible only once LibreOffice answers
    listener.settimeout(IDLE_SECONDS)
    try:
        while True:
            try:
                connection, _address = listener.accept()
            except TimeoutError:
                return
            _BUSY.set()
            with connection:
                _answer(connection, office)
            _BUSY.clear()
            if _STOPPING.is_set():
                return
    finally:
        with contextlib.suppress(OSError):
            if path.stat().st_ino == ours:  # not a newer driver's socket
                path.unlink()
        office.stop()


def _answer(connection: socket.socket, office: Office) -> None:
    connection.settimeout(30)
    try:
        request = json.loads(connection.makefile("rb").readline())
        source, target, seconds = (
            str(request["source"]),
            str(request["target"]),
            float(request["seconds"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return
    done = threading.Event()
    expired = threading.Event()

    def watchdog() -> None:
        if not done.wait(seconds):
            expired.set()
            office.stop()  # kills soffice's whole group; the UNO call below then fails

    threading.Thread(target=watchdog, daemon=True).start()
    try:
        try:
            office.convert(source, target)
        except Exception:
            if expired.is_set() or office.alive():
                raise
            office.convert(
                source, target
            )  # LibreOffice had died (maybe on another file): once more
        answer: dict[str, Any] = {"ok": True}
    except Exception as exc:
        reason = f"did not finish within {seconds:.0f} s" if expired.is_set() else str(exc)[:200]
        answer = {"error": reason or type(exc).__name__}
        office.stop()  # any error: the next document gets a fresh LibreOffice
    finally:
        done.set()
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps(answer).encode() + b"\n")


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
