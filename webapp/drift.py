"""Drift found by the channel monitor, for the item pages and the admin page (a template
global, so every page that shows an item can say it)."""

from __future__ import annotations

from flask import Flask

from clearance.publishing.monitor import logged_drifts
from webapp.context import read_connection


def channel_drifts(item_id: str | None = None) -> list[dict[str, object]]:
    return logged_drifts(read_connection(), item_id)


def init_app(app: Flask) -> None:
    app.add_template_global(channel_drifts, "channel_drifts")
