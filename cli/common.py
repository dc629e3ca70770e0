"""Helpers shared by CLI modules: opening the runtime, reading passwords, printing tables."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import click

from clearance.runtime import Runtime
from clearance.settings import load_settings


def open_runtime() -> Runtime:
    return Runtime.open(load_settings())


def read_password_fd(fd: int) -> str:
    """Read a password from an open file descriptor (for scripts): first line, no newline."""
    with os.fdopen(fd, "r", encoding="utf-8", closefd=False) as handle:
        return handle.readline().rstrip("\r\n")


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> None:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    click.echo(line.rstrip())
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def serve_until_stopped(serve: Callable[[], None], *cleanups: Callable[[], None]) -> None:
    """Run a server's ``serve_forever`` until Ctrl+C, then run ``cleanups`` in order."""
    try:
        serve()
    except KeyboardInterrupt:
        pass
    finally:
        for cleanup in cleanups:
            cleanup()
