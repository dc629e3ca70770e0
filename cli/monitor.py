"""``clearance monitor-channels``: read every live publication back from its channel now (the
pipeline also runs this on a schedule) and log any difference from the approved release."""

from __future__ import annotations

import sys

import click


def register(group: click.Group) -> None:
    group.add_command(monitor_cmd)


@click.command("monitor-channels")
def monitor_cmd() -> None:
    """Compare what is live on every channel with what was approved: exit 1 when something
    differs (logged as publication.drifted and notified), 0 when everything matches."""
    from clearance.publishing.monitor import LiveState, check_live
    from cli.common import open_runtime

    checks = check_live(open_runtime())
    for check in checks:
        click.echo(f"{check.item_id} {check.channel}: {check.state.value}: {check.message}")
    click.echo(f"{len(checks)} live publication(s) checked")
    sys.exit(1 if any(c.state is LiveState.DRIFTED for c in checks) else 0)
