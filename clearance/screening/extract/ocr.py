"""Text in rasters through Tesseract (Debian's ``tesseract-ocr`` with ``tesseract-ocr-vie``).

One entry point for every raster the screener meets: :func:`ocr_image` takes the bytes of an image
(or a decoded Pillow image: a TIFF page, a GIF frame, an image embedded in an office document or a
PDF, a rendered PDF page), reads it and records what it read in the caller's
:class:`~clearance.screening.extract.base.Extraction` (method ``ocr``, the pixels looked at, a
page/box location per line), or records the part as ``uninspected`` with the reason.

Steps: the pixel count is checked from the header before anything is decoded (JPEG decodes at a
reduced scale, anything else whose pixels would not fit the memory cap is held); the page is set
upright by Tesseract's orientation detection (OSD, 0/90/180/270); the page is read once in grey
(a very large page in overlapping tiles at its own size, so body text is not shrunk away and a line
across a tile border is whole in a neighbour);
red-ink regions (an HSV mask cut into connected components) are cropped, drawn as black ink alone
(so body text under a stamp does not garble it), deskewed, upscaled and read again on their own.

Tesseract runs as a child process (``CLEARANCE_TESSERACT``, default ``tesseract``) with one thread
and the budget's remaining time as its timeout; it inherits the isolated child's memory limit.
Each run loads the model again (0.1 s), so an upright page costs two runs: its text, then every
stamp's readings together (a list of image files; Tesseract reads files, not stdin, which is
three times slower for a page, measured by ``bench/screening_ocr.py``).
Where it is missing, an image that is not blank is held (``uninspected``), never ``clear``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from clearance.screening.extract.base import Extraction
from clearance.screening.limits import Budget, Held
from clearance.settings import load_screening_settings

#: Pixels a decoded image may hold before OCR (a 300 dpi A4 page is 8.7 Mpx; a larger one is
#: reduced to this, which keeps body text above the size Tesseract reads).
OCR_PIXELS = 16_000_000
#: Bytes the decoded pixels may take; beyond it the image is held with that reason.
DECODE_BYTES = 256 * 1024 * 1024
#: Grey levels between the darkest and lightest pixel below which a raster holds no text.
BLANK_RANGE = 24
#: Pixels the page text is read at (a 300 dpi A4 page is read at about 250 dpi).
PAGE_PIXELS = 6_000_000
#: Beyond this many pixels one reduced reading would shrink body text below what Tesseract reads
#: (to less than half its size), so the page is read in overlapping tiles at its own size instead.
TILE_FROM = 2 * PAGE_PIXELS
#: Side of a tile (about :data:`PAGE_PIXELS` each) and how far neighbouring tiles overlap: a word
#: or a stamp line up to this wide that straddles a border is whole in at least one tile.
TILE_SIDE = 2_400
TILE_OVERLAP = 480
_FEW_CHARS = 40
_CONFIDENT = 70.0
LANGUAGES = "vie"
_OSD_SIDE = 1000
_MIN_OSD_CONFIDENCE = 1.5
_SMALL_SIDE = 600
_STAMP_MIN_SIDE = 24
_STAMP_TEXT_HEIGHT = 360
_GRID = 8
_STAMP_PIXELS = 2_500_000  # stamps are looked for on a copy reduced to about this size
_FRAME_SHARE = 170  # of 255: a row or column at least this full of ink is a frame side
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2}


ImageT = TypeVar("ImageT", bound=Image.Image)


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in the upright page's pixels."""

    x: int
    y: int
    w: int
    h: int

    def __str__(self) -> str:
        return f"box ({self.x}, {self.y}, {self.w}, {self.h})"


@dataclass(frozen=True, slots=True)
class OcrLine:
    text: str
    box: Box
    confidence: float = 100.0  # Tesseract's mean word confidence, 0-100


@dataclass(frozen=True, slots=True)
class OcrResult:
    """What OCR read from one raster: its lines (page text first, then stamps), the pixels it
    looked at and the rotation applied to set it upright (degrees, counter-clockwise)."""

    lines: tuple[OcrLine, ...]
    pixels: int
    rotation: int = 0

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class OcrUnavailable(Exception):
    """Tesseract is not installed or could not run: the raster is held with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def tesseract_command() -> str:
    """The Tesseract executable screening runs (``CLEARANCE_TESSERACT``, default ``tesseract``)."""
    return load_screening_settings().tesseract


def ocr_available() -> bool:
    return shutil.which(tesseract_command()) is not None


def decoded_bytes(size: tuple[int, int], mode: str) -> int:
    """Bytes Pillow needs for the pixels of an image of ``size`` and ``mode`` (4 per pixel for
    the multi-band modes, which Pillow stores in 32 bits)."""
    return size[0] * size[1] * _BYTES_PER_PIXEL.get(mode, 4)


def open_capped(data: bytes, part: str) -> Image.Image:
    """Open image bytes without decoding more than :data:`DECODE_BYTES`: the size comes from the
    header; a JPEG decodes at the scale that fits, anything else too large is held."""
    image = Image.open(io.BytesIO(data))
    return cap_pixels(image, part)


def cap_pixels(image: ImageT, part: str) -> ImageT:
    """``image`` (not yet loaded) checked against the memory cap before it is decoded."""
    width, height = image.size
    if width <= 0 or height <= 0:
        raise Held(f"{part}: the image declares no pixels ({width} x {height})")
    if decoded_bytes(image.size, image.mode) > DECODE_BYTES and image.format == "JPEG":
        scale = (decoded_bytes(image.size, image.mode) / DECODE_BYTES) ** 0.5
        image.draft(image.mode, (int(width / scale), int(height / scale)))
    if decoded_bytes(image.size, image.mode) > DECODE_BYTES:
        megabytes = decoded_bytes(image.size, image.mode) // (1024 * 1024)
        raise Held(
            f"{part}: the image declares {width} x {height} pixels ({width * height / 1e6:.0f} Mpx, "
            f"about {megabytes} MB decoded), more than the {DECODE_BYTES // (1024 * 1024)} MB cap; "
            "submit it at a lower resolution"
        )
    return image


def _shrink(image: Image.Image) -> Image.Image:
    """``image`` reduced in its own mode to about :data:`OCR_PIXELS` (no full-size conversion)."""
    pixels = image.size[0] * image.size[1]
    if pixels <= OCR_PIXELS:
        return image
    factor = int((pixels / OCR_PIXELS) ** 0.5 + 0.999)
    if image.mode in ("P", "PA", "1"):
        size = (max(1, image.size[0] // factor), max(1, image.size[1] // factor))
        if image.mode == "1":
            return image.convert("L").reduce(factor)
        return image.resize(size, Image.Resampling.NEAREST)
    return image.reduce(factor)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB (or L) pixels on white, within :data:`OCR_PIXELS`."""
    image = _shrink(image)
    if image.mode in ("1", "L", "I;16", "I", "F"):
        flat = image.convert("L")
    elif image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
    else:
        flat = image.convert("RGB")
    return flat


def _remaining(budget: Budget) -> float:
    left = budget.deadline - time.monotonic()
    if left <= 0:
        budget.check()
    return max(left, 0.5)


def _tesseract(image: Image.Image, args: list[str], budget: Budget) -> str:
    return _tesseract_all([image], args, budget)


def _tesseract_all(images: list[Image.Image], args: list[str], budget: Budget) -> str:
    """One Tesseract run over ``images`` (its output for all of them; in TSV each row's
    ``page_num`` is the image's place in the list, from 1): the model is loaded once. The images
    go in as files in a private folder (Tesseract reads a large image from stdin three times
    slower, measured), listed in a text file when there are several."""
    command = tesseract_command()
    executable = shutil.which(command)
    if executable is None:
        raise OcrUnavailable(
            f"Tesseract ({command}) is not installed; install tesseract-ocr and tesseract-ocr-vie "
            "(scripts/setup.sh does) so text in images can be read"
        )
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.TemporaryDirectory(prefix="clearance-ocr-") as folder:
        paths = [Path(folder) / f"{n}.png" for n in range(len(images))]
        for image, path in zip(images, paths, strict=True):
            image.save(path, format="PNG", compress_level=0)
        source = paths[0]
        if len(paths) > 1:
            source = Path(folder) / "images.txt"
            source.write_text("".join(f"{path}\n" for path in paths), encoding="utf-8")
        try:
            done = subprocess.run(
                [executable, str(source), "stdout", *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=_remaining(budget),
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise Held(
                f"OCR took longer than the {budget.limits.max_seconds} s budget; "
                "ask the security officer to review the image by hand"
            ) from exc
        except OSError as exc:
            raise OcrUnavailable(f"Tesseract ({command}) could not run ({exc})") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise OcrUnavailable(f"Tesseract failed (exit {done.returncode}: {detail[0][:160]})")
    return done.stdout.decode("utf-8", "replace")


def orientation(gray: Image.Image, budget: Budget) -> int:
    """Degrees (counter-clockwise, a multiple of 90) that set ``gray`` upright, by Tesseract's
    OSD on a reduced copy; 0 when OSD is unsure or finds too little text."""
    small = gray
    if max(gray.size) > _OSD_SIDE:
        small = gray.copy()
        small.thumbnail((_OSD_SIDE, _OSD_SIDE), Image.Resampling.BOX)
    try:
        report = _tesseract(small, ["--psm", "0", "-l", "osd"], budget)
    except OcrUnavailable as exc:
        if "not installed" in exc.reason:
            raise
        return 0  # too few characters to tell: the page is read as it is
    rotate, confidence = 0, 0.0
    for line in report.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Rotate":
            rotate = int(value.strip() or 0)
        elif key.strip() == "Orientation confidence":
            confidence = float(value.strip() or 0)
    if confidence < _MIN_OSD_CONFIDENCE or rotate % 90:
        return 0
    return (360 - rotate) % 360  # Tesseract says how far to turn clockwise


def _lines(tsv: str, scale: float, dx: int, dy: int) -> list[OcrLine]:
    """Lines from Tesseract's TSV (one row per word), boxes mapped back by ``scale`` and offset."""
    return _page_lines(tsv, scale, dx, dy).get("1", [])


def _page_lines(tsv: str, scale: float, dx: int, dy: int) -> dict[str, list[OcrLine]]:
    """:func:`_lines` for each image of a run over several (keyed by ``page_num``)."""
    words: dict[tuple[str, str, str, str], list[tuple[str, int, int, int, int, float]]] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        left, top, width, height = (int(c) for c in cells[6:10])
        words.setdefault((cells[1], cells[2], cells[3], cells[4]), []).append(
            (cells[11].strip(), left, top, width, height, float(cells[10]))
        )
    pages: dict[str, list[OcrLine]] = {}
    for (page, *_line), group in words.items():
        x0 = min(w[1] for w in group)
        y0 = min(w[2] for w in group)
        x1 = max(w[1] + w[3] for w in group)
        y1 = max(w[2] + w[4] for w in group)
        box = Box(
            dx + int(x0 / scale),
            dy + int(y0 / scale),
            int((x1 - x0) / scale),
            int((y1 - y0) / scale),
        )
        confidence = sum(w[5] for w in group) / len(group)
        pages.setdefault(page, []).append(OcrLine(" ".join(w[0] for w in group), box, confidence))
    return pages


def _read(gray: Image.Image, budget: Budget, psm: str, *, scale: float = 1.0, at: tuple[int, int]
          = (0, 0)) -> list[OcrLine]:  # fmt: skip
    args = ["--psm", psm, "-l", LANGUAGES, "-c", "tessedit_do_invert=0", "tsv"]
    return _lines(_tesseract(gray, args, budget), scale, at[0], at[1])


def red_ink(rgb: Image.Image) -> Image.Image:
    """A mode-L mask, 255 where the pixel is red ink (hue near 0, saturated, not dark)."""
    hue, sat, val = rgb.convert("HSV").split()
    red_hue = hue.point(lambda h: 255 if h <= 14 or h >= 236 else 0)
    saturated = sat.point(lambda s: 255 if s >= 90 else 0)
    lit = val.point(lambda v: 255 if v >= 70 else 0)
    return ImageChops.multiply(ImageChops.multiply(red_hue, saturated), lit)


def stamp_regions(mask: Image.Image, *, reach: int = 5) -> list[Box]:
    """Connected regions of ``mask`` (red ink), found on a grid of :data:`_GRID` px cells with
    neighbouring cells joined, so one stamp's letters and frame make one region."""
    cols, rows = max(1, mask.size[0] // _GRID), max(1, mask.size[1] // _GRID)
    grid = mask.resize((cols, rows), Image.Resampling.BOX).filter(ImageFilter.MaxFilter(reach))
    cells = grid.tobytes()
    seen = bytearray(len(cells))
    regions: list[Box] = []
    for start, value in enumerate(cells):
        if value < 8 or seen[start]:
            continue
        seen[start] = 1
        stack = [start]
        x0 = x1 = start % cols
        y0 = y1 = start // cols
        while stack:
            cell = stack.pop()
            cx, cy = cell % cols, cell // cols
            x0, x1, y0, y1 = min(x0, cx), max(x1, cx), min(y0, cy), max(y1, cy)
            for nx, ny in ((cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1)):
                if 0 <= nx < cols and 0 <= ny < rows:
                    neighbour = ny * cols + nx
                    if not seen[neighbour] and cells[neighbour] >= 8:
                        seen[neighbour] = 1
                        stack.append(neighbour)
        box = Box(x0 * _GRID, y0 * _GRID, (x1 - x0 + 1) * _GRID, (y1 - y0 + 1) * _GRID)
        if box.w >= _STAMP_MIN_SIDE and box.h >= _STAMP_MIN_SIDE // 2:
            regions.append(box)
    return regions


def _profile_score(ink: Image.Image) -> float:
    rows = list(ink.resize((1, ink.size[1]), Image.Resampling.BOX).tobytes())
    mean = sum(rows) / len(rows)
    return sum((r - mean) ** 2 for r in rows)


def deskew_angle(ink: Image.Image) -> float:
    """The small rotation (degrees, -15..15) that lines the ink's rows up best (row profile)."""
    small = ink.copy()
    small.thumbnail((320, 320), Image.Resampling.BOX)
    best, best_score = 0.0, -1.0
    coarse = [float(step) for step in range(-15, 16, 3)]
    for angles in (coarse, None):
        for angle in angles or [best - 1.5, best - 0.75, best + 0.75, best + 1.5]:
            rotated = small.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
            score = _profile_score(rotated)
            if score > best_score:
                best, best_score = angle, score
    return best


def unframe(ink: Image.Image) -> Image.Image:
    """``ink`` (upright, ink = 255) without the stamp's frame: rows and columns that are mostly
    ink are the frame's sides (a letter never fills that much of the region) and are erased, so
    Tesseract reads the letters instead of taking the framed block for a picture."""
    bounds = ink.point(lambda p: 255 if p >= 128 else 0).getbbox()
    if bounds:
        ink = ink.crop(bounds)
    width, height = ink.size
    rows = ink.resize((1, height), Image.Resampling.BOX).tobytes()
    cols = ink.resize((width, 1), Image.Resampling.BOX).tobytes()
    out = ink.copy()
    draw = ImageDraw.Draw(out)
    for y, value in enumerate(rows):
        if value >= _FRAME_SHARE:
            draw.line((0, y, width, y), fill=0, width=5)
    for x, value in enumerate(cols):
        if value >= _FRAME_SHARE:
            draw.line((x, 0, x, height), fill=0, width=5)
    return out


def _upright_ink(mask: Image.Image, box: Box, factor: int) -> tuple[Image.Image, Box]:
    """The ink of region ``box`` cropped with a margin, upscaled and deskewed; the box returned
    is in the pixels of the page ``factor`` times larger than ``mask``."""
    pad = _GRID * 2
    crop = (max(0, box.x - pad), max(0, box.y - pad), min(mask.size[0], box.x + box.w + pad),
            min(mask.size[1], box.y + box.h + pad))  # fmt: skip
    ink = mask.crop(crop)
    angle = deskew_angle(ink)
    scale = max(0.25, min(4.0, _STAMP_TEXT_HEIGHT / max(1, ink.size[1])))
    if scale > 1.0 or scale < 0.5:
        ink = ink.resize(
            (int(ink.size[0] * scale), int(ink.size[1] * scale)), Image.Resampling.BICUBIC
        )
    if angle:
        ink = ink.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    where = Box(crop[0], crop[1], crop[2] - crop[0], crop[3] - crop[1])
    return ink, Box(where.x * factor, where.y * factor, where.w * factor, where.h * factor)


def framed(ink: Image.Image) -> bool:
    """Whether upright ``ink`` is drawn inside a frame: a nearly full row near its top and its
    bottom and a nearly full column near its left and right (a stamp's rectangle)."""
    bounds = ink.point(lambda p: 255 if p >= 128 else 0).getbbox()
    if not bounds:
        return False
    ink = ink.crop(bounds)
    width, height = ink.size
    if width < _STAMP_MIN_SIDE or height < _STAMP_MIN_SIDE // 2:
        return False
    rows = ink.resize((1, height), Image.Resampling.BOX).tobytes()
    cols = ink.resize((width, 1), Image.Resampling.BOX).tobytes()
    edge_rows, edge_cols = max(2, height // 8), max(2, width // 8)
    return all(
        max(values) >= _FRAME_SHARE
        for values in (rows[:edge_rows], rows[-edge_rows:], cols[:edge_cols], cols[-edge_cols:])
    )


def _ink_pages(ink: Image.Image) -> list[Image.Image]:
    """The two readings of a stamp's ``ink`` (blurred, and as it is), black on white, framed."""
    ink = unframe(ink)
    return [
        ImageOps.expand(ImageOps.invert(variant), 32, 255)
        for variant in (ink.filter(ImageFilter.GaussianBlur(1)), ink)
    ]


def _read_inks(found: list[tuple[Image.Image, Box]], budget: Budget) -> list[OcrLine]:
    """Every stamp of ``found`` (its ink, its box on the page) read twice (:func:`_ink_pages`)
    in one Tesseract run; each stamp's lines are the texts of both readings, once each."""
    if not found:
        return []
    images = [page for ink, _box in found for page in _ink_pages(ink)]
    args = ["--psm", "6", "-l", LANGUAGES, "-c", "tessedit_do_invert=0", "tsv"]
    pages = _page_lines(_tesseract_all(images, args, budget), 1.0, 0, 0)
    lines: list[OcrLine] = []
    for n, (_ink, stamp) in enumerate(found):
        texts: list[str] = []
        for reading in (2 * n + 1, 2 * n + 2):
            for line in pages.get(str(reading), []):
                if line.text not in texts:
                    texts.append(line.text)
        lines.extend(OcrLine(text, stamp) for text in texts)
    return lines


def _overlaps(box: Box, others: list[Box]) -> bool:
    return any(
        box.x < o.x + o.w and o.x < box.x + box.w and box.y < o.y + o.h and o.y < box.y + box.h
        for o in others
    )


def stamps(flat: Image.Image, gray: Image.Image, budget: Budget) -> list[OcrLine]:
    """Stamps read on their own: every red-ink region, and every framed region of dark ink (a
    black-and-white scan or fax of a stamp), each upright and upscaled (all in one run)."""
    found: list[tuple[Image.Image, Box]] = []
    red: list[Box] = []
    factor = max(1, int((flat.size[0] * flat.size[1] / _STAMP_PIXELS) ** 0.5 + 0.5))
    if factor > 1:  # stamps are large: find and read them at a reduced size
        flat, gray = flat.reduce(factor), gray.reduce(factor)
    if flat.mode == "RGB":
        mask = red_ink(flat)
        red = stamp_regions(mask)
        for box in red:
            budget.check()
            found.append(_upright_ink(mask, box, factor))
    dark = gray.point(lambda p: 255 if p < 128 else 0)
    for box in stamp_regions(dark, reach=3):
        if _overlaps(box, red) or box.w * box.h > gray.size[0] * gray.size[1] // 4:
            continue
        budget.check()
        ink, where = _upright_ink(dark, box, factor)
        if framed(ink):
            found.append((ink, where))
    budget.check()
    return _read_inks(found, budget)


def _confident(lines: list[OcrLine]) -> bool:
    """Whether a reading looks like upright text (else orientation detection is asked)."""
    chars = sum(len(line.text) for line in lines)
    if chars < _FEW_CHARS:
        return False
    return sum(line.confidence * len(line.text) for line in lines) / chars >= _CONFIDENT


def tiles(size: tuple[int, int]) -> list[Box]:
    """Overlapping tiles of at most :data:`TILE_SIDE` px a side covering a page of ``size``,
    row by row; neighbours share :data:`TILE_OVERLAP` px, and the last tile of a row or column
    ends at the page's edge."""

    def starts(length: int) -> list[int]:
        if length <= TILE_SIDE:
            return [0]
        stride = TILE_SIDE - TILE_OVERLAP
        count = -(-(length - TILE_OVERLAP) // stride)
        return [min(n * stride, length - TILE_SIDE) for n in range(count)]

    width, height = size
    return [
        Box(x, y, min(TILE_SIDE, width - x), min(TILE_SIDE, height - y))
        for y in starts(height)
        for x in starts(width)
    ]


def _same_line(line: OcrLine, kept: list[OcrLine]) -> bool:
    """Whether ``line`` is one already read in the overlap of a neighbouring tile."""
    return any(other.text == line.text and _overlaps(line.box, [other.box]) for other in kept)


def _read_tiles(gray: Image.Image, budget: Budget) -> list[OcrLine]:
    """The page text of a large page, read tile by tile at its own size (blank tiles skipped),
    the lines put back in reading order (top to bottom, left to right) once each."""
    lines: list[OcrLine] = []
    for tile in tiles(gray.size):
        budget.check()
        crop = gray.crop((tile.x, tile.y, tile.x + tile.w, tile.y + tile.h))
        low, high = cast(tuple[int, int], crop.getextrema())
        if high - low >= BLANK_RANGE:
            lines.extend(_read(crop, budget, "3", at=(tile.x, tile.y)))
    kept: list[OcrLine] = []
    for line in sorted(lines, key=lambda item: (item.box.y, item.box.x)):
        if not _same_line(line, kept):
            kept.append(line)
    return kept


def _read_page(gray: Image.Image, budget: Budget) -> list[OcrLine]:
    """The page text: a small image is enlarged, a large one reduced to :data:`PAGE_PIXELS`, a
    very large one (past :data:`TILE_FROM`) read in overlapping tiles."""
    if gray.size[0] * gray.size[1] > TILE_FROM:
        return _read_tiles(gray, budget)
    scale = 1.0
    if max(gray.size) < _SMALL_SIDE:
        scale = min(4.0, _SMALL_SIDE * 2 / max(gray.size))
    elif gray.size[0] * gray.size[1] > PAGE_PIXELS:
        scale = (PAGE_PIXELS / (gray.size[0] * gray.size[1])) ** 0.5
    page = gray
    if scale != 1.0:
        size = (max(1, int(gray.size[0] * scale)), max(1, int(gray.size[1] * scale)))
        page = gray.resize(size, Image.Resampling.BICUBIC if scale > 1 else Image.Resampling.BOX)
    return _read(page, budget, "3", scale=scale)


def read_raster(image: Image.Image, budget: Budget) -> OcrResult:
    """OCR one decoded raster (within the memory cap): page text (set upright by OSD when the
    first reading is not confident), then stamps."""
    flat = _flatten(image)
    pixels = flat.size[0] * flat.size[1]
    gray = flat if flat.mode == "L" else flat.convert("L")
    low, high = cast(tuple[int, int], gray.getextrema())
    if high - low < BLANK_RANGE:
        return OcrResult((), pixels)
    if not ocr_available():
        _tesseract(gray, [], budget)  # raises OcrUnavailable with the reason
    budget.check()
    lines = _read_page(gray, budget)
    rotation = 0
    if not _confident(lines) and min(gray.size) >= 64:
        rotation = orientation(gray, budget)
        if rotation:
            flat = flat.rotate(rotation, expand=True)
            gray = gray.rotate(rotation, expand=True, fillcolor=255)
            lines = _read_page(gray, budget)
    lines.extend(stamps(flat, gray, budget))
    return OcrResult(tuple(lines), pixels, rotation)


def ocr_image(
    source: bytes | Image.Image, budget: Budget, part: str, out: Extraction
) -> OcrResult | None:
    """Read the text of one raster and record it in ``out`` as part ``part`` (method ``ocr``,
    each line located by ``part`` and its box), or record ``part`` as uninspected with the
    reason. Returns what was read (``None`` when it was not). Raises :class:`Held` only for the
    file's budget (time) running out."""
    try:
        image = open_capped(source, part) if isinstance(source, bytes) else source
        result = read_raster(image, budget)
    except OcrUnavailable as exc:
        out.uninspected(part, f"text in the image was not read: {exc.reason}")
        return None
    except Held as stop:
        if "longer than" in stop.reason:
            raise
        out.uninspected(part, stop.reason)
        return None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        out.uninspected(part, f"the image could not be decoded for OCR ({type(exc).__name__})")
        return None
    locations = tuple(f"{part}, line {n}, {line.box}" for n, line in enumerate(result.lines, 1))
    out.text(part, result.text, method="ocr", pixels=result.pixels, locations=locations)
    return result
