"""Drift found by the channel monitor, for the item pages and the admin page (a template
global, so every page that shows an item can say it)."""

from __future__ import annotations

from flask import Flask

from clearance.publishing.monitor import drifts
from webapp.context import runtime


def channel_drifts(item_id: str | None = None) -> list[dict[str, object]]:
    return drifts(runtime(), item_id)


def init_app(app: Flask) -> None:
    app.add_template_global(channel_drifts, "channel_drifts")
