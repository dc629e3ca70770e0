"""Crash recovery: a real SIGKILL of the whole process at every named step from the review to the
completion of a publication and of a recall (``clearance.crashpoint``), then a restart, and
then: every approved item is published exactly once on every channel, nothing is live without
its ``publication.published`` entry, nothing recalled is still live, and the exported audit log
verifies offline, with no gap.

Each life is a process of its own, killed by a real SIGKILL; the lives are forked from a
server that imported the driver once (importing it takes seconds, twice per point otherwise).
One world per database: each point gets a fresh batch of items (one of them to be recalled) in
the same home, one life that dies at the point and one life that finishes, and the checks run
over everything the world holds so far. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from pathlib import Path

import pytest
from sqlalchemy import select

from clearance.auditlog.entry import parse_leaf
from clearance.auditlog.export import export_log
from clearance.auditlog.store import iter_leaves
from clearance.auditlog.verify import verify_export
from clearance.crashpoint import POINTS
from clearance.publishing import Publication, PublicationStatus
from clearance.runtime import Runtime
from clearance.settings import Settings
from clearance.storage.models import Item
from flows.people import open_home
from tests.channels import Receiver, serving
from tests.conftest import PG_URL, pg_schema_url
from tests.flows.conftest import PASSWORD, make_settings, outside_env, submit_text
from tests.flows.crash_driver import RECALL_TITLE, life

pytestmark = pytest.mark.slow

CHANNELS = ("press", "social", "website")
#: every named step, in the order an item meets them
ORDER = (
    "review.screened",
    "review.committed",
    "signoff.signed",
    "signoff.committed",
    "publish.claimed",
    "channel.staged",
    "channel.written",
    "publish.read_back",
    "publish.completed",
    "recall.claimed",
    "recall.removed",
)


def test_every_named_point_is_exercised() -> None:
    assert set(ORDER) == POINTS


@dataclass
class World:
    rt: Runtime
    settings: Settings
    env: dict[str, str]
    receiver: Receiver
    items: list[str]
    lives: ForkServerContext


@pytest.fixture(scope="module")
def lives() -> ForkServerContext:
    """Processes forked from a server that has imported the driver (and what it imports)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.flows.crash_driver"])
    return context


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest,
    world_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    lives: ForkServerContext,
) -> Iterator[World]:
    receiver = Receiver()
    with serving(receiver) as url:
        home = tmp_path_factory.mktemp("crash") / "home"
        extra = {"CLEARANCE_WEBHOOK_URL_SOCIAL": url}
        if request.param == "sqlite":
            shutil.copytree(world_template, home)
            schemas: Iterator[str] | None = None
            settings = make_settings(home, extra)
            rt = Runtime.open(settings)
        else:
            if not PG_URL:
                pytest.skip("CLEARANCE_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)")
            schemas = pg_schema_url(PG_URL)
            extra["CLEARANCE_DATABASE_URL"] = next(schemas)
            settings = make_settings(home, extra)
            rt = open_home(settings, PASSWORD, actor="test")
        env = {
            **outside_env(),
            **extra,
            "CLEARANCE_HOME": str(home),
            "CLEARANCE_DATABASE_URL": settings.database_url,
            "CLEARANCE_ENV": "test",
            "CLEARANCE_LOG_ORIGIN": settings.log_origin,
            "CLEARANCE_SOCIAL_WEBHOOK_KEY": receiver.key.decode(),
            # on PostgreSQL an earlier life's claim waits for its lease (as another worker's
            # would): a short one keeps the test short
            "CLEARANCE_PUBLISH_LEASE": "2",
        }
        try:
            yield World(rt, settings, env, receiver, [], lives)
        finally:
            rt.close()
            if schemas is not None:
                for _ in schemas:  # drops the schema
                    pass


def _life(world: World, point: str | None) -> int:
    """One life of the driver in a process (and session) of its own; its exit code (a
    negative signal number when killed)."""
    env = dict(world.env)
    if point is not None:
        env["CLEARANCE_CRASH_POINT"] = point
    proc = world.lives.Process(target=life, args=(env,))
    proc.start()
    try:
        proc.join(timeout=240)
    finally:
        if proc.exitcode is None:
            assert proc.pid is not None
            os.killpg(proc.pid, signal.SIGKILL)
            proc.join()
    assert proc.exitcode is not None
    return proc.exitcode


@pytest.mark.parametrize("point", ORDER)
def test_killed_at_a_named_point_then_restarted(world: World, point: str) -> None:
    rt = world.rt
    batch = [
        submit_text(rt, title=f"Tin {point} số 1", channels=CHANNELS),
        submit_text(rt, title=f"Tin {point} số 2", channels=("website",)),
        submit_text(rt, title=f"{RECALL_TITLE} {point}", channels=CHANNELS),
    ]
    world.items.extend(batch)
    assert _life(world, point) == -signal.SIGKILL, f"the driver never reached {point}"
    assert _life(world, None) == 0
    _check(world)


def _check(world: World) -> None:
    rt = world.rt
    with rt.readers() as session:
        states = dict(
            session.execute(select(Item.id, Item.state).where(Item.id.in_(world.items))).all()
        )
        rows = list(
            session.scalars(select(Publication).where(Publication.item_id.in_(world.items)))
        )
        entries = [parse_leaf(leaf) for leaf in iter_leaves(session)]
    titles = _titles(rt, world.items)
    for item in world.items:
        want = "withdrawn" if titles[item].startswith(RECALL_TITLE) else "published"
        assert states[item] == want, f"{titles[item]} is {states[item]}"
    assert all(r.status in (PublicationStatus.PUBLISHED, PublicationStatus.RECALLED) for r in rows)
    published: dict[tuple[str, str], int] = {}
    recalled: set[tuple[str, str]] = set()
    for e in entries:
        if e.item in states and e.type == "publication.published":
            key = (e.item, str(e.body["channel"]))
            published[key] = published.get(key, 0) + 1
        if e.item in states and e.type == "publication.recalled":
            recalled.add((e.item, str(e.body["channel"])))
    expected = {(r.item_id, r.channel) for r in rows}
    assert dict.fromkeys(expected, 1) == published, "each channel of each release logged once"
    assert {(r.item_id, r.channel) for r in rows if r.status == "recalled"} == recalled
    assert all(states[i] == "withdrawn" for i, _ in recalled)
    live = _live(world)
    for item, channel in live:
        assert (item, channel) in published, f"{item} is live on {channel} with no log entry"
        assert (item, channel) not in recalled, f"{item} was recalled but is live on {channel}"
    assert live >= {k for k in published if k not in recalled}
    _verify_log(world, len(entries))


def _titles(rt: Runtime, items: list[str]) -> dict[str, str]:
    from clearance.storage.models import Revision

    with rt.readers() as session:
        return {
            str(i): str(t)
            for i, t in session.execute(
                select(Revision.item_id, Revision.title).where(Revision.item_id.in_(items))
            )
        }


def _live(world: World) -> set[tuple[str, str]]:
    """(item, channel) for everything a reader can see now, read from the channels."""
    home = world.settings.home
    found = {
        (p.name, "website")
        for p in (world.settings.published_dir / "items").glob("*")
        if p.is_dir() and not p.name.startswith(".")
    }
    found |= {
        (p.name.rsplit("-", 1)[0], "press")
        for p in (home / "outbox" / "press").glob("*")
        if p.is_dir() and not p.name.startswith(".")
    }
    by_manifest = {r.manifest_hash: r.item_id for r in _rows(world.rt)}
    found |= {(by_manifest[k.split(":")[0]], "social") for k in world.receiver.live}
    index = (world.settings.published_dir / "index.html").read_text("utf-8")
    for item, channel in found:
        if channel == "website":
            assert f"items/{item}/index.html" in index
    return found


def _rows(rt: Runtime) -> list[Publication]:
    with rt.readers() as session:
        return list(session.scalars(select(Publication)))


def _verify_log(world: World, size: int) -> None:
    vkey = (world.settings.keys_dir / "log.vkey").read_text("utf-8").strip()
    export = world.settings.home / f"export-{size}"
    with world.rt.sessions() as session:
        count = export_log(session, export, vkey)
    report = verify_export(export, vkey)
    assert report.ok, report.first
    assert count == report.entries == size  # every sequence number, no gap
