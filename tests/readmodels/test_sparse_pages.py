"""An approver whose scope is a sparse part of a large installation gets full pages: the
all-items view selects the visible items in the SQL (the access rule asked for every state,
level and drafting unit) and walks on until the page is full or the items end, so the pages
together are exactly the visible set and only the last one is short."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from clearance.readmodels.approver_views import PAGE, AllFilter, ItemCursor, all_items
from clearance.runtime import Runtime
from clearance.services.access import Reader
from clearance.services.users import get_user
from clearance.settings import Settings
from clearance.storage import statistics
from clearance.storage.models import Item, Revision, SearchEntry, User
from tests.webapp.conftest import init_home
from tests.webapp.helpers import add_units

pytestmark = pytest.mark.slow  # seeds 126,000 items

#: one item in this many is in the approver's scope
SPARSE = 2000
VISIBLE = PAGE + 13  # two pages: one full, one short


@pytest.fixture
def sparse_world(settings: Settings) -> Iterator[tuple[Runtime, set[str], set[str]]]:
    """``SPARSE * VISIBLE`` approved items; those drafted in unit so-a (one in ``SPARSE``) are
    in ld.so.a's scope, the others (so-b's) are not. Titles: the visible ones and as many
    invisible ones carry the rare word "hiem"."""
    rt = add_units(init_home(settings))
    now = datetime.now(UTC)
    visible: set[str] = set()
    rare: set[str] = set()
    with rt.engine.begin() as conn:
        ids = dict(conn.execute(select(User.username, User.id)).tuples().all())
        a, b = ids["tg.so.a"], ids["tg.so.b"]
        total = SPARSE * VISIBLE
        for start in range(0, total, 10_000):
            rows = range(start, min(total, start + 10_000))
            items, revisions, entries = [], [], []
            for i in rows:
                mine = i % SPARSE == SPARSE // 2
                item_id = f"s{i:09d}"
                title = f"Tin {'hiem' if mine or i % SPARSE == 7 else 'thuong'} {i}"
                if mine:
                    visible.add(item_id)
                if "hiem" in title:
                    rare.add(item_id)
                items.append({"id": item_id, "author_id": a if mine else b, "state": "approved",
                              "current_revision": 1, "created_at": now,
                              "updated_at": now - timedelta(seconds=i)})  # fmt: skip
                revisions.append({"id": 10_000_000 + i, "item_id": item_id, "number": 1,
                    "title": title, "channels": ["website"], "declared_level": "cong_khai",
                    "level": "cong_khai", "created_by": a if mine else b, "created_at": now,
                    "manifest_json": "{}", "manifest_hash": f"{i:064x}",
                    "release_manifest_hash": f"{i:064x}", "screening_verdict": "clear",
                    "screening": {"verdict": "clear", "parts": []}})  # fmt: skip
                entries.append({"revision_id": 10_000_000 + i, "item_id": item_id,
                                "folded": title.lower()})  # fmt: skip
            conn.execute(insert(Item), items)
            conn.execute(insert(Revision), revisions)
            conn.execute(insert(SearchEntry), entries)
    statistics.refresh(rt.engine)
    yield rt, visible, rare
    rt.close()


def _reader(rt: Runtime, name: str) -> Reader:
    with rt.sessions() as session:
        user = get_user(session, name)
        return Reader(user.id, frozenset((user.roles or "").split()),
                      frozenset((user.signoff_roles or "").split()), user.unit)  # fmt: skip


def _pages(
    rt: Runtime, reader: Reader, q: str | None = None, limit: int | None = None
) -> list[list[str]]:
    pages: list[list[str]] = []
    after: ItemCursor | None = None
    with rt.engine.connect() as connection:
        for _ in range(limit or 10):
            rows, after = all_items(
                connection, policy=rt.policy, reader=reader, f=AllFilter(q=q, after=after)
            )
            pages.append([row.item_id for row in rows])
            if after is None or len(pages) == limit:
                return pages
    raise AssertionError("the pages never ended")


def test_a_sparse_scope_gets_full_pages_and_exactly_its_items(
    sparse_world: tuple[Runtime, set[str], set[str]],
) -> None:
    rt, visible, _rare = sparse_world
    pages = _pages(rt, _reader(rt, "ld.so.a"))
    assert [len(p) for p in pages] == [PAGE, VISIBLE - PAGE]
    seen = [item for page in pages for item in page]
    assert len(seen) == len(set(seen)) and set(seen) == visible
    assert seen == sorted(seen)  # newest first: the lower numbers changed last
    # the other unit's head sees the rest (dense), page after full page, none of so-a's
    other = _pages(rt, _reader(rt, "ld.so.b"), limit=3)
    assert [len(p) for p in other] == [PAGE] * 3
    assert not {item for page in other for item in page} & visible


def test_a_rare_search_term_in_a_sparse_scope(
    sparse_world: tuple[Runtime, set[str], set[str]],
) -> None:
    """The term matches twice as many items as the scope holds (the title index's few hits):
    the pages are read from the hits, full, and exactly the visible matches."""
    rt, visible, rare = sparse_world
    assert len(rare) == 2 * VISIBLE
    pages = _pages(rt, _reader(rt, "ld.so.a"), q="hiem")
    assert [len(p) for p in pages] == [PAGE, VISIBLE - PAGE]
    assert {item for page in pages for item in page} == visible & rare == visible
    assert _pages(rt, _reader(rt, "ld.so.a"), q="khong co") == [[]]
