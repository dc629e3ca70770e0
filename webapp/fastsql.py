"""The hot pages' statements, compiled once per dialect and run on the DBAPI cursor.

A page's lookups are a few primary-key reads that the database answers in microseconds, while
SQLAlchemy's per-execution work (cache key, execution context, result metadata, row objects)
costs ten times that. ``Prepared`` keeps SQLAlchemy for what it is good at (writing the SQL for
each dialect, converting values with the column types) and skips the per-execution machinery:
the statement is compiled the first time it runs on a dialect; each run binds the parameters
with the statement's own bind processors, executes on the request connection's DBAPI
connection (inside the transaction SQLAlchemy began, if any) and converts each column with its
type's result processor. Statements that SQLAlchemy would rewrite per execution (expanding or
literal parameters) are refused at compile time.

``STATEMENT_HOOKS`` lets a profiler count the statements (SQLAlchemy's events do not see them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect

#: called with each statement's SQL before it runs (profiling; empty in production)
STATEMENT_HOOKS: list[Callable[[str], None]] = []

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positions: tuple[str, ...] | None  # parameter order for positional drivers (SQLite)
    defaults: dict[str, Any]  # values bound in the statement itself (literals)
    binds: dict[str, Callable[[Any], Any]]  # bind processors by parameter name
    results: tuple[Processor, ...]  # result processors by column


class Prepared:
    """A SELECT compiled once per dialect, run straight on the DBAPI connection."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("Prepared statements take plain parameters only (no expanding IN)")
        if getattr(compiled, "escaped_bind_names", None):
            raise ValueError("Prepared statements need parameter names the driver accepts as-is")
        defaults = {
            name: bind.value
            for bind, name in compiled.bind_names.items()
            if bind.value is not None or not bind.required
        }
        binds: dict[str, Callable[[Any], Any]] = {}
        for bind, name in compiled.bind_names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binds[name] = processor
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.selected_columns
        )
        positions = tuple(compiled.positiontup or ()) if compiled.positional else None
        assert positions is None or dialect.paramstyle == "qmark"
        return _Compiled(str(compiled), positions, defaults, binds, results)

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        values = {**compiled.defaults, **params}
        for name, processor in compiled.binds.items():
            values[name] = processor(values[name])
        bound: Sequence[Any] | Mapping[str, Any] = (
            [values[name] for name in compiled.positions]
            if compiled.positions is not None
            else values
        )
        for hook in STATEMENT_HOOKS:
            hook(compiled.sql)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, bound)
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        processors = compiled.results
        if not any(processors):
            return [tuple(row) for row in fetched]
        return [
            tuple(
                value if p is None else p(value) for p, value in zip(processors, row, strict=True)
            )
            for row in fetched
        ]

    def first(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        found = self.rows(connection, params)
        return found[0] if found else None


_PREPARED: dict[int, Prepared] = {}


def prepared(statement: Select[Any]) -> Prepared:
    """The ``Prepared`` of a statement built once elsewhere (kept alive by its module)."""
    found = _PREPARED.get(id(statement))
    if found is None or found.statement is not statement:
        found = _PREPARED[id(statement)] = Prepared(statement)
    return found
