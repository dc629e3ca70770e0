"""Request-side access to the core: the runtime, the settings and the signed-in user."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app, g
from flask_login import current_user
from sqlalchemy.orm import Session

from clearance.runtime import Runtime
from clearance.settings import Settings
from webapp.users import WebUser

RUNTIME_KEY = "clearance.runtime"
_READER = "clearance_reader"


def runtime() -> Runtime:
    return cast(Runtime, current_app.extensions[RUNTIME_KEY])


def reader() -> Session:
    """This request's read-only session (one snapshot and one pooled connection per page).

    Views that write use ``runtime().uow()`` or ``runtime().sessions()``; this one never commits
    and is closed when the request ends.
    """
    session = g.get(_READER)
    if session is None:
        session = runtime().readers()
        setattr(g, _READER, session)
    return cast(Session, session)


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _close_reader(_exc: BaseException | None) -> None:
        session = g.pop(_READER, None)
        if session is not None:
            session.close()


def settings() -> Settings:
    return cast(Settings, current_app.config["CLEARANCE_SETTINGS"])


def me() -> WebUser:
    """The signed-in user (views call this only behind ``login_required``)."""
    user = current_user._get_current_object()
    if not isinstance(user, WebUser):
        raise RuntimeError("me() called without a signed-in user; guard the view with a role")
    return user
