"""Numeric request parameters, validated in one place: a query parameter outside its range or
not a whole number answers 400 with a message saying what to send; a numeric path segment too
large for the database answers 404 (no such object can exist)."""

from __future__ import annotations

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, Map

from clearance.storage.types import MAX_ID

#: list pages an author can page through (50 rows each)
MAX_PAGE = 100_000


def int_arg(name: str, *, default: int | None, minimum: int, maximum: int) -> int | None:
    """The whole number in query parameter ``name`` (``default`` when absent or empty)."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    digits = text[1:] if text[:1] in "+-" else text
    value: int | None = None
    if digits.isascii() and digits.isdigit() and len(digits) <= 20:
        value = int(text)
    if value is None or not minimum <= value <= maximum:
        abort(
            400,
            _(
                "The parameter %(name)s must be a whole number from %(low)s to %(high)s; "
                "use the links on the page instead of editing the address.",
                name=name,
                low=f"{minimum:,}".replace(",", "."),
                high=f"{maximum:,}".replace(",", "."),
            ),
        )
    return value


class BoundedInt(IntegerConverter):
    """``<int:...>`` that matches only values a database id column can hold."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = 0) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=MAX_ID)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt
