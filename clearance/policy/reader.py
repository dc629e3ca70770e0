"""Typed field access that records a :class:`Problem` (file, line, field, expected, found)
instead of raising, so one check reports every mistake in a policy file at once."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from clearance.errors import Problem
from clearance.yamlsource import Source, join

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
NAME_EXPECTED = "a name of lowercase letters, digits and _ (starting with a letter)"


def describe(value: Any) -> str:
    """How a found value reads in an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the text {shown!r}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return type(value).__name__


class Reader:
    """Reads fields of one source, appending problems to a shared list."""

    def __init__(self, source: Source, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems

    def problem(self, path: str, expected: str, found: str) -> None:
        self.problems.append(
            Problem(self.source.file, path or "(root)", expected, found, self.source.line_of(path))
        )

    def mapping(self, value: Any, path: str, *, allowed: Iterable[str] = ()) -> dict[str, Any]:
        """``value`` as a mapping (empty on error); keys outside ``allowed`` are reported."""
        if not isinstance(value, dict):
            self.problem(path, "a mapping", describe(value))
            return {}
        keys = tuple(allowed)
        if keys:
            for key in value:
                if key not in keys:
                    self.problem(join(path, key), "one of the keys " + ", ".join(keys), repr(key))
        return value

    def items(self, value: Any, path: str, *, non_empty: bool = True) -> list[Any]:
        if not isinstance(value, list):
            self.problem(path, "a list", describe(value))
            return []
        if non_empty and not value:
            self.problem(path, "at least one entry", "an empty list")
        return value

    def text(
        self, data: dict[str, Any], key: str, path: str, *, required: bool = True
    ) -> str | None:
        value = data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(join(path, key), "non-empty text", describe(value))
            return None
        return value

    def name(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not NAME_PATTERN.match(value):
            self.problem(path, NAME_EXPECTED, describe(value))
            return None
        return value

    def names(self, data: dict[str, Any], key: str, path: str) -> list[str]:
        field = join(path, key)
        found: list[str] = []
        for index, item in enumerate(self.items(data.get(key), field)):
            name = self.name(item, join(field, index))
            if name is None:
                continue
            if name in found:
                self.problem(join(field, index), "each entry once", f"{name!r} again")
                continue
            found.append(name)
        return found

    def boolean(
        self, data: dict[str, Any], key: str, path: str, *, default: bool | None = None
    ) -> bool | None:
        value = data.get(key)
        if value is None and default is not None:
            return default
        if not isinstance(value, bool):
            self.problem(join(path, key), "true or false", describe(value))
            return None
        return value

    def integer(
        self, data: dict[str, Any], key: str, path: str, *, minimum: int, maximum: int
    ) -> int | None:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(
                join(path, key), f"an integer from {minimum} to {maximum}", describe(value)
            )
            return None
        if not minimum <= value <= maximum:
            self.problem(
                join(path, key), f"an integer from {minimum} to {maximum}", describe(value)
            )
            return None
        return value

    def day(self, data: dict[str, Any], key: str, path: str) -> date | None:
        value = data.get(key)
        if isinstance(value, datetime):
            self.problem(join(path, key), "a date (YYYY-MM-DD) without a time", describe(value))
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(join(path, key), "a date (YYYY-MM-DD)", describe(value))
        return None
