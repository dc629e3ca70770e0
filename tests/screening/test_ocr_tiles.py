"""A very large scan (10,000 x 14,000 px) is read in overlapping tiles at its own size instead of
one reading shrunk below what Tesseract reads: a marking drawn across a tile border is still found
(whole in the neighbouring tile), within the 500 MB child cap; a near-miss drawn the same way stays
clear. Tesseract runs for real."""

from __future__ import annotations

import io
import itertools
import math
import re

import pytest
from PIL import Image, ImageDraw

from clearance.screening import ScreeningRules, Verdict
from clearance.screening.extract import ocr
from clearance.screening.isolated import screen_file_isolated
from tests.screening import corpus_ocr as c

pytestmark = pytest.mark.slow

SIZE = (10_000, 14_000)


def _scan_across_a_border(text: str) -> tuple[bytes, ocr.Box]:
    """A grey scan of ``SIZE`` with ``text`` alone on a line, centred on the bottom-right corner
    of the first tile (as the page is read), and the tile it straddles."""
    factor = math.ceil(
        math.sqrt(SIZE[0] * SIZE[1] / ocr.OCR_PIXELS)
    )  # the decoded page's read size
    read_size = (SIZE[0] // factor, SIZE[1] // factor)
    first = ocr.tiles(read_size)[0]
    corner = ((first.x + first.w) * factor, (first.y + first.h) * factor)
    page = Image.new("L", SIZE, 255)
    draw = ImageDraw.Draw(page)
    face = c.font(190, bold=True)
    left, top, right, bottom = face.getbbox(text)
    draw.text(
        (corner[0] - (right - left) // 2 - left, corner[1] - (bottom - top) // 2 - top),
        text,
        font=face,
        fill=0,
    )
    out = io.BytesIO()
    page.save(out, "PNG", optimize=True)
    return out.getvalue(), first


def _box(location: str) -> ocr.Box:
    found = re.search(r"box \((\d+), (\d+), (\d+), (\d+)\)", location)
    assert found, location
    return ocr.Box(*(int(v) for v in found.groups()))


def test_tiles_cover_the_page_with_overlap() -> None:
    for size in ((3_333, 4_666), (2_400, 2_401), (9_000, 500)):
        boxes = ocr.tiles(size)
        assert all(b.w <= ocr.TILE_SIDE and b.h <= ocr.TILE_SIDE for b in boxes)
        assert max(b.x + b.w for b in boxes) == size[0] and max(b.y + b.h for b in boxes) == size[1]
        for axis in ("x", "y"):
            side = "w" if axis == "x" else "h"
            ends = {getattr(b, axis): getattr(b, axis) + getattr(b, side) for b in boxes}
            for before, after in itertools.pairwise(sorted(ends)):
                assert ends[before] - after >= ocr.TILE_OVERLAP  # neighbours overlap


def test_a_marking_across_a_tile_border_of_a_huge_scan_is_read(rules: ScreeningRules) -> None:
    data, first = _scan_across_a_border("TỐI MẬT")
    result = screen_file_isolated(data, "ban-chup-lon.png", rules, memory_bytes=500 * 2**20)
    assert result.verdict is Verdict.BLOCKED, (result.held_reason, result.findings)
    marks = [f for f in result.findings if f.rule.startswith("marking.") and f.severity == "block"]
    assert marks, result.findings
    box = _box(marks[0].location)
    inside = first.x <= box.x and box.x + box.w <= first.x + first.w
    assert not inside or box.y + box.h > first.y + first.h  # it crosses the first tile's border
    assert box.x < first.x + first.w < box.x + box.w or box.y < first.y + first.h < box.y + box.h


def test_a_near_miss_across_a_tile_border_stays_clear(rules: ScreeningRules) -> None:
    data, _first = _scan_across_a_border("mật ong rừng")
    result = screen_file_isolated(data, "mat-ong-lon.png", rules, memory_bytes=500 * 2**20)
    assert result.verdict is Verdict.CLEAR, (result.held_reason, result.findings)
    read = "\n".join(cov.text for cov in result.coverage if cov.method == "ocr")
    assert "mật ong" in read
