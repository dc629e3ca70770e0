"""The queue's table body is built in Python (for speed): values are escaped, overdue rows are
marked, links lead to the item page."""

from __future__ import annotations

from flask import Flask

from tests.webapp.helpers import browser
from tests.webapp.test_story import submit


def test_queue_rows_escape_titles_and_link_to_items(app: Flask) -> None:
    hostile = 'Lễ hội <script>alert("x")</script> & "ngoặc"'
    item_id = submit(app, title=hostile)
    html = browser(app, "lanh.dao").get("/approvals/").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "Lễ hội &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;ngoặc&#34;" in html
    assert f'href="/approvals/items/{item_id}"' in html
