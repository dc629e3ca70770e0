"""Every route, every numeric parameter: a value out of range or not a number is a clear 400 in
Vietnamese (query) or a 404 (path), never a 500."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.runtime import Runtime
from clearance.services.items import Submission, submit
from clearance.services.users import add_user
from tests.webapp.helpers import PASSWORD, Browser, browser

#: every numeric query parameter a view reads, with the values it accepts
NUMERIC = {"page": (1, 100_000), "before": (1, 2**63 - 1)}
#: other query parameters a view reads (a bad value must still never be a 500)
OTHER = ("after", "view", "level", "channel", "q", "item", "actor", "event", "since", "until",
         "variant", "inline", "next", "lang")  # fmt: skip
HUGE = ("100000000000000000000", "99999999999999999999999", "-1", "0", "1e309", "nan", "٣",
        "１２", " ", "9" * 400, "0x10", "1.5", "2~" + "9" * 30)  # fmt: skip
VIETNAMESE_400 = "phải là số nguyên"


@pytest.fixture
def everyone(app: Flask, rt: Runtime) -> tuple[Browser, str]:
    add_user(rt, actor="test", username="moi.vai", roles="author approver auditor admin",
             signoff_roles="spokesperson", unit="vp", password=PASSWORD)  # fmt: skip
    item = submit(rt, author="moi.vai", submission=Submission(
        title="Tin thử", channels=["website"], declared_level="cong_khai", body_text="Nội dung."))  # fmt: skip
    return browser(app, "moi.vai"), item


def _urls(app: Flask, item: str, number: str) -> list[tuple[str, str]]:
    """(method, URL) of every rule, path parameters filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = re.sub(r"<int:[^>]+>", number, rule.rule)
        url = re.sub(r"<(?:string:)?item_id>", item, url)
        url = re.sub(r"<[^>]+>", "x", url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_every_numeric_query_parameter_out_of_range_is_a_clear_400(
    app: Flask, everyone: tuple[Browser, str]
) -> None:
    client, item = everyone
    checked = 0
    for method, url in _urls(app, item, "1"):
        if method != "GET" or url.startswith("/auth/logout"):
            continue
        for name in NUMERIC:
            for value in HUGE:
                response = client.client.get(url, query_string={name: value})
                assert response.status_code != 500, (url, name, value)
                if response.status_code == 400:
                    assert VIETNAMESE_400 in response.get_data(as_text=True), (url, name, value)
                    checked += 1
    assert checked >= 2 * len(HUGE) - 4  # /author/ page and /audit/ before, each refusing


@pytest.mark.parametrize(("url", "name"), [("/author/", "page"), ("/audit/", "before")])
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(value=st.one_of(st.integers(), st.text(max_size=30)))
def test_numeric_parameters_answer_200_in_range_and_400_otherwise(
    everyone: tuple[Browser, str], url: str, name: str, value: int | str
) -> None:
    client, _item = everyone
    response = client.client.get(url, query_string={name: str(value)})
    low, high = NUMERIC[name]
    text = str(value).strip()
    plain = text.lstrip("+-")
    in_range = text == "" or (
        plain.isascii() and plain.isdigit() and low <= int(text) <= high and len(plain) <= 20
    )
    assert response.status_code == (200 if in_range else 400), (value, response.status_code)
    if not in_range:
        assert VIETNAMESE_400 in response.get_data(as_text=True)


def test_other_parameters_with_hostile_values_never_fail(
    app: Flask, everyone: tuple[Browser, str]
) -> None:
    client, item = everyone
    for method, url in _urls(app, item, "1"):
        if method != "GET" or url.startswith("/auth/logout"):
            continue
        for name in OTHER:
            for value in (*HUGE[:3], "<script>", "\x00", "%"):
                response = client.client.get(url, query_string={name: value})
                assert response.status_code < 500, (url, name, value)


def test_a_damaged_queue_link_is_a_clear_400(everyone: tuple[Browser, str]) -> None:
    client, _item = everyone
    response = client.client.get("/approvals/", query_string={"after": "-~" + "9" * 30})
    assert response.status_code == 400
    assert "liên kết" in response.get_data(as_text=True)


def test_numeric_path_segments_too_large_for_the_database_are_404(
    app: Flask, everyone: tuple[Browser, str]
) -> None:
    client, item = everyone
    client.get("/auth/password")
    for number in ("9223372036854775808", "99999999999999999999999"):
        for method, url in _urls(app, item, number):
            if number not in url:
                continue
            if method == "GET":
                response = client.client.get(url)
            else:
                response = client.client.post(url, data={"csrf_token": client.token})
            assert response.status_code == 404, (method, url, response.status_code)
