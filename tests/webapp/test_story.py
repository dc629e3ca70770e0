"""The whole story through the test client with CSRF on: submit, request changes, revise,
two approvers sign, the item is approved (and published when a publisher is wired)."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask

from tests.webapp.helpers import PASSWORD, browser, workbook

BODY = "Thông cáo báo chí về lễ hội mùa xuân của tỉnh.\nMời đồng bào tham dự."


def submit(
    app: Flask,
    title: str = "Lễ hội mùa xuân",
    body: str = BODY,
    files: dict[str, bytes] | None = None,
    channels: tuple[str, ...] = ("website",),
    level: str = "cong_khai",
) -> str:
    author = browser(app, "tac.gia")
    data: dict[str, Any] = {
        "title": title,
        "body": body,
        "channels": list(channels),
        "declared_level": level,
        "submit": "1",
    }
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files.items()]
    response = author.post(
        "/author/submit", data, form_page="/author/submit", content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rsplit("/", 1)[-1]


def revise(
    app: Flask,
    item_id: str,
    *,
    title: str,
    body: str = BODY,
    files: dict[str, bytes] | None = None,
    channels: tuple[str, ...] = ("website",),
    level: str = "cong_khai",
    note: str = "Đã sửa.",
) -> None:
    """The author sends a new revision of ``item_id`` (its files replace those of the same name)."""
    author = browser(app, "tac.gia")
    author.get(f"/author/items/{item_id}/revise")
    data: dict[str, Any] = {"title": title, "body": body, "channels": list(channels),
                            "declared_level": level, "note": note, "submit": "1"}  # fmt: skip
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files.items()]
    response = author.post(
        f"/author/items/{item_id}/revise", data, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def decide(app: Flask, who: str, item_id: str, decision: str, comment: str = "") -> str:
    b = browser(app, who)
    page = b.get(f"/approvals/items/{item_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    manifest = html.split('name="manifest_hash" type="hidden" value="')[1].split('"')[0]
    response = b.post(
        f"/approvals/items/{item_id}/decide",
        {"decision": decision, "comment": comment, "password": PASSWORD, "manifest_hash": manifest},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return b.get(f"/approvals/items/{item_id}").get_data(as_text=True)


#: the budget of a partner's visit, as first sent and as revised (one changed cell, a new row)
BUDGET: dict[str, list[list[object]]] = {
    "Kinh phí": [["Hạng mục", "Số tiền"], ["Đón tiếp", 120], ["Phiên dịch", 80]]
}
BUDGET_REVISED: dict[str, list[list[object]]] = {
    "Kinh phí": [["Hạng mục", "Số tiền"], ["Đón tiếp", 150], ["Phiên dịch", 80], ["Quà tặng", 40]]
}


def submit_budget(app: Flask) -> str:
    """An internal item for the foreign partners with a spreadsheet, sent back for changes and
    revised with a changed spreadsheet (the crawl's and the screenshots' world has it too)."""
    item_id = submit(app, title="Kinh phí đón đoàn", files={"kinh-phi.xlsx": workbook(BUDGET)},
                     channels=("foreign_partners",), level="noi_bo")  # fmt: skip
    decide(app, "lanh.dao", item_id, "request_changes", "Cập nhật kinh phí đón tiếp.")
    revise(app, item_id, title="Kinh phí đón đoàn", files={"kinh-phi.xlsx": workbook(BUDGET_REVISED)},
           channels=("foreign_partners",), level="noi_bo", note="Đã cập nhật kinh phí.")  # fmt: skip
    return item_id


def test_author_submits_and_sees_state(app: Flask) -> None:
    item_id = submit(app)
    author = browser(app, "tac.gia")
    page = author.get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "Lễ hội mùa xuân" in page
    assert "Chờ duyệt" in page or "awaiting" in page.lower()


def test_request_changes_then_revision_then_two_approvals(app: Flask) -> None:
    item_id = submit(app)
    queue = browser(app, "lanh.dao").get("/approvals/").get_data(as_text=True)
    assert item_id in queue
    decide(app, "lanh.dao", item_id, "request_changes", "Bổ sung thời gian tổ chức.")
    author = browser(app, "tac.gia")
    page = author.get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "Bổ sung thời gian tổ chức." in page
    revise = author.get(f"/author/items/{item_id}/revise")
    assert revise.status_code == 200
    response = author.post(
        f"/author/items/{item_id}/revise",
        {
            "title": "Lễ hội mùa xuân",
            "body": BODY + "\nThời gian: 01/03/2026.",
            "channels": ["website"],
            "declared_level": "cong_khai",
            "note": "Đã bổ sung thời gian.",
            "submit": "1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = author.get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "d-add" in page and "Thời gian: 01/03/2026." in page
    html = decide(app, "lanh.dao", item_id, "approve")
    assert "superseded" in html  # the change request on revision 1 is shown as stale
    decide(app, "phat.ngon", item_id, "approve_with_recommendations", "Tốt.")
    page = browser(app, "tac.gia").get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "state-approved" in page or "state-published" in page
