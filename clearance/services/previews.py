"""The approver's preview of a document attachment: the pages of the sanitised derivative (the
bytes that will be published, never the upload) drawn once at review time and stored as blobs
next to it. An office file is laid out by LibreOffice (the renderer the screener compares
against) and its PDF and one PNG per page are stored; a PDF's pages are drawn by poppler. The
review records their digests in the part's screening entry (``"rendered": {"pdf_sha256",
"page_png_sha256": [...], "of": <the derivative's sha256>}``) for the web UI to serve from the
blob store, never rendering per request."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from clearance.runtime import Runtime
from clearance.screening import filetype
from clearance.screening.render import (
    SUFFIXES,
    RenderFailed,
    RenderUnavailable,
    draw_pdf,
    is_rendered,
    render_pages,
)
from clearance.storage.models import Part, Revision

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


#: every (sanitised) type that gets page images
PAGED_TYPES: tuple[str, ...] = (filetype.PDF, *SUFFIXES)


def rendered_entry(entry: dict[str, Any], derivative_sha256: str) -> bool:
    """Whether the part's screening entry has page images (or a failed attempt) drawn from
    ``derivative_sha256``: nothing is left to draw for it."""
    rendered = entry.get("rendered")
    return isinstance(rendered, dict) and rendered.get("of") == derivative_sha256


@dataclass(frozen=True, slots=True)
class Backfill:
    """One pass of the backfill: parts drawn, parts that cannot be drawn (marked, not retried),
    and whether parts are left for the next pass (``limit`` reached)."""

    drawn: int
    failed: int
    more: bool


def _missing(rt: Runtime, after: int, batch: int) -> tuple[list[tuple[int, str, str, str]], int]:
    """Parts (revision id, name, derivative digest, type) of revisions after ``after`` whose
    screening entry has no page images drawn from their derivative; and the last revision id
    read (a keyset: each pass reads the revisions once, ``batch`` at a time)."""
    with rt.readers() as session:
        ids = list(
            session.scalars(
                select(Revision.id)
                .where(Revision.id > after, Revision.screening.is_not(None))
                .order_by(Revision.id)
                .limit(batch)
            )
        )
        if not ids:
            return [], after
        rows = session.execute(
            select(Revision.id, Revision.screening, Part.filename, Part.sanitized_sha256,
                   Part.sanitized_mime)
            .join(Part, Part.revision_id == Revision.id)
            .where(Revision.id.in_(ids), Part.sanitized_sha256.is_not(None),
                   Part.sanitized_mime.in_(PAGED_TYPES))
            .order_by(Revision.id, Part.position)
        ).all()  # fmt: skip
    missing = []
    for revision_id, screening, name, sha256, mime in rows:
        entry = _entry(screening, name, sha256)
        if entry is not None and not rendered_entry(entry, sha256):
            missing.append((revision_id, name, sha256, mime))
    return missing, ids[-1]


def _entry(screening: Any, name: str, sha256: str) -> dict[str, Any] | None:
    parts = screening.get("parts") if isinstance(screening, dict) else None
    for entry in parts if isinstance(parts, list) else ():
        if (
            isinstance(entry, dict)
            and entry.get("name") == name
            and entry.get("sanitized_sha256") == sha256
        ):
            return entry
    return None


@dataclass(frozen=True, slots=True)
class Progress:
    """One bounded step of a pass over the revisions: parts drawn, parts that cannot be drawn,
    and where the next step carries on (``after``: a revision id), None when the pass has read
    every revision."""

    drawn: int
    failed: int
    after: int | None


def backfill_from(rt: Runtime, after: int = 0, *, limit: int = 20, batch: int = 500) -> Progress:
    """One step of the backfill: the revisions after ``after``, ``batch`` of them at most (one
    keyset read), and of their missing page images at most ``limit`` drawn. The task worker
    takes one step at a time while it has no other work (``flows.dispatch.IdleBackfill``)."""
    missing, last = _missing(rt, after, batch)
    if last == after:
        return Progress(0, 0, None)
    drawn = failed = 0
    for revision_id, name, sha256, mime in missing:
        if drawn + failed >= limit:
            return Progress(drawn, failed, revision_id - 1)  # this revision again: its rest
        rendered = store_rendering(rt, name, rt.blobs.read(sha256), mime, sha256)
        with rt.uow() as uow:
            revision = uow.session.get(Revision, revision_id)
            screening = copy.deepcopy(revision.screening) if revision else None
            entry = _entry(screening, name, sha256)
            if revision is None or entry is None or rendered_entry(entry, sha256):
                continue  # gone or drawn meanwhile (another worker)
            entry["rendered"] = rendered or {"of": sha256, "failed": True}
            revision.screening = screening  # a new value: the JSON column is rewritten
            uow.commit()
        if rendered:
            drawn += 1
        else:
            failed += 1
    return Progress(drawn, failed, last)


def backfill_pages(rt: Runtime, *, limit: int = 20, batch: int = 500) -> Backfill:
    """Draw the missing page images of the sanitised derivatives (items reviewed before page
    images existed, or whose drawing failed at review) into the blob store and record them in
    the part's screening entry, as the review would have: at most ``limit`` parts a pass. Runs
    in the background (the task worker while idle, the scheduled ``previews-backfill`` flow,
    ``clearance previews backfill``), never in a request: the page says the images are being
    made meanwhile. A document that cannot be drawn is marked (``"rendered": {"of": ...,
    "failed": true}``) and not tried again; its page keeps the text preview."""
    drawn = failed = 0
    after = 0
    while True:
        step = backfill_from(rt, after, limit=limit - drawn - failed, batch=batch)
        drawn, failed = drawn + step.drawn, failed + step.failed
        if step.after is None:
            return Backfill(drawn, failed, more=False)
        if drawn + failed >= limit:
            return Backfill(drawn, failed, more=True)
        after = step.after
