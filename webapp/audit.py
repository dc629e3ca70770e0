"""Auditor pages: browse and filter the log, live verification, per-item evidence, export, key.

Every view here only reads; the auditor role changes nothing.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from clearance.storage.types import MAX_ID
from webapp import evidence, itemview, progress, verifyview
from webapp.access import item_access, role_required
from webapp.params import int_arg

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@role_required("auditor")
def log() -> ResponseReturnValue:
    args = request.args
    f = evidence.LogFilter(
        item=args.get("item") or None,
        actor=args.get("actor") or None,
        event=args.get("event") or None,
        since=args.get("since") or None,
        until=args.get("until") or None,
        before=int_arg("before", default=None, minimum=1, maximum=MAX_ID),
    )
    entries, next_before = evidence.browse(f)
    return render_template(
        "audit/log.html",
        entries=entries,
        tags=evidence.submission_tags(entries),
        next_before=next_before,
        f=f,
        event_types=evidence.event_types(),
    )


@bp.get("/verify")
@role_required("auditor")
def verify_page() -> ResponseReturnValue:
    return render_template("audit/verify.html")


@bp.get("/verify/report")
@role_required("auditor")
def verify_report() -> ResponseReturnValue:
    """The verification run now, as a page (the verify page loads it; it works without
    JavaScript): each finding in the user's language, its technical detail in a code element."""
    report = evidence.verification()
    return render_template(
        "audit/verify_report.html",
        report=report,
        findings=verifyview.shown_findings(report),
        notes=verifyview.shown_notes(report),
    )


@bp.get("/verify.json")
@role_required("auditor")
def verify_json() -> ResponseReturnValue:
    return jsonify(evidence.verification().as_dict())


@bp.get("/items/<item_id>")
@role_required("auditor")
def item(item_id: str) -> ResponseReturnValue:
    item_access(item_id, allow=("auditor",))
    detail = itemview.load(item_id)
    rev = itemview.current(detail)
    entries, _more = evidence.browse(evidence.LogFilter(item=item_id))
    return render_template(
        "audit/item.html",
        detail=detail,
        rev=rev,
        decisions=itemview.decisions(item_id, rev.release_manifest_hash),
        signoff=progress.signoff(item_id),
        entries=entries,
        logged=evidence.logged_tags(item_id),
    )


@bp.get("/export.zip")
@role_required("auditor")
def export() -> ResponseReturnValue:
    return evidence.attachment(evidence.export_zip(), "clearance-log.zip", "application/zip")


@bp.get("/log.vkey")
@role_required("auditor", "admin", "approver", "author")
def public_key() -> ResponseReturnValue:
    response = Response(evidence.vkey() + "\n", mimetype="text/plain")
    response.headers["Content-Disposition"] = 'attachment; filename="log.vkey"'
    return response


@bp.get("/key")
@role_required("auditor")
def key_page() -> ResponseReturnValue:
    return render_template("audit/key.html", vkey=evidence.vkey())
