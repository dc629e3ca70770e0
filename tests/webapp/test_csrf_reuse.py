"""The CSRF token a page carries is signed once a minute per session, not on every page (the
signature is an HMAC, a timestamp, zlib and base64 each time); the reused token is still the
session's, still checked on every POST, and a new session gets a token of its own."""

from __future__ import annotations

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from tests.webapp.helpers import browser, csrf_token
from webapp import security


def _count_signing(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    signed: list[int] = []
    real = URLSafeTimedSerializer.dumps

    def counting(self, obj, salt=None):  # type: ignore[no-untyped-def]
        signed.append(1)
        return real(self, obj, salt)

    monkeypatch.setattr(URLSafeTimedSerializer, "dumps", counting)
    return signed


def test_pages_of_one_session_reuse_the_signed_token(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    approver = browser(app, "lanh.dao")
    first = csrf_token(approver.get("/approvals/").get_data(as_text=True))
    signed = _count_signing(monkeypatch)
    for _ in range(3):
        assert csrf_token(approver.get("/approvals/").get_data(as_text=True)) == first
    assert signed == []
    # the reused token is accepted, and a forged one is still refused
    response = approver.client.post("/lang", data={"csrf_token": first, "lang": "en"})
    assert response.status_code == 302
    refused = approver.client.post("/lang", data={"csrf_token": first[:-2] + "xx", "lang": "vi"})
    assert refused.status_code == 400


def test_a_token_is_signed_again_after_the_reuse_window(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    approver = browser(app, "lanh.dao")
    approver.get("/approvals/")
    later = security._clock() + security.CSRF_REUSE_SECONDS + 1
    monkeypatch.setattr(security, "_clock", lambda: later)
    signed = _count_signing(monkeypatch)
    token = csrf_token(approver.get("/approvals/").get_data(as_text=True))
    assert signed == [1]
    assert (
        approver.client.post("/lang", data={"csrf_token": token, "lang": "en"}).status_code == 302
    )


def test_another_session_gets_its_own_token(app: Flask) -> None:
    one = csrf_token(browser(app, "lanh.dao").get("/approvals/").get_data(as_text=True))
    other = csrf_token(browser(app, "lanh.dao").get("/approvals/").get_data(as_text=True))
    assert one != other
