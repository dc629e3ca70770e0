"""The ``clearance`` command, an adapter outside the core: arguments translated to service calls.

Errors map in one place: ClearanceError subclasses print one sentence to stderr and exit with
their code (2 bad input or configuration, 1 policy refusal or failed verification).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from clearance.errors import ClearanceError

# The command modules import their heavy dependencies (Prefect, Flask, the web app) inside the
# commands that need them, so importing them all here keeps the start-up light.
from cli import audit, core, monitor, pipeline, policy, previews, report, screen, web, witness


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

    Settings come from CLEARANCE_* environment variables (see docs/settings.md); by default
    everything lives under ./var with an SQLite database.
    """


# Every command module is imported explicitly (above): a module that fails to import stops the
# command line with its traceback instead of silently losing its commands.
for _module in (core, audit, policy, screen, pipeline, web, witness, report, monitor, previews):
    _module.register(main)
