"""The navigation bar: links by role, built once per (language, roles) instead of every page."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Flask, url_for
from flask_babel import gettext as _

from webapp.context import me

#: (role or None for everyone, endpoint, label) in display order; labels are msgids
LINKS: tuple[tuple[str | None, str, str], ...] = (
    ("author", "author.my_items", "My items"),
    ("author", "author.submit", "New item"),
    ("approver", "approvals.queue", "Awaiting my approval"),
    ("approver", "approvals.decided", "Decided by me"),
    ("approver", "approvals.all_items", "All items"),
    ("approver", "approvals.key", "Signing key"),
    ("auditor", "audit.log", "Audit log"),
    ("auditor", "audit.verify_page", "Verification"),
    ("approver", "reports.index", "Reports"),
    ("auditor", "reports.index", "Reports"),
    ("admin", "admin.users", "Users"),
    ("admin", "admin.pending", "Pending changes"),
    ("admin", "admin.policy", "Policy"),
    ("admin", "admin.publications", "Channels and publication"),
    (None, "notifications.index", "Notifications"),
)


def _labels() -> None:
    """Marks the labels for extraction (babel reads literal gettext calls)."""
    _("My items"), _("New item"), _("Awaiting my approval"), _("Signing key"), _("Audit log")
    _("Verification"), _("Users"), _("Pending changes"), _("Policy"), _("Notifications")
    _("Reports"), _("Channels and publication"), _("Decided by me"), _("All items")


@lru_cache(maxsize=64)
def _links(language: str, roles: frozenset[str], root: str) -> tuple[tuple[str, str], ...]:
    del language, root  # cache keys: the labels and URLs depend on them
    endpoints = dict.fromkeys(
        (endpoint, label) for role, endpoint, label in LINKS if role in roles or not role
    )  # one link per page even when several of the user's roles lead to it
    return tuple((url_for(endpoint), _(label)) for endpoint, label in endpoints)


def nav_links() -> tuple[tuple[str, str], ...]:
    from flask import request

    from webapp.i18n import language

    return _links(language(), me().roles, request.script_root)


#: the layout's fixed links (stylesheet, script, home, language, password, logout) by name
LAYOUT: dict[str, tuple[str, dict[str, Any]]] = {
    "css": ("static", {"filename": "app.css"}),
    "js": ("static", {"filename": "app.js"}),
    "published_css": ("published_css", {}),
    "home": ("index", {}),
    "language": ("i18n.set_language", {}),
    "password": ("auth.change_password", {}),
    "logout": ("auth.logout", {}),
    "notifications": ("notifications.index", {}),
}


@lru_cache(maxsize=16)
def _layout(root: str) -> dict[str, str]:
    del root  # cache key: the URLs depend on it
    return {name: url_for(endpoint, **values) for name, (endpoint, values) in LAYOUT.items()}


def layout_urls() -> dict[str, str]:
    """The layout's links, built once per application root instead of six ``url_for`` calls
    on every page."""
    from flask import request

    return _layout(request.script_root)


def unread_notifications() -> int:
    """The signed-in user's unread notifications (one indexed count per page)."""
    from clearance.notifications import unread_count
    from webapp.context import read_connection

    return unread_count(read_connection(), me().id)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.globals["unread_notifications"] = unread_notifications
    app.jinja_env.globals["layout_urls"] = layout_urls
