"""The planner's table statistics, kept current on a schedule and after bulk loads.

SQLite plans from ``sqlite_stat1``, which only ``ANALYZE`` writes: statistics gathered on one
snapshot (a migration, an empty database) mislead the planner once the tables have grown (the
approver queue took 1.2 s instead of 15 ms at 100,000 items with stale statistics). So:

- ``refresh(engine)`` analyses every table whose row count has drifted from the one its
  statistics recorded (by more than ``DRIFT``, or that has none): cheap when nothing changed
  (one count per table), run by the scheduled ``deadlines`` flow and after bulk loads
  (``clearance demo``, ``clearance db analyse``);
- ``refresh(engine, force=True)`` analyses every table (after a bulk load that kept the counts
  but changed the distribution).

SQLite 3.40's ``PRAGMA optimize`` would not do this from a fresh connection (it only looks at
tables the same connection queried), hence the explicit counts. On PostgreSQL autovacuum's
ANALYZE keeps the statistics (``autovacuum_analyze_scale_factor``, 10 % by default), so this
does nothing there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine

#: a table is re-analysed when its row count differs from the recorded one by more than this
#: fraction (PostgreSQL's autovacuum uses 10 %)
DRIFT = 0.10
#: tables smaller than this are re-analysed only when they have no statistics at all
SMALL = 100


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a refresh did: the tables analysed, and the dialect (``postgresql``: autovacuum's)."""

    dialect: str
    analysed: tuple[str, ...]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _recorded(connection: Connection) -> dict[str, int]:
    """Each table's row count as its statistics recorded it (the first number of a stat row)."""
    found = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).first()
    if found is None:
        return {}
    counts: dict[str, int] = {}
    for table, stat in connection.exec_driver_sql("SELECT tbl, stat FROM sqlite_stat1"):
        head = str(stat or "").split(" ", 1)[0]
        if head.isdigit():
            counts[str(table)] = max(counts.get(str(table), 0), int(head))
    return counts


def _tables(connection: Connection) -> list[str]:
    return [
        str(name)
        for (name,) in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]


def stale_tables(connection: Connection) -> list[str]:
    """The SQLite tables whose statistics no longer describe them."""
    recorded = _recorded(connection)
    stale = []
    for table in _tables(connection):
        # the name is one sqlite_master lists, quoted as an identifier
        count = f"SELECT count(*) FROM {_quote(table)}"  # noqa: S608
        rows = connection.exec_driver_sql(count).scalar_one()
        before = recorded.get(table)
        if before is None:
            if rows > 0:  # an empty table has nothing to describe (ANALYZE writes no row)
                stale.append(table)
        elif max(rows, before) >= SMALL and abs(rows - before) > DRIFT * max(before, 1):
            stale.append(table)
    return stale


def refresh(engine: Engine, *, force: bool = False) -> Refreshed:
    """Analyse the SQLite tables whose statistics are stale (all with ``force``); nothing on
    PostgreSQL, whose autovacuum does it."""
    if engine.dialect.name != "sqlite":
        return Refreshed(engine.dialect.name, ())
    with engine.begin() as connection:
        tables = _tables(connection) if force else stale_tables(connection)
        for table in tables:
            connection.exec_driver_sql(f"ANALYZE {_quote(table)}")
    return Refreshed("sqlite", tuple(tables))
