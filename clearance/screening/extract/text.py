"""Plain text and Markdown: decode strictly, or hold.

Accepted encodings: UTF-8 (with or without BOM), UTF-16 and UTF-32 with a BOM, and BOM-less UTF-16
recognised by its pattern of zero bytes. Anything else (Windows-1258, TCVN3/VNI fonts, binary)
is held: a lenient decoder would turn a stamp into mojibake the detectors cannot see.
"""

from __future__ import annotations

import codecs

from clearance.screening.extract.base import Extraction
from clearance.screening.limits import Held

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes) -> str:
    """Decode ``data`` or raise :class:`Held` naming the problem."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            payload, name = data[len(bom) :], encoding
            break
    else:
        payload, name = data, "utf-8"
        sample = data[:4096]
        if len(sample) >= 2 and sample.count(0) * 4 >= len(sample):
            even_zeros = sample[0::2].count(0)
            odd_zeros = sample[1::2].count(0)
            name = "utf-16-be" if even_zeros > odd_zeros else "utf-16-le"
    try:
        text = payload.decode(name)
    except UnicodeDecodeError as exc:
        raise Held(
            f"the text is not valid {name.upper()} (byte {exc.start}); save it as UTF-8"
        ) from exc
    if "\x00" in text:
        raise Held("the text contains NUL characters; it may be binary data")
    return text


def extract_text(data: bytes) -> Extraction:
    out = Extraction()
    out.text("text", decode_text(data))
    return out
