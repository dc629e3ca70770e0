"""The queue page (rows written by the template macro): values are escaped, overdue rows are
marked, links lead to the item page."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from clearance.readmodels.queue import QueueFilter
from tests.webapp.helpers import browser
from tests.webapp.test_story import submit
from webapp.approvals import queue_page_url


def test_queue_rows_escape_titles_and_link_to_items(app: Flask) -> None:
    hostile = 'Lễ hội <script>alert("x")</script> & "ngoặc"'
    item_id = submit(app, title=hostile)
    html = browser(app, "lanh.dao").get("/approvals/").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "Lễ hội &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;ngoặc&#34;" in html
    assert f'href="/approvals/items/{item_id}"' in html


def test_a_title_submitted_just_before_is_found_by_the_first_search(app: Flask) -> None:
    # the search index is written with the revision: the first search finds the title
    item_id = submit(app, title="Đón Tết Nguyên Đán")
    html = browser(app, "lanh.dao").get("/approvals/?q=don+tet").get_data(as_text=True)
    assert f'href="/approvals/items/{item_id}"' in html


@pytest.mark.parametrize(
    ("view", "level", "channel", "q", "after"),
    [
        ("mine", None, None, None, "2026-11-22T13:24:46.628479+00:00~3529"),
        ("overdue", "cong_khai", "website", "lễ hội & 100%/x?", None),
        ("mine", None, "báo chí", "a+b c~d", "-~12"),
    ],
)
def test_pager_links_are_what_url_for_builds(
    app: Flask, view: str, level: str | None, channel: str | None, q: str | None, after: str | None
) -> None:
    f = QueueFilter(view=view, level=level, channel=channel, q=q)
    with app.test_request_context("/approvals/"):
        expected = url_for(
            "approvals.queue", view=view, level=level, channel=channel, q=q, after=after
        )
        assert queue_page_url(f, after) == expected
