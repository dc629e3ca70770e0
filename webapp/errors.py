"""Every error maps to an HTTP status and a friendly page in this one place."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from clearance.errors import (
    BadInput,
    ClearanceError,
    ConfigurationError,
    Conflict,
    IllegalTransition,
    NotFound,
    PolicyRefusal,
    VerificationError,
)

log = logging.getLogger("webapp")


def status_for(exc: ClearanceError) -> int:
    """NotFound 404, BadInput 400, Conflict/IllegalTransition/VerificationError 409,
    PolicyRefusal 403, ConfigurationError (and anything else) 500."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, BadInput):
        return 400
    if isinstance(exc, Conflict | IllegalTransition | VerificationError):
        return 409
    if isinstance(exc, PolicyRefusal):
        return 403
    return 500


def titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        403: _("You are not allowed to do this"),
        404: _("Not found"),
        405: _("This action is not allowed here"),
        409: _("This conflicts with the current state"),
        413: _("The upload is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
    }


def default_messages() -> dict[int, str]:
    return {
        400: _("Check the form and try again."),
        403: _("Your account does not have access to this page or item."),
        404: _("The page or item does not exist, or it is not shared with you."),
        405: _("Use the buttons on the page instead."),
        409: _("Reload the page: someone may have changed this in the meantime."),
        413: _("Make the files smaller or send fewer at once."),
        429: _("Wait a few minutes, then try again."),
        500: _("The error was logged. Try again later or contact the administrator."),
    }


#: the core's coded errors in the reader's language (``ClearanceError.code``/``params``); an
#: error without a known code shows its own (English) message
CODED_MESSAGES = {
    "unknown_theme": lazy_gettext(
        "The theme “%(theme)s” is not one of the themes of the plan in force; choose themes "
        "from the list."
    ),
    "unknown_language": lazy_gettext(
        "The language “%(language)s” is not accepted by the policy in force; choose a language "
        "from the list."
    ),
    "duplicate_language": lazy_gettext(
        "Two texts of the item are in the language “%(language)s”; keep one version per "
        "language, in a language other than the main text's."
    ),
    "version_incomplete": lazy_gettext(
        "The version in “%(language)s” needs both a title and a body text."
    ),
    "version_language_missing": lazy_gettext(
        "Choose the language of the additional version (or leave its title and text empty)."
    ),
}


def message_of(exc: ClearanceError) -> str:
    """``exc`` as the reader should see it: its coded message translated, else its text."""
    template = CODED_MESSAGES.get(exc.code or "")
    if template is None:
        return exc.message
    return str(template) % exc.params


def error_page(code: int, message: str | None = None, *, kind: str = "") -> ResponseReturnValue:
    title = titles().get(code, titles()[500])
    text = message or default_messages().get(code, default_messages()[500])
    page = render_template("error.html", code=code, title=title, message=text, kind=kind)
    return page, code


def init_app(app: Flask) -> None:
    @app.errorhandler(ClearanceError)
    def _clearance(exc: ClearanceError) -> ResponseReturnValue:
        code = status_for(exc)
        if isinstance(exc, ConfigurationError) or code == 500:
            log.error("configuration error: %s", exc.message)
            return error_page(500)
        return error_page(code, message_of(exc))

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        return error_page(
            400,
            _("The form expired or was sent from elsewhere; reload the page and try again."),
            kind="csrf",
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        code = exc.code or 500
        if code == 401:
            return error_page(403)
        message = exc.description if code in (400, 403, 409) and _is_ours(exc) else None
        return error_page(code if code in titles() else 500, message)


def _is_ours(exc: HTTPException) -> bool:
    """Only messages our views passed to ``abort`` are shown, never Werkzeug's defaults."""
    return bool(exc.description) and exc.description != type(exc).description
