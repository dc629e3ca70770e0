"""Every page every role reaches by links, on a world with items in every state: no server
error, no link that leads nowhere, no raw policy id and no English UI word in what a
Vietnamese user reads."""

from __future__ import annotations

from flask import Flask

from tests.webapp.crawl import ROLES, crawl, problems, raw_ids, read, seed
from webapp.context import runtime


def test_every_page_of_every_role_is_vietnamese_with_labels(app: Flask) -> None:
    items = seed(app)
    with app.app_context():
        ids = raw_ids(runtime().policy)
    report: list[tuple[str | None, str, str]] = []
    for who in (None, *ROLES):
        visits = crawl(app, who, ids)
        pages = [v for v in visits if v.html and v.status == 200]
        assert len(pages) >= (1 if who is None else 5), (who, [v.url for v in visits])
        if who == "tac.gia":  # the crawl reached the items in every state
            reached = {v.url for v in pages}
            assert {f"/author/items/{i}" for i in items.values()} <= reached, reached
        for v in visits:
            if v.status >= 500 or v.status == 404:
                report.append((who, v.url, f"HTTP {v.status} (linked from {v.linked_from})"))
            report += [(who, v.url, p) for p in v.problems]
    assert not report, "\n".join(map(str, report))


def test_the_checks_see_what_they_look_for() -> None:
    """Not vacuous: English words, raw ids and links are found; code and user content are not
    read."""
    text, links = read(
        "<p>Mức: cong_khai. Submit the form</p><code>cong_khai</code><pre>and</pre>"
        '<a href="/author/">x</a><input placeholder="Search">'
    )
    assert problems(text, {"cong_khai"}) == [
        "English: Search", "English: Submit", "English: the", "raw id: cong_khai"
    ]  # fmt: skip
    assert links == ["/author/"]
    assert problems("Mức: Công khai. Gửi đi", {"cong_khai"}) == []
