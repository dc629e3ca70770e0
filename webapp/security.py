"""Cookies, CSRF, security headers, safe redirects and the login rate limiter."""

from __future__ import annotations

import threading
import time
from collections import deque
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from clearance.settings import Mode, Settings, coerce_bool

csrf = CSRFProtect()

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)


def cookie_secure(settings: Settings) -> bool:
    """Secure cookies everywhere except plain-http embedded/test use, unless set explicitly."""
    raw = settings.extra.get("CLEARANCE_COOKIE_SECURE")
    if raw:
        return coerce_bool("CLEARANCE_COOKIE_SECURE", raw)
    if settings.mode is Mode.PRODUCTION:
        return True
    return not settings.public_base_url.startswith("http://")


def configure_security(app: Flask, settings: Settings) -> None:
    secure = cookie_secure(settings)
    app.config.update(
        SESSION_COOKIE_NAME="clearance_session",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_SSL_STRICT=secure,
    )
    csrf.init_app(app)
    app.extensions["clearance.login_limiter"] = LoginLimiter()

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Cross-Origin-Resource-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if secure:
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if not request.path.startswith("/static/"):
            h["Cache-Control"] = "no-store"
        return response


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths: no scheme, no host, no ``//`` or backslash tricks."""
    if not target:
        return default
    if any(ord(ch) < 32 for ch in target) or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


class LoginLimiter:
    """Sliding-window limits on login attempts per client address and per username.

    Per process: under gunicorn each worker counts on its own, so the effective limit is
    ``workers x limit``; the account lockout in the core is global and still applies.
    """

    def __init__(
        self, *, per_address: int = 20, per_user: int = 10, window_seconds: float = 300.0
    ) -> None:
        self.per_address = per_address
        self.per_user = per_user
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _count(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def allow(self, address: str, username: str) -> bool:
        """Record one attempt; False when either limit is already reached."""
        now = time.monotonic()
        keys = (
            (f"a:{address}", self.per_address),
            (f"u:{username.strip().lower()}", self.per_user),
        )
        with self._lock:
            if len(self._hits) > 100_000:
                self._hits.clear()
            if any(len(self._count(key, now)) >= limit for key, limit in keys):
                return False
            for key, _ in keys:
                self._hits[key].append(now)
            return True
