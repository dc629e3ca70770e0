"""Parts of an item, served only as downloads (or, for raster images, inline) after the same
object-level check as the item page, with safe content types and ``nosniff``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from clearance.services.access import reads_originals
from clearance.storage.blobs import BlobIntegrityError, CheckedReader, verify
from webapp import itemview
from webapp.access import item_access, item_capacity, role_required
from webapp.context import me, runtime
from webapp.errors import error_page

log = logging.getLogger("webapp")

bp = Blueprint("files", __name__, url_prefix="/items")

#: types a browser may render inline from us; everything else is an opaque download
INLINE_IMAGES = itemview.INLINE_IMAGES


def _ascii_name(name: str) -> str:
    plain = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in name
    )
    return plain or "file"


def _part(item_id: str, number: int, index: int, sanitized: bool) -> tuple[str, str, str]:
    detail = itemview.load(item_id)
    revision = next((r for r in detail.revisions if r.number == number), None)
    if revision is None or not 0 <= index < len(revision.parts):
        abort(404)
    part = revision.parts[index]
    if sanitized and part.sanitized_sha256:
        return part.sanitized_sha256, part.sanitized_mime or part.mime, part.name
    return part.sha256, part.mime, part.name


def _integrity_message() -> str:
    """What the user reads when a stored part no longer matches its hash."""
    message: str = _(
        "This file failed its integrity check: the stored copy no longer matches what was "
        "recorded, so it is not served. The error was logged; contact the administrator."
    )
    return message


def _served(stream: CheckedReader, item_id: str) -> Iterator[bytes]:
    """The checked chunks; a change found while streaming is logged and ends the response
    before its last chunk (the client sees an incomplete download, never the changed file)."""
    try:
        yield from stream.chunks()
    except BlobIntegrityError as exc:
        log.error("download of item %s stopped: %s", item_id, exc.message)
        raise
    finally:
        stream.close()


@bp.get("/<item_id>")
@role_required("author", "approver", "auditor", "admin")
def item_link(item_id: str) -> ResponseReturnValue:
    """The link notifications carry: the item page in the capacity the user may see it; an
    administrator who may not read the item is sent to the publication page (a failed
    channel is what they are notified of)."""
    found = item_capacity(item_id)
    if found is None:
        if me().has("admin"):
            return redirect(url_for("admin.publications", _anchor=f"item-{item_id}"))
        abort(404)
    endpoint = {"author": "author.item", "approver": "approvals.item", "auditor": "audit.item"}
    return redirect(url_for(endpoint[found], item_id=item_id))


@bp.get("/<item_id>/r/<int:number>/parts/<int:index>")
@role_required("author", "approver", "auditor")
def download(item_id: str, number: int, index: int) -> ResponseReturnValue:
    capacity = item_access(item_id).capacity
    sanitized = request.args.get("variant", "release") == "release"
    if not sanitized and not reads_originals(capacity):
        abort(404)  # approvers read what will be published, never the uploaded originals
    digest, mime, name = _part(item_id, number, index, sanitized)
    blobs = runtime().blobs
    try:
        # the whole blob is hashed before the first byte goes out; the stream that follows is
        # checked again and holds its last chunk back until the digest matches
        verify(blobs, digest)
        stream = blobs.open(digest)
    except BlobIntegrityError as exc:
        log.error("download of item %s refused: %s", item_id, exc.message)
        return error_page(500, _integrity_message())
    inline = request.args.get("inline") == "1" and mime in INLINE_IMAGES
    response = Response(
        _served(stream, item_id),
        mimetype=mime if inline else "application/octet-stream",
        direct_passthrough=True,
    )
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{_ascii_name(name)}\"; filename*=UTF-8''{quote(name)}"
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/<item_id>/r/<int:number>/parts/<int:index>/pages/<int:page>")
@role_required("author", "approver", "auditor")
def page_image(item_id: str, number: int, index: int, page: int) -> ResponseReturnValue:
    """One page of an attachment's derivative as the review drew it: read from the blob store
    (never drawn per request), as an inline PNG."""
    item_access(item_id)
    detail = itemview.snapshot(item_id, since=number, history=False).detail
    revision = next((r for r in detail.revisions if r.number == number), None)
    if revision is None or not 0 <= index < len(revision.parts):
        abort(404)
    pages = itemview.page_images(revision, revision.parts[index])
    if not 1 <= page <= len(pages):
        abort(404)
    digest = pages[page - 1]
    try:
        data = runtime().blobs.read(digest)  # the store checks the digest on read
    except BlobIntegrityError as exc:
        log.error("page %d of item %s refused: %s", page, item_id, exc.message)
        return error_page(500, _integrity_message())
    response = Response(data, mimetype="image/png")
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
