"""The approver's preview of an office attachment: the pages LibreOffice renders (the same
rendering the screener compares against), stored as blobs next to the sanitised derivative: the
PDF and one PNG per page. The review records their digests in the part's screening entry
(``"rendered": {"pdf_sha256", "page_png_sha256": [...]}``) for the web UI to show."""

from __future__ import annotations

from typing import Any

from clearance.runtime import Runtime
from clearance.screening.render import RenderFailed, RenderUnavailable, is_rendered, render_pages


def store_rendering(rt: Runtime, name: str, data: bytes, detected: str) -> dict[str, Any] | None:
    """Render ``data`` (of screened type ``detected``) and store its pages; None for a type that
    is not rendered or a document that cannot be (the screening has already held that one)."""
    if not is_rendered(detected):
        return None
    try:
        rendering = render_pages(data, detected, pngs=True)
    except (RenderUnavailable, RenderFailed):
        return None
    pdf = rt.blobs.put_bytes(rendering.pdf_bytes, name=f"the rendered pages of {name!r}")
    pages = [
        rt.blobs.put_bytes(png, name=f"page {number} of {name!r} as rendered").sha256
        for number, png in enumerate(rendering.page_pngs, start=1)
    ]
    return {"pdf_sha256": pdf.sha256, "page_png_sha256": pages}
