"""Every glyph a content stream draws, with where it lands on the page.

A small interpreter over pypdf's content-stream parser and font decoding: it follows the graphics
state (``q``/``Q``/``cm``), the text state (``Tf``, ``Tc``, ``Tw``, ``Tz``, ``TL``, ``Ts``) and
every text positioning and showing operator (``Td``, ``TD``, ``Tm``, ``T*``, ``Tj``, ``TJ``,
``'``, ``"``), and recurses into Form XObjects (nested, shared, each with its own matrix and
resources). It does not decide reading order: :mod:`pdf_lines` does, from the positions, so text
drawn one glyph at a time in any order, turned, or spaced by ``TJ`` kerning reads as a reader
sees it. Optional content (``BDC``/``EMC`` layers) is not honoured on purpose: hidden layers are
read too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
    TextStringObject,
)

from clearance.screening.limits import Budget, Held

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
MAX_FORM_DEPTH = 12
MAX_GLYPHS = 2_000_000


class Glyph(NamedTuple):
    """One drawn character: its text, origin on the page, baseline direction and size (a tuple:
    a page can draw hundreds of thousands)."""

    text: str
    x: float
    y: float
    angle: float  # degrees, direction of the baseline in page space
    size: float  # glyph height in page space
    advance: float  # width along the baseline in page space


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF row-vector convention: a point is transformed by m x n)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)  # fmt: skip


def _resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _numbers(operands: list[Any], count: int) -> list[float] | None:
    if len(operands) < count:
        return None
    try:
        return [float(operand) for operand in operands[:count]]
    except (TypeError, ValueError):
        return None


class _FontCache:
    def __init__(self) -> None:
        self._fonts: dict[int, Any] = {}

    def get(self, font_dict: DictionaryObject) -> Any:
        from pypdf.generic._font import Font  # pypdf's own decoding: ToUnicode, encodings, widths

        key = id(font_dict)
        if key not in self._fonts:
            self._fonts[key] = Font.from_font_resource(font_dict)
        return self._fonts[key]


@dataclass(slots=True)
class _TextState:
    font: Any = None
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0


@dataclass(slots=True)
class _State:
    ctm: Matrix
    text: _TextState = field(default_factory=_TextState)


def _decode(font: Any, raw: bytes) -> list[tuple[str, str]]:
    """``raw`` as (code, text) pairs: the code keys the widths, the text is what a reader gets."""
    encoding = font.encoding
    if isinstance(encoding, str):
        wide = "utf-16" in encoding
        if wide and len(raw) % 2:
            raw = raw[:-1]
        codes = raw.decode(encoding, "surrogatepass" if wide else "replace")
    else:
        codes = "".join(encoding.get(byte, chr(byte)) for byte in raw)
    mapping = font.character_map
    return [(code, str(mapping.get(code, code))) for code in codes]


class GlyphCollector:
    """Collects the glyphs of one page (or one appearance stream) in drawing order."""

    def __init__(self, budget: Budget, on_unread: Callable[[str, str], None]) -> None:
        self.glyphs: list[Glyph] = []
        self._budget = budget
        self._on_unread = on_unread
        self._fonts = _FontCache()
        self.forms_seen: set[int] = set()
        #: (tag, property list) of each marked-content sequence (``BDC``) whose properties carry
        #: associated files (``/AF``): the caller reads them, named by the tag
        self.marked: list[tuple[str, DictionaryObject]] = []

    def run(
        self,
        content: Any,
        resources: DictionaryObject | None,
        reader: Any,
        ctm: Matrix = IDENTITY,
        *,
        depth: int = 0,
        chain: frozenset[int] = frozenset(),
    ) -> None:
        """Interpret ``content`` (a stream, an array of streams, or None) under ``ctm``."""
        if content is None:
            return
        if depth > MAX_FORM_DEPTH:
            raise Held(f"Form XObjects nest deeper than {MAX_FORM_DEPTH} levels")
        stream = ContentStream(content, reader)
        resources = resources if isinstance(resources, DictionaryObject) else DictionaryObject()
        fonts = _resolve(resources.get("/Font")) or DictionaryObject()
        xobjects = _resolve(resources.get("/XObject")) or DictionaryObject()
        properties = _resolve(resources.get("/Properties"))
        state = _State(ctm)
        stack: list[_State] = []
        tm: Matrix = IDENTITY
        tlm: Matrix = IDENTITY
        for count, (operands, operator) in enumerate(stream.operations):
            if count % 2048 == 0:
                self._budget.check()
            op = operator
            if op == b"q":
                stack.append(_State(state.ctm, _copy_text(state.text)))
            elif op == b"Q":
                if stack:
                    state = stack.pop()
            elif op == b"cm":
                values = _numbers(operands, 6)
                if values:
                    state.ctm = multiply(tuple(values), state.ctm)  # type: ignore[arg-type]
            elif op == b"BT":
                tm = tlm = IDENTITY
            elif op == b"Tf" and len(operands) >= 2:
                font_dict = _resolve(fonts.get(operands[0]))
                state.text.size = float(operands[1]) if _numbers(operands[1:], 1) else 0.0
                state.text.font = self._font(font_dict, str(operands[0]))
            elif op in (b"Tc", b"Tw", b"Tz", b"TL", b"Ts"):
                values = _numbers(operands, 1)
                if values:
                    _set_text_param(state.text, op, values[0])
            elif op in (b"Td", b"TD"):
                values = _numbers(operands, 2)
                if values:
                    if op == b"TD":
                        state.text.leading = -values[1]
                    tlm = tm = multiply((1, 0, 0, 1, values[0], values[1]), tlm)
            elif op == b"Tm":
                values = _numbers(operands, 6)
                if values:
                    tlm = tm = tuple(values)  # type: ignore[assignment]
            elif op in (b"T*", b"'", b'"'):
                if op == b'"':
                    values = _numbers(operands, 2)
                    if values:
                        state.text.word_spacing, state.text.char_spacing = values
                shown = operands[2:] if op == b'"' else operands
                tlm = tm = multiply((1, 0, 0, 1, 0, -state.text.leading), tlm)
                if op != b"T*" and shown:
                    tm = self._show(shown[0], state, tm)
            elif op == b"Tj" and operands:
                tm = self._show(operands[0], state, tm)
            elif op == b"TJ" and operands and isinstance(operands[0], ArrayObject):
                for item in operands[0]:
                    if isinstance(item, (bytes, str)) and not isinstance(item, NameObject):
                        tm = self._show(item, state, tm)
                    elif _numbers([item], 1):
                        shift = -float(item) / 1000 * state.text.size * state.text.scale
                        tm = multiply((1, 0, 0, 1, shift, 0), tm)
            elif op == b"BDC" and len(operands) >= 2:
                self._marked(operands[0], operands[1], properties)
            elif op == b"Do" and operands:
                target = xobjects.get(operands[0])
                self._form(target, state.ctm, reader, depth, chain)
            if len(self.glyphs) > MAX_GLYPHS:
                raise Held(f"the PDF draws more than {MAX_GLYPHS} glyphs")

    def _marked(self, tag: Any, raw: Any, properties: Any) -> None:
        if isinstance(raw, NameObject):
            raw = properties.get(raw) if isinstance(properties, DictionaryObject) else None
        found = _resolve(raw)
        if isinstance(found, DictionaryObject) and "/AF" in found:
            self.marked.append((str(tag).lstrip("/") or "untagged", found))

    def form(self, target: Any, ctm: Matrix, reader: Any) -> None:
        """Interpret a Form XObject (an appearance stream) placed with ``ctm``."""
        self._form(target, ctm, reader, 0, frozenset())

    def _form(
        self, target: Any, ctm: Matrix, reader: Any, depth: int, chain: frozenset[int]
    ) -> None:
        number = target.idnum if isinstance(target, IndirectObject) else None
        form = _resolve(target)
        if not isinstance(form, StreamObject) or form.get("/Subtype") == "/Image":
            return
        key = number if number is not None else id(form)
        if key in chain:
            raise Held(f"Form XObject {number} draws itself (a loop)")
        if number is not None:
            self.forms_seen.add(number)
        matrix = form.get("/Matrix")
        values = _numbers(list(matrix), 6) if isinstance(matrix, ArrayObject) else None
        placed = multiply(tuple(values), ctm) if values else ctm  # type: ignore[arg-type]
        self.run(
            form,
            _resolve(form.get("/Resources")),
            reader,
            placed,
            depth=depth + 1,
            chain=chain | {key},
        )

    def _font(self, font_dict: Any, name: str) -> Any:
        if not isinstance(font_dict, DictionaryObject):
            self._on_unread(f"font {name}", "the font resource is missing")
            return None
        try:
            return self._fonts.get(font_dict)
        except Exception as exc:
            self._on_unread(f"font {name}", f"its encoding cannot be read ({type(exc).__name__})")
            return None

    def _show(self, operand: Any, state: _State, tm: Matrix) -> Matrix:
        text_state = state.text
        font = text_state.font
        if font is None:
            return tm
        size, scale, rise = text_state.size, text_state.scale, text_state.rise
        # text space -> page: one matrix per string; each glyph only moves along its baseline
        a, b, c, d, e, f = multiply(tm, state.ctm)
        angle = math.degrees(math.atan2(b, a))
        height = math.hypot(c, d) * abs(size)
        stretch = math.hypot(a, b)
        widths = font.character_widths
        default = widths.get("default", 500)
        spacing, word = text_state.char_spacing, text_state.word_spacing
        offset = 0.0
        append = self.glyphs.append
        for code, text in _decode(font, _raw_bytes(operand)):
            advance = (float(widths.get(code, default)) / 1000 * size + spacing) * scale
            if code == " ":
                advance += word * scale
            append(
                Glyph(
                    text,
                    e + offset * a + rise * c,
                    f + offset * b + rise * d,
                    angle,
                    height,
                    advance * stretch,
                )
            )
            offset += advance
        return multiply((1, 0, 0, 1, offset, 0), tm)


def _raw_bytes(operand: Any) -> bytes:
    if isinstance(operand, TextStringObject):
        return bytes(operand.original_bytes)
    if isinstance(operand, bytes):
        return bytes(operand)
    return str(operand).encode("latin-1", "replace")


def _copy_text(text: _TextState) -> _TextState:
    return _TextState(
        text.font,
        text.size,
        text.char_spacing,
        text.word_spacing,
        text.scale,
        text.leading,
        text.rise,
    )


def _set_text_param(text: _TextState, op: bytes, value: float) -> None:
    if op == b"Tc":
        text.char_spacing = value
    elif op == b"Tw":
        text.word_spacing = value
    elif op == b"Tz":
        text.scale = value / 100
    elif op == b"TL":
        text.leading = value
    else:
        text.rise = value
