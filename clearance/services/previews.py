"""The approver's preview of a document attachment: the pages of the sanitised derivative (the
bytes that will be published, never the upload) drawn once at review time and stored as blobs
next to it. An office file is laid out by LibreOffice (the renderer the screener compares
against) and its PDF and one PNG per page are stored; a PDF's pages are drawn by poppler. The
review records their digests in the part's screening entry (``"rendered": {"pdf_sha256",
"page_png_sha256": [...], "of": <the derivative's sha256>}``) for the web UI to serve from the
blob store, never rendering per request."""

from __future__ import annotations

from typing import Any

from clearance.runtime import Runtime
from clearance.screening import filetype
from clearance.screening.render import (
    RenderFailed,
    RenderUnavailable,
    draw_pdf,
    is_rendered,
    render_pages,
)

#: pages drawn for reading on screen (an A4 page is 794 px wide): sharper than the screener's
PAGE_DPI = 96


def has_pages(mime: str) -> bool:
    """Whether an attachment of this (sanitised) type gets page images."""
    return mime == filetype.PDF or is_rendered(mime)


def store_rendering(
    rt: Runtime, name: str, derivative: bytes, mime: str, derivative_sha256: str
) -> dict[str, Any] | None:
    """Draw the pages of ``derivative`` (the sanitised bytes of type ``mime``) and store them;
    None for a type that has no pages or a document that cannot be drawn (the screening has
    already held that one; the page shows its text preview and the download instead)."""
    if not has_pages(mime):
        return None
    try:
        if mime == filetype.PDF:
            pdf_sha256 = derivative_sha256
            pngs = draw_pdf(derivative, dpi=PAGE_DPI)
        else:
            rendering = render_pages(derivative, mime, pngs=True, dpi=PAGE_DPI)
            pdf_sha256 = rt.blobs.put_bytes(
                rendering.pdf_bytes, name=f"the rendered pages of {name!r}"
            ).sha256
            pngs = rendering.page_pngs
    except (RenderUnavailable, RenderFailed):
        return None
    pages = [
        rt.blobs.put_bytes(png, name=f"page {number} of {name!r} as published").sha256
        for number, png in enumerate(pngs, start=1)
    ]
    return {"pdf_sha256": pdf_sha256, "page_png_sha256": pages, "of": derivative_sha256}
