"""Office documents rendered as a viewer shows them: LibreOffice headless converts the file to PDF
(its own throw-away profile, its own process group, address-space and CPU caps through
``prlimit``, a wall timeout that kills the group), poppler reads the text of each rendered page
(``pdftotext``) and draws the pages as PNG for the approver's preview (``pdftoppm``).

Two ways to run LibreOffice, chosen by measurement (``bench/screening_render.py``): a cold start
with a fresh profile costs 1.2 s on an idle machine but 3-4 s on a loaded one, against 0.1-0.4 s
for a conversion in a warm soffice. So the warm one is used where it can be: one per user, driven
through UNO by :mod:`.unodriver` under the system Python that has ``python3-uno``, capped in
address space, killed with its group when a conversion outlives its time, recycled after
``RECYCLE_AFTER`` documents or any error. Where it cannot be (no python3-uno, or this process is
already capped below what LibreOffice needs), every file gets its own cold soffice.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from clearance.screening import filetype

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
RTF = "application/rtf"

# the office formats a viewer lays out (fields, numbering, styles, headers): rendered and compared
SUFFIXES: dict[str, str] = {
    filetype.DOCX: ".docx",
    filetype.XLSX: ".xlsx",
    PPTX: ".pptx",
    ODT: ".odt",
    ODS: ".ods",
    ODP: ".odp",
    RTF: ".rtf",
    "text/rtf": ".rtf",
}

RENDER_MEMORY_BYTES = 1536 * 1024 * 1024  # as unodriver.MEMORY_BYTES
SYSTEM_PYTHON = "/usr/bin/python3"  # where Debian's python3-uno is importable
PREVIEW_DPI = 60
_MAX_PAGES = 500


class RenderUnavailable(Exception):
    """LibreOffice or poppler is not installed: the rendered view cannot be checked."""


class RenderFailed(Exception):
    """The document could not be rendered (timeout, cap, crash, no output): ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Rendering:
    """The rendered document: its PDF, the text of each page, and each page as PNG (when asked)."""

    pdf_bytes: bytes
    page_texts: tuple[str, ...]
    page_pngs: tuple[bytes, ...] = ()


def is_rendered(detected: str) -> bool:
    return detected in SUFFIXES


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RenderUnavailable(f"{name} is not installed (scripts/setup.sh installs it)")
    return path


def _memory_cap() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return RENDER_MEMORY_BYTES if soft == resource.RLIM_INFINITY else min(soft, RENDER_MEMORY_BYTES)


def _cpu_cap(seconds: int) -> int:
    """``seconds`` of CPU, within this process's own CPU limit (the isolated child's cap: a
    helper may not be given more, and ``prlimit`` could not raise it past the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    for limit in (soft, hard):
        if limit != resource.RLIM_INFINITY:
            seconds = min(seconds, int(limit))
    return max(1, seconds)


def _run(command: list[str], *, deadline: float, home: Path, what: str) -> bytes:
    """Run ``command`` under ``prlimit`` caps in its own process group; kill the group at the
    deadline. Returns stdout; :class:`RenderFailed` on a timeout or a failure."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RenderFailed(f"no time was left to {what}")
    cpu = _cpu_cap(int(remaining + 0.999))  # the wall deadline bounds it too
    capped = [_tool("prlimit"), f"--as={_memory_cap()}", f"--cpu={cpu}", "--", *command]
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    with subprocess.Popen(
        capped,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate(timeout=remaining)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise RenderFailed(f"could not {what} within {remaining:.0f} s") from None
        finally:
            with contextlib.suppress(OSError):  # anything it left behind (soffice.bin)
                os.killpg(process.pid, signal.SIGKILL)
    if process.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise RenderFailed(f"could not {what} (exit status {process.returncode}) {tail[0][:160]}")
    return out


#: import filters for formats LibreOffice would otherwise open in a mode that drops content
#: (HTML opens in Writer/Web, whose PDF export loses headings): lay them out in Writer
_IMPORT_FILTERS = {".html": "HTML (StarWriter)"}


def _soffice_pdf(data: bytes, suffix: str, root: Path, deadline: float) -> Path:
    """Lay ``data`` (a file ending in ``suffix``) out as PDF with LibreOffice under the caps: in
    the warm renderer where there is one, else a cold soffice with a fresh profile under
    ``root``; return the PDF's path."""
    soffice = _tool("soffice")
    source = root / f"document{suffix}"
    source.write_bytes(data)
    out = root / "out"
    out.mkdir()
    rendered = out / "document.pdf"
    if suffix in _IMPORT_FILTERS or not _warm_convert(source, rendered, deadline):
        command = [
            soffice,
            f"-env:UserInstallation={(root / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            *([f"--infilter={_IMPORT_FILTERS[suffix]}"] if suffix in _IMPORT_FILTERS else []),
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(source),
        ]
        _run(command, deadline=deadline, home=root, what="render the document with LibreOffice")
    if not rendered.is_file():
        raise RenderFailed("LibreOffice rendered no pages (the file may be damaged)")
    return rendered


def convert_to_pdf(data: bytes, suffix: str, *, seconds: float = 60.0) -> bytes:
    """The PDF LibreOffice lays out for ``data`` (``suffix`` names its format: ``.html``,
    ``.odt``...), under the same caps as rendering for screening."""
    with tempfile.TemporaryDirectory(prefix="clearance-render-") as work:
        return _soffice_pdf(data, suffix, Path(work), time.monotonic() + seconds).read_bytes()


def render_pages(
    data: bytes,
    detected: str,
    *,
    seconds: float = 30.0,
    pngs: bool = True,
    dpi: int = PREVIEW_DPI,
) -> Rendering:
    """Render an office document (``detected`` is its MIME type, one of :data:`SUFFIXES`) to PDF
    pages with LibreOffice, read each page's text with poppler and, when ``pngs``, draw each
    page at ``dpi``. :class:`RenderUnavailable` when a tool is missing, :class:`RenderFailed`
    when rendering fails or takes longer than ``seconds``."""
    pdftotext = _tool("pdftotext")
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix="clearance-render-") as work:
        root = Path(work)
        rendered = _soffice_pdf(data, SUFFIXES.get(detected, ".bin"), root, deadline)
        pdf = rendered.read_bytes()
        text = _run(
            [pdftotext, "-layout", "-enc", "UTF-8", str(rendered), "-"],
            deadline=deadline,
            home=root,
            what="read the rendered pages' text",
        ).decode("utf-8", "replace")
        pages = text.split("\f")
        if pages and not pages[-1].strip():
            pages.pop()  # pdftotext ends every page with a form feed
        if len(pages) > _MAX_PAGES:
            raise RenderFailed(f"the rendered document has more than {_MAX_PAGES} pages")
        images: tuple[bytes, ...] = ()
        if pngs:
            images = _draw(rendered, root, deadline, dpi)
        return Rendering(pdf, tuple(pages), images)


# one driver per user and per driver code: an upgrade starts its own, the old one idles out
_DRIVER_CODE = Path(__file__).with_name("unodriver.py").read_bytes()
_DRIVER_VERSION = hashlib.sha256(_DRIVER_CODE).hexdigest()[:12]


def driver_directory() -> Path | None:
    """The user's private directory of the warm driver (None if it is not ours or not private)."""
    directory = Path(tempfile.gettempdir()) / f"clearance-office-{os.getuid()}-{_DRIVER_VERSION}"
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700)
    info = directory.lstat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077 or not directory.is_dir():
        return None
    return directory


def _can_start_driver() -> bool:
    """Only an uncapped process starts the driver (a one-file child's caps would be inherited)."""
    if not Path(SYSTEM_PYTHON).is_file() or shutil.which("prlimit") is None:
        return False
    limits = (*resource.getrlimit(resource.RLIMIT_AS), *resource.getrlimit(resource.RLIMIT_CPU))
    return all(x == resource.RLIM_INFINITY for x in limits)


def _connect(path: Path, deadline: float) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(max(0.1, deadline - time.monotonic()))
        connection.connect(str(path))
    except OSError:
        connection.close()
        return None
    return connection


_DRIVER: list[subprocess.Popen[bytes]] = []  # the driver this process started, if any


def _spawn(directory: Path) -> subprocess.Popen[bytes] | None:
    if _DRIVER and _DRIVER[0].poll() is None:
        return _DRIVER[0]  # still starting (or running)
    with (directory / "start.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process is starting one
        except BlockingIOError:
            return None
        if _alive(directory / "driver.sock"):
            return None
        driver = subprocess.Popen(
            [SYSTEM_PYTHON, "-I", str(Path(__file__).with_name("unodriver.py")), str(directory)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives the caller and any kill of the caller's group
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(directory)},
        )
    _DRIVER[:] = [driver]
    return driver


def _alive(path: Path) -> bool:
    connection = _connect(path, time.monotonic() + 1)
    if connection is None:
        return False
    connection.close()  # the driver reads an empty request and carries on
    return True


_CHECKED: list[float] = [0.0]


def ensure_driver() -> None:
    """Start the warm driver if it is not running, without waiting, at most every few seconds
    (the fork server calls this so that its capped children find one)."""
    if time.monotonic() - _CHECKED[0] < 5:
        return
    _CHECKED[0] = time.monotonic()
    directory = driver_directory()
    if directory is None or not _can_start_driver() or shutil.which("soffice") is None:
        return
    if not _alive(directory / "driver.sock"):
        _spawn(directory)


def start_driver(deadline: float) -> socket.socket | None:
    """A connection to the user's warm LibreOffice driver, started (and waited for) if this
    process may start it; None where there is none (the caller converts cold)."""
    directory = driver_directory()
    if directory is None:
        return None
    path = directory / "driver.sock"
    connection = _connect(path, deadline)
    if connection is not None or not _can_start_driver():
        return connection
    driver = _spawn(directory)
    while time.monotonic() < deadline - 1 and (driver is None or driver.poll() is None):
        connection = _connect(path, deadline)
        if connection is not None:
            return connection
        time.sleep(0.05)
    return None


def _warm_convert(source: Path, target: Path, deadline: float) -> bool:
    """Convert in the warm LibreOffice; False where there is none (convert cold instead).
    :class:`RenderFailed` when it was tried and failed (held, not retried cold)."""
    connection = start_driver(deadline)
    if connection is None:
        return False
    seconds = deadline - time.monotonic()
    with connection:
        try:
            connection.settimeout(max(0.1, seconds + 2))
            request = {"source": str(source), "target": str(target), "seconds": seconds}
            connection.sendall(json.dumps(request).encode() + b"\n")
            answer = json.loads(connection.makefile("rb").readline() or b"{}")
        except (OSError, ValueError) as exc:
            raise RenderFailed(f"the LibreOffice renderer did not answer ({exc})") from None
    if not answer.get("ok"):
        reason = str(answer.get("error", "no answer"))[:200]
        raise RenderFailed(f"could not render the document with LibreOffice: {reason}")
    return True


def draw_pdf(data: bytes, *, seconds: float = 30.0, dpi: int = PREVIEW_DPI) -> tuple[bytes, ...]:
    """Each page of the PDF ``data`` drawn as PNG at ``dpi`` by poppler under the same caps as
    rendering (at most the first 500 pages). :class:`RenderUnavailable` when poppler is
    missing, :class:`RenderFailed` when drawing fails or takes longer than ``seconds``."""
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix="clearance-draw-") as work:
        root = Path(work)
        source = root / "document.pdf"
        source.write_bytes(data)
        pages = _draw(source, root, deadline, dpi)
    if not pages:
        raise RenderFailed("poppler drew no pages (the file may be damaged)")
    return pages


def _draw(rendered: Path, root: Path, deadline: float, dpi: int) -> tuple[bytes, ...]:
    pdftoppm = _tool("pdftoppm")
    prefix = root / "page"
    _run(
        [pdftoppm, "-r", str(dpi), "-l", str(_MAX_PAGES), "-png", str(rendered), str(prefix)],
        deadline=deadline,
        home=root,
        what="draw the rendered pages",
    )
    drawn = sorted(root.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return tuple(p.read_bytes() for p in drawn)
