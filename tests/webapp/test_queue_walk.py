"""The approver queue walks the open requests in index order, batch by batch: every page, filter
and cursor must give exactly what a plain reading of the rules gives (on SQLite and PostgreSQL).

The world is written as rows (as ``bench/web_queue.py`` does), small enough to check every page
of every view against a reference computed in Python; tiny pages and batches make the walk take
many steps.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from clearance.readmodels import queue as queue_module
from clearance.readmodels.queue import Cursor, QueueFilter, open_requests
from clearance.services.access import Reader
from clearance.storage import search
from clearance.storage.db import make_engine, make_session_factory
from clearance.storage.migrate import upgrade
from clearance.storage.models import Decision, Item, Revision, SignoffRequest, User

ME, OTHER, AUTHOR = 1, 2, 3
MY_ROLES = frozenset({"unit_head", "security_officer"})
READER = Reader(ME, frozenset({"approver"}), MY_ROLES, None)
TITLES = ["Lễ hội mùa xuân", "Báo cáo tài chính", "Đầu tư công", "Du lịch biển", "100% đúng_hạn"]
NOW = datetime.now(UTC)


@dataclass(frozen=True)
class Req:
    request_id: int
    item_id: str
    title: str
    level: str
    channels: tuple[str, ...]
    roles: tuple[str, ...]
    due_at: datetime | None
    author: int
    state: str
    current: bool
    open: bool
    decided_by_me: bool


def _world(engine: Engine, seed: int, n: int = 160) -> list[Req]:
    rnd = random.Random(seed)
    reqs: list[Req] = []
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {"id": uid, "username": name, "display_name": name, "password_hash": "x"}
                for uid, name in ((ME, "me"), (OTHER, "other"), (AUTHOR, "author"))
            ],
        )
        dues = [NOW + timedelta(hours=h) for h in (-30, -2, 5, 40)]  # shared deadlines tie
        for i in range(n):
            item_id = f"i{i:05d}"
            current = rnd.random() > 0.1
            req = Req(
                request_id=10_000 + rnd.randrange(10**6) * 1000 + i,  # ids not in deadline order
                item_id=item_id,
                title=f"{rnd.choice(TITLES)} {i}",
                level=rnd.choice(["cong_khai", "noi_bo"]),
                channels=tuple(rnd.sample(["website", "press", "social"], rnd.randint(1, 2))),
                roles=tuple(rnd.sample(["unit_head", "spokesperson", "security_officer"], 1)),
                due_at=rnd.choice(
                    [*dues, None, NOW + timedelta(minutes=rnd.randrange(-5000, 5000))]
                ),
                author=ME if rnd.random() < 0.08 else AUTHOR,
                state="awaiting_signoff" if rnd.random() > 0.1 else "approved",
                current=current,
                open=rnd.random() > 0.1,
                decided_by_me=rnd.random() < 0.1,
            )
            reqs.append(req)
            conn.execute(
                insert(Item),
                [{"id": item_id, "author_id": req.author, "state": req.state,
                  "current_revision": 2 if current else 1, "created_at": NOW, "updated_at": NOW}],
            )  # fmt: skip
            revisions = [(i * 2 + 1, 2), (i * 2 + 2, 1)] if current else [(i * 2 + 1, 2)]
            for rev_id, number in revisions:
                conn.execute(
                    insert(Revision),
                    [{"id": rev_id, "item_id": item_id, "number": number, "title": req.title,
                      "channels": list(req.channels), "declared_level": req.level,
                      "level": req.level, "created_by": req.author, "created_at": NOW,
                      "manifest_json": "{}", "manifest_hash": f"{rev_id:064x}",
                      "release_manifest_hash": f"{rev_id:064x}"}],
                )  # fmt: skip
            conn.execute(
                insert(SignoffRequest),
                [{"id": req.request_id, "revision_id": i * 2 + 1, "stage": 1, "stage_name": "s1",
                  "roles": list(req.roles), "quorum": 1, "due_at": req.due_at,
                  "status": "open" if req.open else "complete", "created_at": NOW}],
            )  # fmt: skip
            if req.decided_by_me:
                conn.execute(
                    insert(Decision),
                    [{"revision_id": i * 2 + 1, "approver_id": ME, "stage": 1, "role": "unit_head",
                      "decision": "approve", "manifest_hash": "0", "created_at": NOW}],
                )  # fmt: skip
    with make_session_factory(engine)() as session:
        search.refresh(session)
        session.commit()
    return reqs


def _expected(reqs: list[Req], f: QueueFilter) -> list[str]:
    folded = search.fold(f.q or "")
    chosen = [
        r
        for r in reqs
        if r.open
        and r.current
        and r.state == "awaiting_signoff"
        and r.author != ME
        and not r.decided_by_me
        and MY_ROLES & set(r.roles)
        and (not f.level or r.level == f.level)
        and (not f.channel or f.channel in r.channels)
        and (not folded or folded in search.fold(r.title))
        and (f.view != "overdue" or (r.due_at is not None and r.due_at < datetime.now(UTC)))
    ]
    dated = sorted((r for r in chosen if r.due_at), key=lambda r: (r.due_at, r.request_id))
    undated = sorted((r for r in chosen if not r.due_at), key=lambda r: r.request_id)
    return [r.item_id for r in dated + undated]


Sessions = sessionmaker[Session]
World = tuple[list[Req], Sessions]


def _all_pages(sessions: Sessions, f: QueueFilter) -> list[str]:
    seen: list[str] = []
    after: Cursor | None = None
    for _ in range(500):
        with sessions() as session:
            rows, next_page = open_requests(
                session.connection(),
                reader=READER,
                f=QueueFilter(f.view, f.level, f.channel, f.q, after),
                keep=None,
            )
        assert len(rows) <= queue_module.PAGE
        seen += [r.item_id for r in rows]
        if next_page is None:
            return seen
        assert rows, "a page with a next page is never empty"
        after = Cursor.parse(next_page.token())  # the cursor survives the URL
    raise AssertionError("the queue never ended")


@pytest.fixture
def world(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    engine = make_engine(database_url)
    upgrade(engine)
    reqs = _world(engine, seed=7)
    # pages of 4 and batches from 3: a page takes several batches, the walk many pages
    monkeypatch.setattr(queue_module, "PAGE", 4)
    monkeypatch.setattr(queue_module, "FIRST_BATCH", 3)
    monkeypatch.setattr(queue_module, "FIRST_FILTERED_BATCH", 3)
    monkeypatch.setattr(queue_module, "MAX_BATCH", 20)
    yield reqs, make_session_factory(engine, read_only=True)
    engine.dispose()


FILTERS = [
    QueueFilter(),
    QueueFilter(view="overdue"),
    QueueFilter(level="noi_bo"),
    QueueFilter(channel="press"),
    QueueFilter(q="le hoi"),  # no diacritics typed
    QueueFilter(q="ĐẦU TƯ"),
    QueueFilter(q="100%"),  # wildcards are literal
    QueueFilter(q="đúng_h"),
    QueueFilter(q="nothing matches this"),
    QueueFilter(q="bien 1"),  # a rarer term: a few tens of titles
    QueueFilter(q="tai chinh 15"),  # a handful
    QueueFilter(view="overdue", level="cong_khai", channel="website", q="du lich"),
    QueueFilter(level="noi_bo", channel="social", q="dau tu 1"),
]
#: a search reads at most this many matching revisions first: with 4 every term but the rarest
#: is common (the walk joins the titles), with 10,000 every term is rare (read by revision)
SEARCH_CAPS = [4, 10_000]


@pytest.mark.parametrize("cap", SEARCH_CAPS, ids=lambda cap: f"cap{cap}")
@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f"{f.view}-{f.level}-{f.channel}-{f.q}")
def test_every_page_matches_the_rules(
    world: World, f: QueueFilter, cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if cap != SEARCH_CAPS[0] and not f.q:
        pytest.skip("the cap matters only to a search")
    monkeypatch.setattr(queue_module, "SEARCH_CAP", cap)
    reqs, sessions = world
    expected = _expected(reqs, f)
    assert _all_pages(sessions, f) == expected
    if f == QueueFilter():
        assert len(expected) > 30  # the world is big enough to need many pages


@pytest.mark.parametrize(
    ("q", "cap", "rare"),
    [("le hoi", 4, False), ("le hoi", 10_000, True), ("tai chinh 15", 100, True), ("zzz", 1, True)],
)
def test_a_search_reads_the_matches_first_when_they_are_few(
    world: World, q: str, cap: int, rare: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    reqs, sessions = world
    monkeypatch.setattr(queue_module, "SEARCH_CAP", cap)
    with sessions() as session:
        hits = queue_module._search_hits(session.connection(), search.like_pattern(q))
    assert (hits is not None) == rare
    if hits is not None:  # every revision (current or not) whose title matches
        folded = search.fold(q)
        matching = {r.item_id for r in reqs if folded in search.fold(r.title)}
        with sessions() as session:
            items = session.scalars(select(Revision.item_id).where(Revision.id.in_(hits))).all()
        assert set(items) == matching
        assert len(hits) < cap


def test_no_roles_no_queue(world: World) -> None:
    _reqs, sessions = world
    with sessions() as session:
        nobody = Reader(OTHER, frozenset({"approver"}), frozenset(), None)
        assert open_requests(session.connection(), reader=nobody, f=QueueFilter(), keep=None) == (
            [],
            None,
        )


@pytest.mark.parametrize("token", ["", "garbage", "2026-01-01T00:00:00~x", "2026-01-01~5", "-~"])
def test_malformed_cursors_start_at_the_first_page(token: str) -> None:
    assert Cursor.parse(token) is None
