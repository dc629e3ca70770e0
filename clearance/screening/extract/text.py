"""Plain text and Markdown: decode strictly, or hold.

Accepted encodings: UTF-8 (with or without BOM), UTF-16 and UTF-32 with a BOM, BOM-less UTF-16
and UTF-32 recognised by their pattern of zero bytes; a text that is none of those is read as
Windows-1258, TCVN3 (ABC), VNI or Windows-1252 when its character statistics say so
(:func:`clearance.screening.legacy_vn.decode_bytes`). Anything else is held: a lenient decoder
would turn a stamp into mojibake the detectors cannot see. Unicode text that was typed in a
legacy font and converted byte by byte ("tèi mËt") is read converted (:func:`legacy_vn.repair`).
"""

from __future__ import annotations

import codecs

from clearance.screening import legacy_vn
from clearance.screening.extract.base import Extraction
from clearance.screening.limits import Held

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _zero_pattern(sample: bytes) -> str | None:
    """UTF-32 or UTF-16 without a BOM, by where the zero bytes fall."""
    if len(sample) < 4 or sample.count(0) * 4 < len(sample):
        return None
    quads = [sample[i::4].count(0) for i in range(4)]
    size = len(sample) // 4  # whole code units in the sample
    if size and quads[0] == quads[1] == size:
        return "utf-32-be"
    if size and quads[2] == quads[3] == size:
        return "utf-32-le"
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    return "utf-16-be" if even_zeros > odd_zeros else "utf-16-le"


def decode_text_named(data: bytes) -> tuple[str, str]:
    """(text, encoding) of ``data``, or :class:`Held` naming the problem."""
    text, name, _source = _decode(data)
    return text, name


def _decode(data: bytes) -> tuple[str, str, str | None]:
    """(text, encoding, the text as stored when a legacy encoding was converted: one character
    per byte, so a place in it is a place in the file)."""
    source: str | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            payload, name = data[len(bom) :], encoding
            break
    else:
        payload, name = data, _zero_pattern(data[:4096]) or "utf-8"
    try:
        text = payload.decode(name)
    except UnicodeDecodeError as exc:
        legacy = legacy_vn.decode_bytes(payload) if name == "utf-8" and 0 not in payload else None
        if legacy is None:
            raise Held(
                f"the text is not valid {name.upper()} (byte {exc.start}) and reads as no "
                "Vietnamese legacy encoding (Windows-1258, TCVN3, VNI) either; save it as UTF-8"
            ) from exc
        text, name = legacy
        source = payload.decode("latin-1")
    if "\x00" in text:
        raise Held("the text contains NUL characters; it may be binary data")
    return text, name, source


def decode_text(data: bytes) -> str:
    """Decode ``data`` or raise :class:`Held` naming the problem."""
    return decode_text_named(data)[0]


def extract_text(data: bytes) -> Extraction:
    out = Extraction()
    text, encoding, source = _decode(data)
    repaired, legacy = legacy_vn.repair(text)
    if legacy is not None:
        text, encoding, source = repaired, legacy, text
    method = "text" if encoding.startswith("utf") else f"text ({encoding})"
    converted = encoding if source is not None else None
    out.text("text", text, method=method, source=source, legacy=converted)
    return out
