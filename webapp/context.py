"""Request-side access to the core: the runtime, the settings and the signed-in user."""

from __future__ import annotations

from typing import cast

from flask import current_app
from flask_login import current_user

from clearance.runtime import Runtime
from clearance.settings import Settings
from webapp.users import WebUser

RUNTIME_KEY = "clearance.runtime"


def runtime() -> Runtime:
    return cast(Runtime, current_app.extensions[RUNTIME_KEY])


def settings() -> Settings:
    return cast(Settings, current_app.config["CLEARANCE_SETTINGS"])


def me() -> WebUser:
    """The signed-in user (views call this only behind ``login_required``)."""
    user = current_user._get_current_object()
    if not isinstance(user, WebUser):
        raise RuntimeError("me() called without a signed-in user; guard the view with a role")
    return user
