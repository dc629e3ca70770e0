"""Scanned PDF pages: a page whose text layer holds almost nothing is rendered and read by OCR.

Rendering is poppler's ``pdftoppm`` (Debian ``poppler-utils``, already the second opinion for PDF
text): it runs as its own process, so a page that makes the renderer crash or spin ends as a held
page, and it inherits the isolated child's memory limit; no PyPI wheel with a bundled PDF engine
is needed. Each page is rendered in colour (red stamps) at up to 300 dpi and at most
:data:`~clearance.screening.extract.ocr.PAGE_PIXELS` (the size page text is read at: an A4
page at about 250 dpi). Pages are rendered
and read two at a time (each Tesseract and pdftoppm runs on one thread).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image

from clearance.screening.extract.base import Extraction
from clearance.screening.extract.ocr import PAGE_PIXELS, ocr_image
from clearance.screening.limits import Budget, Held
from clearance.settings import load_screening_settings

#: A page whose text layer has fewer visible characters than this is read as a scan too.
FEW_CHARS = 200
#: A page drawing an image of at least this many pixels is read as a scan too (a quarter page
#: at 100 dpi; logos and icons are smaller).
RASTER_PIXELS = 250_000
DPI = 300


def ocr_workers() -> int:
    """Pages read at once (``CLEARANCE_OCR_WORKERS``, default: the CPUs, at most 2)."""
    return load_screening_settings().ocr_worker_count()


def needs_ocr(text: str, raster_pixels: int = 0) -> bool:
    """Whether a page must be read as a scan: its text layer covers too little to trust it
    alone, or it draws a raster large enough to hold text of its own (a scanned page with a
    caption or an OCR layer that may not say what the picture shows)."""
    if raster_pixels >= RASTER_PIXELS:
        return True
    return sum(1 for char in text if not char.isspace()) < FEW_CHARS


def raster_pixels(page: Any, depth: int = 0) -> int:
    """The pixels of the largest image XObject ``page`` (a pypdf page or Form XObject) draws,
    looking into its Form XObjects (4 levels)."""
    try:
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else None
        xobjects = resources.get("/XObject") if resources is not None else None
        xobjects = xobjects.get_object() if xobjects is not None else None
    except (AttributeError, KeyError, ValueError, TypeError):
        return 0
    if xobjects is None or not hasattr(xobjects, "values"):
        return 0
    largest = 0
    for raw in xobjects.values():
        xobject = raw.get_object()
        subtype = str(xobject.get("/Subtype", ""))
        if subtype == "/Image":
            width, height = int(xobject.get("/Width", 0) or 0), int(xobject.get("/Height", 0) or 0)
            largest = max(largest, width * height)
        elif subtype == "/Form" and depth < 4:
            largest = max(largest, raster_pixels(xobject, depth + 1))
    return largest


def _dpi(size_points: tuple[float, float]) -> int:
    width, height = (max(1.0, abs(v)) / 72 for v in size_points)
    fitting = int((PAGE_PIXELS / (width * height)) ** 0.5)
    return max(36, min(DPI, fitting))


def _render(path: Path, number: int, dpi: int, budget: Budget) -> Image.Image:
    command = shutil.which("pdftoppm")
    if command is None:
        raise Held("poppler's pdftoppm is not installed, so the scanned page was not rendered")
    args = [command, "-f", str(number), "-l", str(number), "-r", str(dpi)]
    try:
        done = subprocess.run(
            [*args, "-singlefile", str(path), str(path.with_name(f"page-{number}"))],
            capture_output=True,
            timeout=max(0.5, budget.deadline - time.monotonic()),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise Held(f"rendering page {number} took longer than the budget") from exc
    rendered = path.with_name(f"page-{number}.ppm")
    if done.returncode != 0 or not rendered.exists():
        detail = done.stderr.decode("utf-8", "replace").strip()[:160] or "no image"
        raise Held(f"page {number} could not be rendered ({detail})")
    try:
        with Image.open(rendered) as image:
            image.load()
            return image.copy()
    finally:
        rendered.unlink()


def _page(path: Path, number: int, size: tuple[float, float], budget: Budget) -> Extraction:
    out = Extraction()
    part = f"page {number}"
    try:
        image = _render(path, number, _dpi(size), budget)
    except Held as stop:
        if "longer than" in stop.reason:
            raise
        out.uninspected(part, stop.reason)
        return out
    ocr_image(image, budget, part, out)
    return out


def ocr_scanned_pages(
    data: bytes,
    texts: list[str],
    sizes: list[tuple[float, float]],
    budget: Budget,
    out: Extraction,
    rasters: list[int] | None = None,
) -> None:
    """Render and OCR every page that :func:`needs_ocr`; record them in ``out``. ``texts``,
    ``sizes`` (points) and ``rasters`` (:func:`raster_pixels`) are per page, from the caller's
    parser."""
    drawn = rasters or [0] * len(texts)
    wanted = [n for n, text in enumerate(texts, start=1) if needs_ocr(text, drawn[n - 1])]
    if not wanted:
        return
    with tempfile.TemporaryDirectory(prefix="clearance-pdf-") as folder:
        path = Path(folder) / "in.pdf"
        path.write_bytes(data)
        with ThreadPoolExecutor(max_workers=ocr_workers()) as pool:
            pages = list(pool.map(lambda n: _page(path, n, sizes[n - 1], budget), wanted))
    for page in pages:
        out.coverage.extend(page.coverage)
        out.parts.extend(page.parts)
        out.unread.extend(page.unread)
