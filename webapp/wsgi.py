"""WSGI entry point for gunicorn: ``gunicorn 'webapp.wsgi:app'`` (settings from the environment)."""

from __future__ import annotations

from clearance.settings import load_settings
from webapp import create_app

app = create_app(load_settings())
