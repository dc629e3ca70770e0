"""Website pages: escaped whatever the title says, Vietnamese dates and numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from clearance.publishing.pages import (
    render_feed,
    render_index,
    render_item,
    vn_datetime,
    vn_number,
)
from clearance.publishing.release import Release, ReleasePart


def _release(title: str, body: str) -> Release:
    data = body.encode("utf-8")
    return Release(
        item_id="abc123",
        revision=1,
        title=title,
        level="cong_khai",
        channels=("website",),
        manifest_json="{}",
        manifest_hash="0" * 64,
        policy_hash="1" * 64,
        parts=(ReleasePart("body.txt", "body", "text/plain; charset=utf-8", "2" * 64, data),),
        approvals=(),
    )


def test_vietnamese_dates_and_numbers() -> None:
    assert vn_datetime(datetime(2026, 11, 23, 17, 5, tzinfo=UTC)) == "24/11/2026 00:05"
    assert vn_number(1234567) == "1.234.567"


@given(st.text(min_size=1, max_size=80), st.text(max_size=200))
def test_page_escapes_title_and_body(title: str, body: str) -> None:
    page = render_item(
        _release(title + "<script>", body + "<img src=x>"),
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        site_title="Thông tin đối ngoại",
        has_receipt=True,
    )
    assert "<script>" not in page and "<img" not in page
    assert '<html lang="vi">' in page


def test_index_and_feed_list_items_newest_first() -> None:
    entries = [
        {"item": "b", "title": "Tin <b>", "manifest": "m2", "published_at": "2026-02-01T00:00:00+00:00"},
        {"item": "a", "title": "Tin a", "manifest": "m1", "published_at": "2026-01-01T00:00:00+00:00"},
    ]  # fmt: skip
    index = render_index(entries, "Cổng")
    assert index.index("items/b/") < index.index("items/a/") and "Tin &lt;b&gt;" in index
    feed = render_feed(entries, title="Cổng", base_url="https://x.gov.vn/")
    assert "<updated>2026-02-01T00:00:00+00:00</updated>" in feed
    assert "urn:clearance:b:m2" in feed and "Tin &lt;b&gt;" in feed
