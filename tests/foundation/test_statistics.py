"""The planner's statistics follow the tables: after a bulk load the refresh (run by the
scheduled deadlines flow, ``clearance db analyse`` and the demo) analyses what changed, so
``sqlite_stat1`` describes the tables as they are, not as one migration saw them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, insert, select

from clearance.runtime import Runtime
from clearance.settings import Settings
from clearance.storage import statistics
from clearance.storage.models import Item, User
from cli import main
from tests.webapp.conftest import init_home, make_people


def _stat_rows(connection: Connection, table: str) -> int | None:
    """The row count ``sqlite_stat1`` records for ``table`` (None: no statistics)."""
    found = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
    ).first()
    if found is None:
        return None
    stats = connection.exec_driver_sql(
        "SELECT stat FROM sqlite_stat1 WHERE tbl = ?", (table,)
    ).all()
    return max(int(stat.split(" ", 1)[0]) for (stat,) in stats) if stats else None


def _bulk_items(rt: Runtime, n: int, start: int = 0) -> None:
    """Rows loaded without the services, as an import or the benchmark's seed does."""
    now = datetime.now(UTC)
    with rt.engine.begin() as conn:
        author = conn.execute(select(User.id).limit(1)).scalar_one()
        conn.execute(insert(Item), [
            {"id": f"bulk{i:08d}", "author_id": author, "state": "approved",
             "current_revision": 1, "created_at": now, "updated_at": now}
            for i in range(start, start + n)])  # fmt: skip


@pytest.fixture
def world(settings: Settings) -> Runtime:
    rt = init_home(settings)
    make_people(rt)
    return rt


def test_a_bulk_load_is_analysed_and_sqlite_stat1_describes_it(world: Runtime) -> None:
    if world.engine.dialect.name != "sqlite":
        assert statistics.refresh(world.engine) == statistics.Refreshed("postgresql", ())
        return
    # the snapshot a migration (or an earlier refresh) took: items were empty then
    statistics.refresh(world.engine, force=True)
    with world.engine.connect() as conn:
        assert _stat_rows(conn, "items") is None
        assert _stat_rows(conn, "users") is not None
    _bulk_items(world, 3000)
    with world.engine.connect() as conn:
        assert "items" in statistics.stale_tables(conn)
    done = statistics.refresh(world.engine)
    assert "items" in done.analysed
    assert "users" not in done.analysed  # unchanged tables are not re-read
    with world.engine.connect() as conn:
        assert _stat_rows(conn, "items") == 3000
        assert statistics.stale_tables(conn) == []
    assert statistics.refresh(world.engine).analysed == ()  # nothing changed since
    # growth within the drift bound leaves the statistics alone; beyond it, they follow
    _bulk_items(world, 200, start=3000)
    assert statistics.refresh(world.engine).analysed == ()
    _bulk_items(world, 2000, start=3200)
    assert statistics.refresh(world.engine).analysed == ("items",)
    with world.engine.connect() as conn:
        assert _stat_rows(conn, "items") == 5200


def test_clearance_db_analyse_after_an_import(
    world: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEARANCE_HOME", str(settings.home))
    monkeypatch.setenv("CLEARANCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CLEARANCE_ENV", "test")
    monkeypatch.setenv("CLEARANCE_LOG_ORIGIN", settings.log_origin)
    _bulk_items(world, 1500)
    out = CliRunner().invoke(main, ["db", "analyse"])
    assert out.exit_code == 0, out.output
    if world.engine.dialect.name != "sqlite":
        assert "autovacuum" in out.output
        return
    assert "items" in out.output.split(":", 1)[1]
    with world.engine.connect() as conn:
        assert _stat_rows(conn, "items") == 1500
    again = CliRunner().invoke(main, ["db", "analyse"])
    assert again.exit_code == 0 and "analysed 0 table(s)" in again.output
