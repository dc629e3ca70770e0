"""Vietnamese by default, English on request; dates dd/mm/yyyy 24 h and numbers 1.234,5 in vi."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, g, has_request_context, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel, format_datetime, format_decimal, get_translations, lazy_gettext
from markupsafe import Markup, escape

from webapp.security import safe_next

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
TIMEZONE = "Asia/Ho_Chi_Minh"
DATETIME_PATTERN = {"vi": "dd/MM/yyyy HH:mm", "en": "dd MMM yyyy, HH:mm"}

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def language() -> str:
    """The request's language (cached on ``g``: a page asks for it several times)."""
    chosen = g.get("clearance_language")
    if chosen is None:
        # what flask-babel's get_locale() would select, without parsing a babel Locale
        chosen = select_locale() if has_request_context() else DEFAULT_LANGUAGE
        g.clearance_language = chosen
    return str(chosen)


_ZONE = ZoneInfo(TIMEZONE)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


#: (moment, language) -> its text: a pure function of both (the zone's rules are fixed for the
#: process), and the same deadlines are shown on page after page; bounded
_FORMATTED: dict[tuple[datetime, str], str] = {}
_FORMATTED_MAX = 8192


def fmt_datetime(value: datetime | None, lang: str | None = None) -> str:
    """``DATETIME_PATTERN`` in Vietnam's time, formatted directly (a queue page shows fifty)
    and remembered per moment and language; ``lang`` defaults to the request's language."""
    if value is None:
        return "—"
    key = (value, lang or language())
    found = _FORMATTED.get(key)
    if found is None:
        if len(_FORMATTED) >= _FORMATTED_MAX:
            _FORMATTED.clear()
        found = _FORMATTED[key] = _format_datetime(*key)
    return found


def _format_datetime(value: datetime, lang: str) -> str:
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(_ZONE)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if lang == "en":
        return f"{local.day:02d} {_MONTHS[local.month - 1]} {local.year:04d}, {clock}"
    return f"{local.day:02d}/{local.month:02d}/{local.year:04d} {clock}"


def event_label(event_type: str | None) -> Markup:
    """An audit event type by its label, or its id in a code element when it has none."""
    if event_type in EVENT_LABELS:
        return escape(label(EVENT_LABELS, event_type))
    return Markup("<code>%s</code>") % (event_type or "")


def audit_time(value: str | datetime | None) -> str:
    """An audit entry's time (ISO text in the log) in Vietnam's time, to the second, no
    microseconds, with flask-babel's formatting."""
    if not value:
        return "—"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    pattern = DATETIME_PATTERN.get(language(), DATETIME_PATTERN["vi"]) + ":ss"
    return str(format_datetime(when, pattern))


def fmt_number(value: float | int | None) -> str:
    if value is None:
        return "—"
    return str(format_decimal(value))


def fmt_size(value: int | None) -> str:
    if value is None:
        return "—"
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if value >= size:
            return f"{format_decimal(round(value / size, 1))} {unit}"
    return f"{format_decimal(value)} B"


@bp.post("/lang")
def set_language() -> ResponseReturnValue:
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), "/"))


#: labels of states and decisions, translated once here (templates call ``state_label``)
STATE_LABELS = {
    "draft": lazy_gettext("Draft"),
    "submitted": lazy_gettext("Submitted"),
    "classified": lazy_gettext("Classified"),
    "blocked": lazy_gettext("Blocked"),
    "awaiting_signoff": lazy_gettext("Awaiting sign-off"),
    "changes_requested": lazy_gettext("Changes requested"),
    "approved": lazy_gettext("Approved"),
    "rejected": lazy_gettext("Rejected"),
    "published": lazy_gettext("Published"),
    "withdrawn": lazy_gettext("Withdrawn"),
}
DECISION_LABELS = {
    "approve": lazy_gettext("Approve"),
    "approve_with_recommendations": lazy_gettext("Approve with recommendations"),
    "request_changes": lazy_gettext("Request changes"),
    "reject": lazy_gettext("Reject"),
}
VERDICT_LABELS = {
    "clear": lazy_gettext("Clear"),
    "review": lazy_gettext("Held for review"),
    "blocked": lazy_gettext("Blocked"),
}
SEVERITY_LABELS = {
    "block": lazy_gettext("Blocks publication"),
    "review": lazy_gettext("Needs review"),
    "warn": lazy_gettext("Warning"),
    "info": lazy_gettext("For information"),
}
#: audit event types (``Event.type``) -> label; an unknown type is shown as its id in code
EVENT_LABELS = {
    "account.grant_unlogged": lazy_gettext("Roles found that no logged change granted"),
    "admin.change_proposed": lazy_gettext("Role or policy change proposed"),
    "admin.change_confirmed": lazy_gettext("Role or policy change confirmed"),
    "admin.change_rejected": lazy_gettext("Proposed change rejected"),
    "admin.roster_set_up": lazy_gettext("Initial roster set up"),
    "item.submitted": lazy_gettext("Item submitted"),
    "item.resubmitted": lazy_gettext("New revision submitted"),
    "item.withdrawn": lazy_gettext("Item withdrawn"),
    "item.recalled": lazy_gettext("Item recalled"),
    "key.registered": lazy_gettext("Signing key registered"),
    "key.rotated": lazy_gettext("Signing key replaced"),
    "log.key_rotated": lazy_gettext("Audit log key replaced"),
    "policy.loaded": lazy_gettext("Policy loaded"),
    "publication.published": lazy_gettext("Published"),
    "publication.recalled": lazy_gettext("Publication recalled"),
    "publication.removed": lazy_gettext("Publication removed"),
    "publication.drifted": lazy_gettext("Published copy changed outside the system"),
    "review.screened": lazy_gettext("Screening done"),
    "revision.classified": lazy_gettext("Classified"),
    "revision.screened": lazy_gettext("Screening done"),
    "revision.approved": lazy_gettext("Approved"),
    "revision.rejected": lazy_gettext("Rejected"),
    "revision.changes_requested": lazy_gettext("Changes requested"),
    "publication.failed": lazy_gettext("Publication failed"),
    "publication.retried": lazy_gettext("Publication sent again"),
    "review.committed": lazy_gettext("Review recorded"),
    "signoff.decided": lazy_gettext("Sign-off decision signed"),
    "signoff.overdue": lazy_gettext("Sign-off overdue"),
    "user.registered": lazy_gettext("User created"),
    "user.roles_changed": lazy_gettext("User roles changed"),
    "user.password_changed": lazy_gettext("Password changed"),
    "user.password_reset": lazy_gettext("Password reset"),
}
#: proposed changes (``ChangeKind``, ``ChangeStatus``) and the fields a roles change sets
CHANGE_LABELS = {
    "roles": lazy_gettext("Roles of a user"),
    "policy": lazy_gettext("New policy"),
    "pending": lazy_gettext("Waiting for confirmation"),
    "confirmed": lazy_gettext("Confirmed"),
    "rejected": lazy_gettext("Rejected"),
    "signoff_roles": lazy_gettext("Sign-off roles"),
    "unit": lazy_gettext("Unit"),
}
#: the kinds of metadata a derivative leaves out, as the approver's page names them
METADATA_LABELS = {
    "gps": lazy_gettext("GPS location"),
    "author": lazy_gettext("author"),
    "comments": lazy_gettext("comments"),
    "tracked_changes": lazy_gettext("tracked changes"),
    "description": lazy_gettext("title and description"),
    "active_content": lazy_gettext("scripts and actions"),
    "revisions": lazy_gettext("earlier revisions"),
}
ROLE_LABELS = {
    "author": lazy_gettext("Author"),
    "approver": lazy_gettext("Approver"),
    "auditor": lazy_gettext("Auditor"),
    "admin": lazy_gettext("Administrator"),
}


#: (language, table, key) -> label; the tables and catalogues never change in a process
_LABELS: dict[tuple[str, int, str], str] = {}


def label(table: dict[str, object], key: str | None) -> str:
    """The translated label of ``key`` (the key itself when the table has none), resolved
    once per language instead of through flask-babel on every use."""
    if key is None:
        return "—"
    cache_key = (language(), id(table), key)
    found = _LABELS.get(cache_key)
    if found is None:
        if len(_LABELS) > 10_000:
            _LABELS.clear()
        found = _LABELS[cache_key] = str(table.get(key, key))
    return found


def _translations() -> Any:
    """The request's catalogue, looked up once per request (flask-babel looks it up per call)."""
    found = g.get("clearance_translations")
    if found is None:
        found = get_translations()
        g.clearance_translations = found
    return found


#: (language, message) -> translation; the catalogues are loaded once per process
_TRANSLATED: dict[tuple[str, str], Markup] = {}


def translated(message: str) -> Markup:
    """``message`` in the request's language, as markup (what the template ``_()`` gives
    without variables), looked up once per process."""
    key = (language(), message)
    found = _TRANSLATED.get(key)
    if found is None:
        if len(_TRANSLATED) > 10_000:
            _TRANSLATED.clear()
        found = _TRANSLATED[key] = Markup(_translations().ugettext(message)) % {}  # noqa: S704 - our catalogue
    return found


def template_gettext(message: str, **variables: Any) -> Markup:
    """``_()`` in templates: what Jinja's new-style gettext does in an autoescaped template
    (the translation is trusted markup, the variables are escaped into it), in one call
    instead of three context-passing ones."""
    if not variables:
        return translated(message)
    return Markup(_translations().ugettext(message)) % variables  # noqa: S704 - our catalogue


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    Babel(app, locale_selector=select_locale)
    # every template is .html, so autoescaped: the new-style semantics above hold for all
    app.jinja_env.globals["_"] = template_gettext
    app.register_blueprint(bp)
    app.jinja_env.filters.update(
        dt=fmt_datetime, num=fmt_number, size=fmt_size, audit_time=audit_time
    )
    app.jinja_env.globals.update(
        language=language,
        LANGUAGES=LANGUAGES,
        state_label=lambda key: label(STATE_LABELS, key),
        decision_label=lambda key: label(DECISION_LABELS, key),
        verdict_label=lambda key: label(VERDICT_LABELS, key),
        role_label=lambda key: label(ROLE_LABELS, key),
        change_label=lambda key: label(CHANGE_LABELS, key),
        severity_label=lambda key: label(SEVERITY_LABELS, key),
        metadata_label=lambda key: label(METADATA_LABELS, key),
        event_label=event_label,
    )
