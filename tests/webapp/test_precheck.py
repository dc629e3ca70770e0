"""The author's pre-check through the test client (CSRF on): findings shown, nothing submitted."""

from __future__ import annotations

import io

from flask import Flask

from clearance.runtime import Runtime
from clearance.services.queries import list_items
from tests.webapp.helpers import browser


def test_precheck_shows_a_marking_and_submits_nothing(app: Flask, rt: Runtime) -> None:
    author = browser(app, "tac.gia")
    data = {
        "title": "Báo cáo",
        "body": "Lễ hội hoa xuân.",
        "channels": ["website"],
        "declared_level": "cong_khai",
        "precheck": "1",
        "attachments": [(io.BytesIO("MẬT\n\nKế hoạch nội bộ.".encode()), "ke-hoach.txt")],
    }
    response = author.post(
        "/author/submit", data, form_page="/author/submit", content_type="multipart/form-data"
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    page = response.get_data(as_text=True)
    assert "ke-hoach.txt" in page
    assert "marking" in page  # the rule id of the secrecy-marking finding
    assert list_items(rt, author="tac.gia") == []
