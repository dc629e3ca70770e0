"""Glyphs back into the lines a reader sees: grouped by baseline direction, then by baseline,
each line ordered along its direction, words split where the gap between glyphs is wider than a
fraction of the font size. The order in which the content stream drew the glyphs plays no part,
so the same glyphs drawn in any order give the same text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from clearance.screening.extract.pdf_glyphs import Glyph

SPACE_GAP = 0.22  # a gap wider than this many font sizes is a word break
LINE_TOLERANCE = 0.45  # baselines closer than this many font sizes are one line
ANGLE_STEP = 5  # baseline directions within this many degrees read as one direction


def _direction(angle: float) -> int:
    return round(angle / ANGLE_STEP) * ANGLE_STEP % 360


def _join(line: list[tuple[float, Glyph]]) -> str:
    out: list[str] = []
    end: float | None = None
    for along, glyph in line:
        if end is not None and along - end > SPACE_GAP * max(glyph.size, 1e-6):
            out.append(" ")
        out.append(glyph.text)
        end = max(end, along + glyph.advance) if end is not None else along + glyph.advance
    return " ".join("".join(out).split())


def reading_text(glyphs: Iterable[Glyph]) -> str:
    """The text of ``glyphs`` in reading order: one line per baseline, top to bottom, the
    directions in the order of how much text each carries (upright text first)."""
    by_direction: dict[int, list[tuple[float, float, Glyph]]] = {}
    turns: dict[int, tuple[float, float]] = {}
    for glyph in glyphs:
        if not glyph.text or glyph.text.isspace():
            continue
        direction = _direction(glyph.angle)
        if direction == 0:
            along, across = glyph.x, glyph.y
        else:
            if direction not in turns:
                rad = math.radians(direction)
                turns[direction] = (math.cos(rad), math.sin(rad))
            cos, sin = turns[direction]
            along = glyph.x * cos + glyph.y * sin
            across = -glyph.x * sin + glyph.y * cos
        by_direction.setdefault(direction, []).append((-across, along, glyph))
    blocks: list[tuple[int, int, str]] = []
    for direction, placed in by_direction.items():
        placed.sort(key=lambda item: (item[0], item[1], item[2].text))
        lines: list[list[tuple[float, Glyph]]] = []
        baseline = math.inf
        for down, along, glyph in placed:
            if down - baseline > LINE_TOLERANCE * max(glyph.size, 1.0) or not lines:
                lines.append([])
                baseline = down
            lines[-1].append((along, glyph))
        text = "\n".join(
            _join(sorted(line, key=lambda item: (item[0], item[1].text))) for line in lines
        )
        weight = sum(len(item[2].text) for item in placed)
        blocks.append((0 if direction == 0 else 1, -weight, text))
    blocks.sort(key=lambda block: (block[0], block[1], block[2]))
    return "\n".join(block[2] for block in blocks)
