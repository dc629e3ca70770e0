"""Oversight reports for leaders, the security officer and auditors: a period's figures from the
signed log, charts, the entries behind every figure, and CSV / XLSX / PDF downloads. Views only
translate: the figures come from ``clearance.reports``."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from clearance.auditlog.entry import Entry
from clearance.dates import DEFAULT_ZONE
from clearance.errors import BadInput
from clearance.reports import charts, exports
from clearance.reports.figures import (
    Figure,
    Filters,
    Period,
    Report,
    parse_period,
)
from clearance.reports.history import History
from clearance.reports.source import entries_at
from clearance.reports.stored import stored_summary
from clearance.reports.summary import Summary
from webapp import evidence
from webapp.access import role_required
from webapp.context import runtime

bp = Blueprint("reports", __name__, url_prefix="/reports")
_SUMMARY = "clearance.report_summary"
#: leaders (approvers, the security officer among them), auditors and admins
ROLES = ("approver", "auditor", "admin")
FILTERS = ("unit", "channel", "theme", "language", "level")


def summary() -> Summary:
    """This process's handle on the report summary stored under the home (sealed with a key
    derived from the secret key): a page folds only the entries written since it was advanced,
    then reads the items of its period."""
    found = current_app.extensions.get(_SUMMARY)
    if found is None:
        found = current_app.extensions.setdefault(_SUMMARY, stored_summary(runtime().settings))
    assert isinstance(found, Summary)
    return found


def _computed(period: Period, filters: Filters) -> tuple[Report, History, dict[str, list[str]]]:
    with runtime().readers() as session:
        return summary().report(session, period, filters)


def _default_period() -> str:
    now = datetime.now(ZoneInfo(DEFAULT_ZONE))
    return f"{now.year}-{now.month:02d}"


def _request() -> tuple[str, Filters]:
    period = (request.args.get("period") or _default_period()).strip()
    values = {name: (request.args.get(name) or "").strip() or None for name in FILTERS}
    for value in values.values():
        if value is not None and len(value) > 100:
            raise BadInput(_("A filter is longer than 100 characters; shorten it."))
    return period, Filters(**values)


def _report() -> tuple[Report, History, str, Filters]:
    period, filters = _request()
    report, history, _ = _computed(parse_period(period), filters)
    return report, history, period, filters


@bp.get("/")
@role_required(*ROLES)
def index() -> ResponseReturnValue:
    period, filters = _request()
    try:
        chosen = parse_period(period)
    except BadInput:
        return render_template("reports/index.html", report=None, period=period,
                               filters=filters, error=True), 400  # fmt: skip
    report, history, choices = _computed(chosen, filters)
    return render_template(
        "reports/index.html",
        report=report,
        history=history,
        period=period,
        filters=filters,
        error=False,
        words=exports.period_words(report),
        outcome_labels=exports.OUTCOME_LABELS,
        reason_labels=exports.REASON_LABELS,
        stage_labels=exports.STAGE_LABELS,
        duration=exports.duration_words,
        monthly_chart=Markup(charts.monthly_bars(report)),  # noqa: S704 - built by us, escaped
        stage_chart=Markup(charts.stage_times(report)),  # noqa: S704
        **choices,
    )


def _figure(report: Report, name: str) -> Figure:
    """``outcomes.published``, ``blocked_by.marking``, ``channel.website``, ``recalls``..."""
    group, _, key = name.partition(".")
    tables: dict[str, dict[str, Figure]] = {
        "outcomes": report.outcomes,
        "blocked_by": report.blocked_by,
        "channel": report.by_channel,
        "theme": report.by_theme,
        "overdue": report.overdue_by_stage,
    }
    if group in tables and key in tables[group]:
        return tables[group][key]
    singles = {"recalls": report.recalls, "drifts": report.drifts,
               "resubmitted": report.resubmitted}  # fmt: skip
    if key or group not in singles:
        abort(404)
    return singles[group]


@bp.get("/entries")
@role_required(*ROLES)
def entries() -> ResponseReturnValue:
    """The log entries behind one figure."""
    report, _, period, filters = _report()
    name = request.args.get("figure") or "outcomes.submitted"
    figure = _figure(report, name)
    shown = sorted(figure.entries)[:500]
    return render_template(
        "reports/entries.html",
        figure=figure,
        name=name,
        period=period,
        filters=filters,
        entries=_entries(shown),
        truncated=len(figure.entries) > len(shown),
    )


def _entries(seqs: list[int]) -> list[Entry]:
    with runtime().readers() as session:
        return entries_at(session, seqs)


@bp.get("/report.<kind>")
@role_required(*ROLES)
def download(kind: str) -> ResponseReturnValue:
    report, history, _period, _filters = _report()
    name = f"bao-cao-{report.period.label}"  # ISO: no "/" of a typed day
    if kind == "csv":
        data = exports.to_csv(report, history).encode("utf-8")
        return evidence.attachment(data, f"{name}.csv", "text/csv; charset=utf-8")
    if kind == "xlsx":
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return evidence.attachment(exports.to_xlsx(report, history), f"{name}.xlsx", mime)
    if kind != "pdf":
        abort(404)
    now = datetime.now(ZoneInfo(DEFAULT_ZONE))
    pdf = exports.to_pdf(report, history, number="..../BC-...", place="......", now=now)
    return evidence.attachment(pdf, f"{name}.pdf", "application/pdf")
