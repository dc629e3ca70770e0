"""The approver's "decided by me" and "all items" views and the author's title search: what each
lists (the core's access rule decides for every row), their filters and their pages."""

from __future__ import annotations

import pytest
from flask import Flask

from clearance.readmodels import approver_views
from clearance.runtime import Runtime
from tests.webapp.helpers import add_units, browser, submit_reviewed
from tests.webapp.test_story import decide, submit


def _links(html: str, prefix: str = "/approvals/items/") -> list[str]:
    return [part.split('"', 1)[0] for part in html.split(f'href="{prefix}')[1:]]


def _next(html: str) -> str | None:
    """The pager's next link, or None on the last page."""
    pager = html.split('class="pager"')[1].split("</nav>", maxsplit=1)[0]
    if "→" not in pager:
        return None
    return pager.split("→")[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def test_decided_by_me_lists_my_decisions_newest_first(app: Flask) -> None:
    first = submit(app, title="Lễ hội mùa xuân")
    second = submit(app, title="Báo cáo tài chính quý")
    untouched = submit(app, title="Kế hoạch du lịch")
    decide(app, "lanh.dao", first, "request_changes", "Bổ sung thời gian.")
    decide(app, "lanh.dao", second, "approve")
    html = browser(app, "lanh.dao").get("/approvals/decided").get_data(as_text=True)
    assert _links(html) == [second, first]
    assert untouched not in html
    assert "Yêu cầu chỉnh sửa" in html and "Bổ sung thời gian." in html
    assert "Lãnh đạo đơn vị" in html  # the sign-off role by its label
    # someone else's decisions are not mine
    other = browser(app, "thu.truong").get("/approvals/decided").get_data(as_text=True)
    assert _links(other) == []


def test_decided_by_me_filters_by_decision_and_title(app: Flask) -> None:
    first = submit(app, title="Lễ hội mùa xuân")
    second = submit(app, title="Báo cáo tài chính quý")
    decide(app, "lanh.dao", first, "request_changes", "Bổ sung thời gian.")
    decide(app, "lanh.dao", second, "approve")
    b = browser(app, "lanh.dao")
    only = b.get("/approvals/decided?decision=request_changes").get_data(as_text=True)
    assert _links(only) == [first]
    found = b.get("/approvals/decided?q=bao+cao").get_data(as_text=True)
    assert _links(found) == [second]
    assert b.get("/approvals/decided?after=x1").status_code == 400


def test_decided_by_me_pages_follow_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    items = [submit(app, title=f"Tin số {i}") for i in range(3)]
    for item_id in items:
        decide(app, "lanh.dao", item_id, "approve")
    monkeypatch.setattr(approver_views, "PAGE", 2)
    b = browser(app, "lanh.dao")
    html = b.get("/approvals/decided").get_data(as_text=True)
    assert _links(html) == [items[2], items[1]]
    next_url = _next(html)
    assert next_url is not None and "after=" in next_url
    rest = b.get(next_url).get_data(as_text=True)
    assert _links(rest) == [items[0]]
    assert _next(rest) is None


def test_all_items_shows_my_scope_by_the_access_rule(app: Flask, rt: Runtime) -> None:
    add_units(rt)
    mine = submit_reviewed(rt, "tg.so.a", "Tin của sở A")
    theirs = submit_reviewed(rt, "tg.so.b", "Tin của sở B")
    html = browser(app, "ld.so.a").get("/approvals/all").get_data(as_text=True)
    assert mine in _links(html)
    assert theirs not in html  # another unit's item is not in this unit head's scope
    other = browser(app, "ld.so.b").get("/approvals/all").get_data(as_text=True)
    assert theirs in _links(other) and mine not in other
    # what the list links to, the item page opens
    assert browser(app, "ld.so.a").get(f"/approvals/items/{mine}").status_code == 200


def test_all_items_keeps_items_i_decided_whatever_their_state(app: Flask) -> None:
    asked = submit(app, title="Lễ hội mùa xuân")
    decide(app, "lanh.dao", asked, "request_changes", "Bổ sung thời gian.")
    html = browser(app, "lanh.dao").get("/approvals/all").get_data(as_text=True)
    assert asked in _links(html)  # changes requested: no longer routed, but I decided on it
    filtered = browser(app, "lanh.dao").get("/approvals/all?state=changes_requested")
    assert _links(filtered.get_data(as_text=True)) == [asked]
    # another unit head who neither decided nor is asked now does not see it
    assert asked not in browser(app, "thu.truong").get("/approvals/all").get_data(as_text=True)


def test_all_items_filters_by_state_level_channel_and_title(app: Flask) -> None:
    spring = submit(app, title="Lễ hội mùa xuân")
    report = submit(app, title="Báo cáo tài chính quý")
    decide(app, "lanh.dao", report, "reject", "Không phù hợp.")
    b = browser(app, "lanh.dao")
    assert _links(b.get("/approvals/all?state=rejected").get_data(as_text=True)) == [report]
    waiting = b.get("/approvals/all?state=awaiting_signoff").get_data(as_text=True)
    assert spring in _links(waiting) and report not in waiting
    assert _links(b.get("/approvals/all?q=le+hoi").get_data(as_text=True)) == [spring]
    assert set(_links(b.get("/approvals/all?level=cong_khai").get_data(as_text=True))) == {
        spring,
        report,
    }
    assert _links(b.get("/approvals/all?level=mat").get_data(as_text=True)) == []
    assert set(_links(b.get("/approvals/all?channel=website").get_data(as_text=True))) == {
        spring,
        report,
    }
    assert _links(b.get("/approvals/all?channel=press").get_data(as_text=True)) == []
    assert b.get("/approvals/all?after=garbage").status_code == 400


def test_all_items_pages_walk_past_items_out_of_scope(
    app: Flask, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small pages and batches: the walk goes on from the last item read, past the items out of
    the approver's scope, every page full until the last."""
    add_units(rt)
    a_items = []
    for i in range(3):
        a_items.append(submit_reviewed(rt, "tg.so.a", f"Tin A {i}"))
        submit_reviewed(rt, "tg.so.b", f"Tin B {i}")  # out of ld.so.a's scope
    monkeypatch.setattr(approver_views, "PAGE", 1)
    monkeypatch.setattr(approver_views, "FIRST_BATCH", 1)
    monkeypatch.setattr(approver_views, "BATCH", 1)
    b = browser(app, "ld.so.a")
    seen: list[str] = []
    url: str | None = "/approvals/all"
    for _ in range(10):
        assert url is not None
        html = b.get(url).get_data(as_text=True)
        assert len(_links(html)) == 1, "a page came back short"
        seen.extend(_links(html))
        url = _next(html)
        if url is None:
            break
    assert url is None, "the pages never ended"
    assert seen == list(reversed(a_items))


def test_the_author_searches_their_titles_without_diacritics(app: Flask) -> None:
    spring = submit(app, title="Lễ hội mùa xuân")
    report = submit(app, title="Báo cáo tài chính quý")
    b = browser(app, "tac.gia")
    html = b.get("/author/?q=bao+cao").get_data(as_text=True)
    assert _links(html, "/author/items/") == [report]
    assert spring not in html
    assert 'value="bao cao"' in html
    every = b.get("/author/").get_data(as_text=True)
    assert set(_links(every, "/author/items/")) >= {spring, report}
    # another author's matching titles never show
    other = browser(app, "tac.gia.b").get("/author/?q=bao+cao").get_data(as_text=True)
    assert _links(other, "/author/items/") == []
    none = b.get("/author/?q=khong+co+dau").get_data(as_text=True)
    assert "khong co dau" in none and _links(none, "/author/items/") == []


def test_the_views_are_in_the_approver_navigation(app: Flask) -> None:
    html = browser(app, "lanh.dao").get("/approvals/").get_data(as_text=True)
    assert 'href="/approvals/decided"' in html and 'href="/approvals/all"' in html
    assert "Tôi đã quyết định" in html and "Tất cả tin bài" in html
