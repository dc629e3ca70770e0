"""The Clearance web UI: ``create_app(settings)`` builds a Flask app over one core Runtime.

Blueprints (one per area): auth, author, approvals, audit, admin, plus files (downloads shared by
every role under object-level checks) and notifications. Nothing happens at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from clearance.runtime import Runtime
from clearance.settings import Settings


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    config: Mapping[str, Any] | None = None,
) -> Flask:
    """Build the app. ``runtime`` defaults to ``Runtime.open(settings)``; ``config`` overrides."""
    from webapp import (
        admin,
        approvals,
        audit,
        auth,
        author,
        blocking,
        context,
        drift,
        errors,
        files,
        findings,
        i18n,
        itemview,
        labels,
        nav,
        notifications,
        params,
        publishing,
        reports,
        setup,
        templating,
    )
    from webapp.context import RUNTIME_KEY
    from webapp.security import configure_security

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.require_secret_key(),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        CLEARANCE_SETTINGS=settings,
        PAGE_SIZE=50,
    )
    if config:
        app.config.update(config)
    from clearance.services.users import prepare_login

    prepare_login()
    app.extensions[RUNTIME_KEY] = runtime if runtime is not None else Runtime.open(settings)
    templating.init_app(app)  # before any template is compiled
    params.init_app(app)  # before any route: bounds every <int:...> segment
    context.init_app(app)
    configure_security(app, settings)
    i18n.init_app(app)
    labels.init_app(app)
    itemview.init_app(app)
    findings.init_app(app)
    blocking.init_app(app)
    nav.init_app(app)
    drift.init_app(app)
    publishing.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    for module in (auth, author, approvals, audit, admin, setup, files, notifications, reports):
        app.register_blueprint(module.bp)
    app.add_url_rule("/", "index", auth.home)
    app.add_url_rule("/published.css", "published_css", itemview.published_css)
    if settings.trusted_proxies:
        # the client address (login throttling) from the proxies' X-Forwarded-For, no further
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    return app
