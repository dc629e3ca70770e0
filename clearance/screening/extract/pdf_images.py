"""Images inside a PDF, read by OCR: every image object of the file, whether a page draws it, an
annotation's appearance does, or nothing does. An image on a page that was rendered and read as
a scan (:mod:`pdf_ocr`) is covered by that page's reading; every other image is decoded
(pikepdf's image decoder: the PDF filters and colour spaces) and handed to
:func:`~clearance.screening.extract.ocr.ocr_image`, which records it as read or uninspected.
"""

from __future__ import annotations

import io
from typing import Any

import pikepdf
from pypdf.generic import DictionaryObject, IndirectObject, StreamObject

from clearance.screening.extract.base import Extraction
from clearance.screening.extract.ocr import ocr_image
from clearance.screening.limits import Budget, Held

MAX_DEPTH = 12


def _resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def page_images(page: Any) -> set[int]:
    """Object numbers of the images a page's resources reach (through its Form XObjects)."""
    found: set[int] = set()
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(page.get("/Resources"), 0)]
    while stack:
        resources, depth = stack.pop()
        resources = _resolve(resources)
        if not isinstance(resources, DictionaryObject) or depth > MAX_DEPTH:
            continue
        xobjects = _resolve(resources.get("/XObject"))
        if not isinstance(xobjects, DictionaryObject):
            continue
        for ref in xobjects.values():
            if not isinstance(ref, IndirectObject) or ref.idnum in seen:
                continue
            seen.add(ref.idnum)
            target = ref.get_object()
            if not isinstance(target, StreamObject):
                continue
            if target.get("/Subtype") == "/Image":
                found.add(ref.idnum)
            else:
                stack.append((target.get("/Resources"), depth + 1))
    return found


def read_images(
    data: bytes, images: dict[int, str], rendered: dict[int, int], budget: Budget, out: Extraction
) -> None:
    """OCR each image of ``images`` (object number -> size) that no rendered page covers."""
    wanted = []
    for number, size in sorted(images.items()):
        part = f"object {number} (image {size})"
        if number in rendered:
            out.covered(part, f"ocr of page {rendered[number]}")
        else:
            wanted.append((number, part))
    if not wanted:
        return
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for number, part in wanted:
            budget.check()
            try:
                stream = pdf.get_object(number, 0)
                if not isinstance(stream, pikepdf.Stream):
                    raise TypeError("not a stream")
                image = pikepdf.PdfImage(stream).as_pil_image()
            except Held:
                raise
            except Exception as exc:
                out.uninspected(part, f"the image cannot be decoded ({type(exc).__name__})")
                continue
            ocr_image(image, budget, part, out)
