"""Files staged by a pre-check belong to the form that staged them, never to the session: two
submission forms open in one session (two tabs) each keep their own files."""

from __future__ import annotations

import io
import re

from flask import Flask

from clearance.runtime import Runtime
from clearance.services.queries import item_detail, list_items
from tests.webapp.helpers import browser, csrf_token

STAGED = re.compile(r'name="staged" type="hidden" value="([^"]*)"|name="staged" value="([^"]*)"')


def _staged_token(html: str) -> str:
    match = STAGED.search(html)
    return (match.group(1) or match.group(2)) if match else ""


def _form(title: str, **extra: object) -> dict[str, object]:
    return {
        "title": title,
        "body": "Lễ hội hoa xuân.",
        "channels": ["website"],
        "declared_level": "cong_khai",
        **extra,
    }


def _attachments(rt: Runtime, title: str) -> list[str]:
    (row,) = [r for r in list_items(rt, author="tac.gia") if r.title == title]
    detail = item_detail(rt, row.id)
    return [p.name for p in detail.revisions[-1].parts if p.role != "body"]


def test_a_file_staged_in_one_tab_stays_out_of_an_item_sent_from_another(
    app: Flask, rt: Runtime
) -> None:
    author = browser(app, "tac.gia")
    tab_a = author.client.get("/author/submit").get_data(as_text=True)
    tab_b = author.client.get("/author/submit").get_data(as_text=True)
    precheck = author.client.post(
        "/author/submit",
        data=_form(
            "Kế hoạch A",
            csrf_token=csrf_token(tab_a),
            staged=_staged_token(tab_a),
            precheck="1",
            attachments=[(io.BytesIO(b"ho so rieng cua tab A"), "rieng-tu.txt")],
        ),
        content_type="multipart/form-data",
    )
    assert precheck.status_code == 200, precheck.get_data(as_text=True)[:2000]
    after_check = precheck.get_data(as_text=True)
    assert "rieng-tu.txt" in after_check

    sent_b = author.client.post(
        "/author/submit",
        data=_form("Thông cáo B", csrf_token=csrf_token(tab_b), staged=_staged_token(tab_b)),
        content_type="multipart/form-data",
    )
    assert sent_b.status_code == 302, sent_b.get_data(as_text=True)[:2000]
    assert _attachments(rt, "Thông cáo B") == []

    sent_a = author.client.post(
        "/author/submit",
        data=_form(
            "Kế hoạch A", csrf_token=csrf_token(after_check), staged=_staged_token(after_check)
        ),
        content_type="multipart/form-data",
    )
    assert sent_a.status_code == 302, sent_a.get_data(as_text=True)[:2000]
    assert _attachments(rt, "Kế hoạch A") == ["rieng-tu.txt"]


def test_a_forged_staging_token_is_refused(app: Flask, rt: Runtime) -> None:
    author = browser(app, "tac.gia")
    page = author.client.get("/author/submit").get_data(as_text=True)
    sent = author.client.post(
        "/author/submit",
        data=_form("Giả mạo", csrf_token=csrf_token(page), staged="not-a-token"),
        content_type="multipart/form-data",
    )
    assert sent.status_code == 400
    assert list_items(rt, author="tac.gia") == []


def test_a_staging_token_of_another_user_is_refused(app: Flask, rt: Runtime) -> None:
    other = browser(app, "tac.gia.b")
    page = other.client.get("/author/submit").get_data(as_text=True)
    checked = other.client.post(
        "/author/submit",
        data=_form(
            "Của B",
            csrf_token=csrf_token(page),
            staged=_staged_token(page),
            precheck="1",
            attachments=[(io.BytesIO(b"tai lieu cua B"), "cua-b.txt")],
        ),
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    stolen = _staged_token(checked)
    author = browser(app, "tac.gia")
    page = author.client.get("/author/submit").get_data(as_text=True)
    sent = author.client.post(
        "/author/submit",
        data=_form("Lấy của B", csrf_token=csrf_token(page), staged=stolen),
        content_type="multipart/form-data",
    )
    assert sent.status_code == 400
    assert list_items(rt, author="tac.gia") == []
