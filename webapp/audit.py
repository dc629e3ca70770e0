"""Auditor pages: browse and filter the log, live verification, per-item evidence, export, key.

Every view here only reads; the auditor role changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from clearance.auditlog.entry import format_time
from clearance.dates import day_end_utc, day_start_utc, format_day, parse_day
from clearance.errors import BadInput
from clearance.storage.types import MAX_ID
from webapp import evidence, itemview, progress, verifyview
from webapp.access import item_access, role_required
from webapp.errors import user_message
from webapp.params import int_arg

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _days() -> tuple[dict[str, str], dict[str, str], dict[str, datetime]]:
    """The filter's "from" and "to" days as typed (dd/mm/yyyy, read by
    ``clearance.dates.parse_day``): the text to show back in each field (a day it read, in
    dd/mm/yyyy), the message of each it could not read, and the UTC bounds of those it read
    ("to" ends after that local day)."""
    shown: dict[str, str] = {}
    errors: dict[str, str] = {}
    bounds: dict[str, datetime] = {}
    for name in ("since", "until"):
        text = (request.args.get(name) or "").strip()
        shown[name] = text
        if not text:
            continue
        try:
            day = parse_day(text)
        except BadInput as exc:
            errors[name] = user_message(exc)
            continue
        shown[name] = format_day(day)
        bounds[name] = day_start_utc(day) if name == "since" else day_end_utc(day)
    return shown, errors, bounds


@bp.get("/")
@role_required("auditor")
def log() -> ResponseReturnValue:
    args = request.args
    days, errors, bounds = _days()
    f = evidence.LogFilter(
        item=args.get("item") or None,
        actor=args.get("actor") or None,
        event=args.get("event") or None,
        since=format_time(bounds["since"]) if "since" in bounds else None,
        until=format_time(bounds["until"]) if "until" in bounds else None,
        before=int_arg("before", default=None, minimum=1, maximum=MAX_ID),
    )
    # a day that cannot be read: the form comes back as it was, with the message; no entries
    # (the list would not be the one asked for)
    entries, next_before = ([], None) if errors else evidence.browse(f)
    page = render_template(
        "audit/log.html",
        entries=entries,
        tags=evidence.submission_tags(entries),
        next_before=next_before,
        f=f,
        days=days,
        errors=errors,
        event_types=evidence.event_types(),
    )
    return (page, 400) if errors else page


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
