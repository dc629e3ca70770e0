"""A decision that cannot be signed keeps the form as the approver filled it (the chosen decision
and the comment) and links to the key page; an approver without a signing key is led to the key
page at login."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import update

from clearance.signing.models import approver_keys
from tests.webapp.helpers import PASSWORD, Browser, browser
from tests.webapp.test_story import submit

COMMENT = "Đề nghị sửa đoạn hai về lễ khai mạc."


def retire_key(app: Flask, username: str) -> None:
    rt = app.extensions["clearance.runtime"]
    with rt.uow() as uow:
        uow.session.execute(
            update(approver_keys)
            .where(approver_keys.c.username == username)
            .values(retired_at=datetime.now(UTC))
        )
        uow.commit(now=datetime.now(UTC))


def attempt(b: Browser, item_id: str, password: str) -> tuple[int, str]:
    page = b.get(f"/approvals/items/{item_id}").get_data(as_text=True)
    manifest = page.split('name="manifest_hash" type="hidden" value="')[1].split('"')[0]
    response = b.post(
        f"/approvals/items/{item_id}/decide",
        {
            "decision": "request_changes",
            "comment": COMMENT,
            "password": password,
            "manifest_hash": manifest,
        },
    )
    return response.status_code, response.get_data(as_text=True)


def assert_form_kept(html: str) -> None:
    form = html.split('class="decision"', 1)[1].split("</form>", 1)[0]
    assert '<option selected value="request_changes">' in form
    assert f"{COMMENT}</textarea>" in form
    password = re.search(r'<input[^>]*name="password"[^>]*>', form)
    assert password is not None and 'value="' not in password.group(0).replace('value=""', "")
    failure = html.split('id="decision-failure">', 1)[1].split("</div>", 1)[0]
    assert 'href="/approvals/key"' in failure
    assert "Quyết định của bạn chưa được ghi nhận" in failure


def test_a_wrong_password_keeps_the_decision_and_the_comment(app: Flask) -> None:
    item_id = submit(app)
    approver = browser(app, "lanh.dao")
    status, html = attempt(approver, item_id, "not the password")
    assert status == 422
    assert_form_kept(html)
    # and nothing was recorded: the right password still signs it
    status, html = attempt(approver, item_id, PASSWORD)
    assert status == 302


def test_no_signing_key_keeps_the_form_and_links_to_the_key_page(app: Flask) -> None:
    item_id = submit(app)
    approver = browser(app, "lanh.dao")
    retire_key(app, "lanh.dao")
    status, html = attempt(approver, item_id, PASSWORD)
    assert status == 422
    assert_form_kept(html)
    failure = html.split('id="decision-failure">', 1)[1].split("</div>", 1)[0]
    assert "Khóa ký số của bạn" in failure and "trang Khóa ký số" in failure


def test_an_approver_without_a_key_is_led_to_the_key_page_at_login(app: Flask) -> None:
    with_key = Browser(app.test_client())
    response = with_key.login("thu.truong")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    retire_key(app, "thu.truong")
    without = Browser(app.test_client())
    response = without.login("thu.truong")
    assert response.status_code == 302 and response.headers["Location"] == "/approvals/key"
    page = without.get("/approvals/key").get_data(as_text=True)
    assert "Trước lần ký duyệt đầu tiên" in page
    # and the home page leads there too until a key is enrolled
    assert without.client.get("/").headers["Location"] == "/approvals/key"
    without.post("/approvals/key", {"password": PASSWORD})
    assert without.client.get("/").headers["Location"] == "/approvals/"
