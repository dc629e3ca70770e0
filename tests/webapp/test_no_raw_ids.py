"""Policy ids are shown by their labels: a crawl of the main pages of every role finds no raw
level, channel, sign-off role or stage id in the text a user reads (``<code>`` elements, where
technical ids belong, and attribute values such as option values are not text)."""

from __future__ import annotations

from html.parser import HTMLParser

from flask import Flask

from tests.webapp.helpers import browser
from tests.webapp.test_story import submit

RAW_IDS = ("cong_khai", "noi_bo", "unit_head", "security_officer", "security_review",
           "unit_review", "leadership_release", "geo.coordinates")  # fmt: skip
SKIPPED = {"code", "script", "style", "pre"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in SKIPPED:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_the_main_pages_show_labels_not_ids(app: Flask) -> None:
    item_id = submit(app)
    pages = {
        "tac.gia": ["/author/", f"/author/items/{item_id}"],
        "lanh.dao": ["/approvals/", f"/approvals/items/{item_id}"],
        "kiem.toan": [f"/audit/items/{item_id}"],
        "quan.tri": ["/admin/users"],
    }
    found = []
    for who, urls in pages.items():
        b = browser(app, who)
        for url in urls:
            response = b.get(url)
            assert response.status_code == 200, (who, url)
            text = visible_text(response.get_data(as_text=True))
            found += [(who, url, raw) for raw in RAW_IDS if raw in text]
    assert not found, found


def test_the_crawl_sees_an_id_outside_code() -> None:
    """The text extraction is not vacuous: an id in plain text is seen, in <code> it is not."""
    assert "cong_khai" in visible_text("<p>Mức: cong_khai</p>")
    assert "cong_khai" not in visible_text('<p><code>cong_khai</code><option value="cong_khai">')
