"""A second opinion on a PDF: what pdfium reads, and how far it differs from the first reading.

pypdf is lenient: on a damaged cross-reference table it may read nothing, or something other than
what a viewer draws. pdfium (pypdfium2) is the engine of Chromium's viewer, so its text page is
what most readers are shown; it runs in-process (a few milliseconds a page, where a poppler
subprocess costs tens), under the same isolated child's caps as the rest of screening. qpdf's
damage report comes with the object inventory (:mod:`pdf_inventory`).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

from clearance.screening.limits import Budget

MATERIAL_SHARE = 0.1  # more than this share of characters read by one engine only is material
MATERIAL_FLOOR = 8  # ... and at least this many characters


@dataclass(frozen=True, slots=True)
class SecondReading:
    """pdfium's text per page (``None`` when pdfium cannot open the file) and its error."""

    pages: list[str] | None
    error: str = ""


def pdfium_pages(data: bytes, budget: Budget) -> SecondReading:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except Exception as exc:
        return SecondReading(None, f"{type(exc).__name__}: {str(exc)[:120]}")
    try:
        if len(document) > budget.limits.max_pages:
            return SecondReading(None, f"{len(document)} pages")
        texts: list[str] = []
        for index in range(len(document)):
            budget.check()
            page = document[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n"))
            textpage.close()
            page.close()
        return SecondReading(texts)
    finally:
        document.close()


def _bag(text: str) -> Counter[str]:
    return Counter(ch for ch in unicodedata.normalize("NFC", text) if not ch.isspace())


def unseen_share(first: str, second: str) -> tuple[int, int]:
    """(characters ``second`` read that ``first`` did not, characters ``second`` read): reading
    order plays no part, only what was read."""
    a, b = _bag(first), _bag(second)
    return sum((b - a).values()), sum(b.values())


def is_material(first: str, second: str) -> bool:
    """Whether the second engine read materially more than the first: text the first reading is
    blind to. The other way round (the first reads glyphs the second drops, as pdfium does with
    some glyphs drawn right to left) leaves no blind spot: the union is the first reading."""
    only, total = unseen_share(first, second)
    return only >= MATERIAL_FLOOR and only > MATERIAL_SHARE * total


def missing_lines(reference: str, other: str) -> list[str]:
    """Lines of ``other`` whose letters do not appear, in order, in ``reference``."""
    flat = "".join(unicodedata.normalize("NFC", reference).split())
    out: list[str] = []
    for line in other.splitlines():
        key = "".join(unicodedata.normalize("NFC", line).split())
        if key and key not in flat:
            out.append(line.strip())
    return out
