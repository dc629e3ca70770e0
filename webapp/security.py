"""Cookies, CSRF, security headers, safe redirects and the login rate limiter."""

from __future__ import annotations

import threading
import time
from collections import deque
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect, generate_csrf

from clearance.settings import Mode, Settings
from webapp.sessions import ServerSessionInterface

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


#: a session's signed CSRF token is given again for this long: signing it (an HMAC, a timestamp,
#: zlib and base64) on every page is a tenth of a millisecond; the token stays valid for
#: ``WTF_CSRF_TIME_LIMIT`` less at most this
CSRF_REUSE_SECONDS = 60
#: (secret, field, the session's raw token) -> (when signed, the signed token); bounded
_SIGNED: dict[tuple[str, str, str], tuple[float, str]] = {}
_SIGNED_MAX = 10_000
_clock = time.monotonic


def csrf_token() -> str:
    """Flask-WTF's ``generate_csrf`` (the templates' ``csrf_token()``), with the token signed
    for this session in the last ``CSRF_REUSE_SECONDS`` given again. The check of a POST is
    Flask-WTF's own: the token must carry this session's raw token and be within the limit."""
    field = str(current_app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token")
    if field in g:
        return str(generate_csrf())
    secret = str(current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key)
    raw = session.get(field)
    now = _clock()
    if isinstance(raw, str):
        hit = _SIGNED.get((secret, field, raw))
        if hit is not None and now - hit[0] < CSRF_REUSE_SECONDS:
            setattr(g, field, hit[1])
            return hit[1]
    token = str(generate_csrf())
    raw = session.get(field)
    if isinstance(raw, str):
        if len(_SIGNED) >= _SIGNED_MAX:
            _SIGNED.clear()
        _SIGNED[(secret, field, raw)] = (now, token)
    return token


def cookie_secure(settings: Settings) -> bool:
    """Secure cookies everywhere except plain-http embedded/test use, unless set explicitly."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
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
        PERMANENT_SESSION_LIFETIME=settings.session_max_hours * 3600,
        WTF_CSRF_SSL_STRICT=secure,
    )
    app.session_interface = ServerSessionInterface()
    csrf.init_app(app)
    # Flask-WTF gives templates its ``generate_csrf`` as a global and in the context; both
    # are this one (a later context processor wins)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
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
    """A sliding-window limit on login attempts per client address (any usernames).

    Per process: under gunicorn each worker counts on its own. There is deliberately no limit
    per username here: anyone could spend it and lock the owner out. The core throttles each
    (address, username) pair instead (``clearance.accounts.throttle``), across processes.
    """

    def __init__(self, *, per_address: int = 30, window_seconds: float = 300.0) -> None:
        self.per_address = per_address
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        """Record one attempt; False when the address already reached its limit."""
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 100_000:
                self._hits.clear()
            hits = self._hits.setdefault(address, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.per_address:
                return False
            hits.append(now)
            return True
