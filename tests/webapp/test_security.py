"""Security bar: headers and CSP, cookies, CSRF, safe redirects, rate limit and lockout,
fresh password to sign, uploads capped, downloads as attachments, friendly error pages, i18n."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from flask import Flask

from clearance.errors import ConfigurationError
from clearance.settings import Mode
from tests.webapp.helpers import PASSWORD, browser
from tests.webapp.test_story import submit
from webapp import create_app
from webapp.security import LoginLimiter, safe_next


def test_headers_and_strict_csp(app: Flask) -> None:
    response = app.test_client().get("/auth/login")
    h = response.headers
    assert "script-src 'self'" in h["Content-Security-Policy"]
    assert "unsafe-inline" not in h["Content-Security-Policy"]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Cache-Control"] == "no-store"
    assert "<script>" not in response.get_data(as_text=True)  # no inline scripts at all


def test_session_cookie_flags(app: Flask) -> None:
    b = browser(app)
    response = b.login("tac.gia")
    cookie = next(
        v for k, v in response.headers.items() if k == "Set-Cookie" and "clearance_session" in v
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # http://127.0.0.1 embedded/test default


def test_secure_cookies_in_production(web_settings, rt) -> None:  # type: ignore[no-untyped-def]
    settings = web_settings.with_overrides(mode=Mode.PRODUCTION, secret_key="x" * 48)
    app = create_app(settings, runtime=rt)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_no_secret_key_no_app(web_settings, rt) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError):
        create_app(web_settings.with_overrides(mode=Mode.PRODUCTION, secret_key=None), runtime=rt)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/author/", "/author/"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
        (None, "/"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_login_redirects_only_to_safe_next(app: Flask) -> None:
    b = browser(app)
    b.get("/auth/login?next=https://evil.example/")
    response = b.post(
        "/auth/login",
        {"username": "tac.gia", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]


def test_wrong_passwords_then_the_pair_waits_with_the_same_message(app: Flask) -> None:
    b = browser(app)
    for _ in range(5):
        response = b.post(
            "/auth/login",
            {"username": "tac.gia.b", "password": "wrong password"},
            form_page="/auth/login",
        )
        assert response.status_code == 401
    response = b.post(
        "/auth/login", {"username": "tac.gia.b", "password": PASSWORD}, form_page="/auth/login"
    )
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.get_data(as_text=True)


def test_rate_limit_answers_429(app: Flask) -> None:
    app.extensions["clearance.login_limiter"] = LoginLimiter(per_address=3)
    b = browser(app)
    wrong = [
        b.post("/auth/login", {"username": "nobody", "password": "x"}, form_page="/auth/login")
        for _ in range(3)
    ]
    assert [r.status_code for r in wrong] == [401, 401, 401]
    # the fourth attempt from this address is refused before any password is checked: even the
    # right password of a real account gets the 429 page, in Vietnamese
    limited = b.post(
        "/auth/login", {"username": "tac.gia", "password": PASSWORD}, form_page="/auth/login"
    )
    assert limited.status_code == 429
    page = limited.get_data(as_text=True)
    assert "Quá nhiều lần thử" in page and "Hãy chờ vài phút rồi thử lại." in page
    assert b.client.get("/author/").status_code == 302  # not signed in


def test_logout_is_post_only(app: Flask) -> None:
    b = browser(app, "tac.gia")
    assert b.client.get("/auth/logout").status_code == 405
    assert b.post("/auth/logout", {}).status_code == 302
    assert b.client.get("/author/").status_code == 302


def test_friendly_error_pages_in_vietnamese_by_default(app: Flask) -> None:
    b = browser(app, "tac.gia")
    page = b.client.get("/author/items/does-not-exist")
    assert page.status_code == 404
    assert "Không tìm thấy" in page.get_data(as_text=True)
    forbidden = b.client.get("/admin/users")
    assert forbidden.status_code == 403
    assert "Bạn không có quyền" in forbidden.get_data(as_text=True)


def test_english_on_request_and_dates(app: Flask) -> None:
    b = browser(app, "tac.gia")
    item_id = submit(app)
    vi = b.client.get(f"/author/items/{item_id}").get_data(as_text=True)
    today = datetime.now(UTC).astimezone().strftime("%Y")
    assert "Tin bài" in vi and f"/{today} " in vi  # dd/mm/yyyy HH:mm
    b.post("/lang", {"lang": "en", "next": "/author/"})
    en = b.client.get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "Sign-off progress" in en and "Tiến độ duyệt" not in en


def test_upload_over_the_cap_is_413(app: Flask) -> None:
    b = browser(app, "tac.gia")
    b.get("/author/submit")
    big = io.BytesIO(b"x" * (4 * 1024 * 1024))
    response = b.client.post(
        "/author/submit",
        data={
            "csrf_token": b.token,
            "title": "t",
            "channels": ["website"],
            "declared_level": "cong_khai",
            "submit": "1",
            "attachments": [(big, "big.txt")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_download_is_an_attachment_with_nosniff(app: Flask) -> None:
    item_id = submit(app, files={"trang.html": b"<html><script>alert(1)</script></html>"})
    b = browser(app, "tac.gia")
    response = b.client.get(f"/items/{item_id}/r/1/parts/1?variant=original")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    inline = b.client.get(f"/items/{item_id}/r/1/parts/1?variant=original&inline=1")
    assert inline.headers["Content-Disposition"].startswith("attachment;")  # html never inline


def test_decision_needs_the_password(app: Flask) -> None:
    item_id = submit(app)
    b = browser(app, "lanh.dao")
    html = b.get(f"/approvals/items/{item_id}").get_data(as_text=True)
    manifest = html.split('name="manifest_hash" type="hidden" value="')[1].split('"')[0]
    response = b.post(
        f"/approvals/items/{item_id}/decide",
        {"decision": "approve", "password": "not my password", "manifest_hash": manifest},
    )
    assert response.status_code == 422  # the form again, the chosen decision kept, nothing signed
    assert '<option selected value="approve">' in response.get_data(as_text=True)
    page = b.client.get(f"/approvals/items/{item_id}").get_data(as_text=True)
    assert "Chưa có quyết định." in page


def test_decision_on_a_stale_manifest_is_409(app: Flask) -> None:
    item_id = submit(app)
    b = browser(app, "lanh.dao")
    b.get(f"/approvals/items/{item_id}")
    response = b.post(
        f"/approvals/items/{item_id}/decide",
        {"decision": "approve", "password": PASSWORD, "manifest_hash": "0" * 64},
    )
    assert response.status_code == 409
