"""The body is text whatever it contains: screened as text (never typed by its bytes), shown
escaped; and the submit page never says two contradictory things."""

from __future__ import annotations

from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.runtime import Runtime
from clearance.screening.types import Verdict
from clearance.services.review import screen_part
from clearance.services.uploads import BODY_NAME
from tests.webapp.helpers import Browser, browser
from tests.webapp.test_story import submit

HTML_BODY = (
    "<p>Thông cáo báo chí về lễ hội mùa xuân.</p>\n"
    '<script>alert("x")</script><img src=x onerror=alert(1)>\n'
    "Mời đồng bào tham dự."
)
NOTHING_FOUND = "Rà soát trước không có phát hiện nào."


def _form(**extra: str) -> dict[str, Any]:
    return {
        "title": "Lễ hội mùa xuân",
        "body": HTML_BODY,
        "channels": ["website"],
        "declared_level": "cong_khai",
        **extra,
    }


def _post(b: Browser, data: dict[str, Any]) -> Any:
    return b.post(
        "/author/submit", data, form_page="/author/submit", content_type="multipart/form-data"
    )


def test_a_body_with_html_is_submitted_screened_as_text_and_shown_escaped(
    app: Flask, rt: Runtime
) -> None:
    item_id = submit(app, body=HTML_BODY)
    author_page = browser(app, "tac.gia").get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "name says" not in author_page and "text/html" not in author_page
    page = browser(app, "lanh.dao").get(f"/approvals/items/{item_id}")
    assert page.status_code == 200  # awaiting sign-off: not refused by its content type
    html = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_the_pre_check_of_a_body_with_html_finds_no_type_problem(app: Flask) -> None:
    response = _post(browser(app, "tac.gia"), _form(precheck="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and NOTHING_FOUND in html
    assert "name says" not in html


def test_a_body_with_html_and_a_secrecy_marking_is_still_blocked(rt: Runtime) -> None:
    result = screen_part(
        rt,
        rt.policy.screening,
        name=BODY_NAME,
        data=("MẬT\n\n" + HTML_BODY).encode(),
        body=True,
        allowed=frozenset(),
    )
    assert result.verdict is Verdict.BLOCKED


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.one_of(
        st.text(min_size=1, max_size=200),
        st.sampled_from(["%PDF-1.7\n", "PK\x03\x04", "MZ\x90\x00", "\x7fELF", "<?xml ?><svg/>",
                         "<html><body>", "#!/bin/sh\n", "{\\rtf1 ", "GIF89a"]).map(
            lambda head: head + " Thông cáo báo chí."
        ),
    )
)  # fmt: skip
def test_any_body_text_is_screened_as_text(rt: Runtime, text: str) -> None:
    rules = rt.policy.screening
    result = screen_part(rt, rules, name=BODY_NAME, data=text.encode(), body=True,
                         allowed=frozenset())  # fmt: skip
    assert result.detected_type == "text/plain"
    assert "name says" not in (result.held_reason or "")
    assert "are refused" not in (result.held_reason or "")


def test_a_failed_submission_does_not_claim_a_pre_check_found_nothing(app: Flask) -> None:
    response = _post(browser(app, "tac.gia"), _form(title="", body="", submit="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert NOTHING_FOUND not in html


def test_a_refused_submission_shows_only_its_reason(app: Flask) -> None:
    response = _post(browser(app, "tac.gia"), _form(body="", submit="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "flash error" in html
    assert NOTHING_FOUND not in html and "flash info" not in html
