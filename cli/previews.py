"""``clearance previews backfill``: draw the page images the approver's page is missing (items
reviewed before page images existed) now; the scheduled ``previews-backfill`` flow does the
same in the background. Never part of a web request."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    group.add_command(previews_group)


@click.group("previews")
def previews_group() -> None:
    """The approver's page images of the sanitised documents."""


@click.command("backfill")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True,
              help="Draw at most this many documents in this run.")  # fmt: skip
def backfill_cmd(limit: int) -> None:
    """Draw the missing page images of the sanitised derivatives into the blob store."""
    from clearance.services.previews import backfill_pages
    from cli.common import open_runtime

    result = backfill_pages(open_runtime(), limit=limit)
    click.echo(
        f"{result.drawn} document(s) drawn, {result.failed} could not be drawn"
        + ("; more remain (run it again)" if result.more else "; none missing")
    )


previews_group.add_command(backfill_cmd)
