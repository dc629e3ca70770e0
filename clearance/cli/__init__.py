"""The ``clearance`` command: a thin translation from arguments to service calls.

Errors map in one place: ClearanceError subclasses print one sentence to stderr and exit with
their code (2 bad input or configuration, 1 policy refusal or failed verification).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from clearance.errors import ClearanceError

#: modules under clearance.cli that contribute commands through ``register(group)``
COMMAND_MODULES = (
    "core",
    "audit",
    "policy",
    "screen",
    "pipeline",
    "web",
    "witness",
    "report",
    "monitor",
)


class ClearanceGroup(click.Group):
    """A click group that turns our errors into one readable line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ClearanceError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=ClearanceGroup)
@click.version_option(package_name="clearance")
def main() -> None:
    """Clearance: every outbound item passes a security review before it is published.

    Settings come from CLEARANCE_* environment variables (see README); by default everything
    lives under ./var with an SQLite database.
    """


def _register_all() -> None:
    for name in COMMAND_MODULES:
        module_name = f"clearance.cli.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        module.register(main)


_register_all()
