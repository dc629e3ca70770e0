"""Pipeline commands: ``decide``, ``review``, ``publish``, ``publish-status``, ``recall``,
``deadlines``, ``pipeline run`` and ``demo``.

``decide`` records a signed decision exactly as the web UI does (``clearance.services.signoff``)
and, after the last required sign-off, starts publication (Prefect when ``PREFECT_API_URL`` is
set, inline otherwise). Prefect is imported only by the commands that need it.
"""

from __future__ import annotations

import json
import sys
import time

import click

from clearance.errors import ClearanceError
from cli.common import open_runtime, read_password_fd, table

DECISIONS = ("approve", "approve-with-recommendations", "request-changes", "reject")
DEMO_PASSWORD = "demo-mat-khau-2026"  # noqa: S105 - printed by the demo, for demo users only


def register(group: click.Group) -> None:
    group.add_command(decide_cmd)
    group.add_command(review_cmd)
    group.add_command(publish_cmd)
    group.add_command(publish_status_cmd)
    group.add_command(recall_cmd)
    group.add_command(deadlines_cmd)
    group.add_command(pipeline_group)
    group.add_command(demo_cmd)


def _password(fd: int | None) -> str:
    if fd is not None:
        return read_password_fd(fd)
    value: str = click.prompt("Mật khẩu / password", hide_input=True)
    return value


def _start_publication(item_id: str) -> None:
    from flows.trigger import after_signoff

    rt = open_runtime()
    try:
        started = after_signoff(rt, item_id)
    except ClearanceError:
        raise
    except Exception as exc:  # the decision is recorded; say how to publish by hand
        click.echo(
            f"warning: the decision is recorded but publication did not start ({exc}); "
            f"run `clearance publish {item_id}`",
            err=True,
        )
        return
    if started.mode.value == "inline":
        click.echo("publication: done (inline)")
    else:
        click.echo("publication: approved; the publication dispatcher publishes it")


@click.command("decide")
@click.argument("item_id")
@click.option("--as", "approver", required=True, help="Username of the approver.")
@click.option("--decision", type=click.Choice(DECISIONS), required=True)
@click.option("--comment", help="Recommendations, or the reason (required to reject or send back).")
@click.option(
    "--password-fd",
    type=int,
    default=None,
    help="Read the approver's password from this file descriptor (for scripts).",
)
def decide_cmd(
    item_id: str, approver: str, decision: str, comment: str | None, password_fd: int | None
) -> None:
    """Record a signed sign-off decision on ITEM_ID (prompts for the approver's password)."""
    from clearance.services.signoff import decide

    password = _password(password_fd)
    outcome = decide(
        open_runtime(),
        item_id=item_id,
        approver=approver,
        password=password,
        decision=decision,
        comment=comment,
    )
    click.echo(f"item:      {outcome.item_id} (revision {outcome.revision})")
    click.echo(f"decision:  {outcome.decision.value} at stage {outcome.stage} as {outcome.role}")
    click.echo(f"state:     {outcome.state.value} ({outcome.status.value})")
    for missing in outcome.missing:
        click.echo(f"waiting:   {missing}")
    if outcome.publish:
        _start_publication(item_id)


@click.command("review")
@click.argument("item_id")
def review_cmd(item_id: str) -> None:
    """Screen and classify ITEM_ID now, inline (idempotent; handy for scripts)."""
    from clearance.services.review import review_revision

    out = review_revision(open_runtime(), item_id)
    click.echo(f"item:      {out.item_id} (revision {out.revision})")
    click.echo(f"state:     {out.state.value}")
    click.echo(f"screening: {out.verdict}; level {out.level}")
    for reason in out.reasons:
        click.echo(f"blocked:   {reason}")
    if out.stages:
        click.echo(f"sign-off:  {' -> '.join(out.stages)}")
    if out.notified:
        click.echo(f"notified:  {', '.join(out.notified)}")


@click.command("publish")
@click.argument("item_id")
@click.option("--channel", help="Only this channel (default: every channel the item names).")
def publish_cmd(item_id: str, channel: str | None) -> None:
    """Publish approved ITEM_ID now, inline (exactly once per release and channel)."""
    from clearance.publishing import publish, publish_all

    rt = open_runtime()
    outcomes = [publish(rt, item_id, channel)] if channel else publish_all(rt, item_id)
    for o in outcomes:
        note = "already published" if o.already else f"published to {o.location}"
        click.echo(f"{o.channel}: {note} (read back matches: {o.matches})")


@click.command("publish-status")
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def publish_status_cmd(item_id: str, as_json: bool) -> None:
    """Show ITEM_ID's state and its publications per channel."""
    from clearance.publishing import publication_status

    state, views = publication_status(open_runtime(), item_id)
    if as_json:
        data = {
            "item": item_id,
            "state": state,
            "publications": [
                {
                    "channel": v.channel,
                    "adapter": v.adapter,
                    "revision": v.revision,
                    "manifest_hash": v.manifest_hash,
                    "status": v.status.value,
                    "location": v.location,
                    "matches": v.matches,
                    "attempts": v.attempts,
                    "published_at": v.published_at.isoformat() if v.published_at else None,
                    "recalled_at": v.recalled_at.isoformat() if v.recalled_at else None,
                }
                for v in views
            ],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"item {item_id}: {state}")
    if not views:
        click.echo("no publication yet")
        return
    rows = [
        [
            v.channel,
            v.status.value,
            str(v.revision),
            v.manifest_hash[:12],
            {True: "yes", False: "NO", None: "n/a"}[v.matches],
            v.location or "",
        ]
        for v in views
    ]
    table(rows, ["channel", "status", "rev", "manifest", "matches", "location"])


@click.command("recall")
@click.argument("item_id")
@click.option("--as", "actor", required=True, help="Username of the approver or admin.")
@click.option("--reason", required=True, help="Why the item is taken down.")
def recall_cmd(item_id: str, actor: str, reason: str) -> None:
    """Take a published ITEM_ID down from every channel and log it."""
    from clearance.publishing import recall

    for o in recall(open_runtime(), item_id, actor=actor, reason=reason):
        click.echo(f"{o.channel}: recalled ({o.location})")


@click.command("deadlines")
def deadlines_cmd() -> None:
    """Send due sign-off reminders and escalations now (the scheduled flow does this too)."""
    from clearance.services.deadlines import check_deadlines

    actions = check_deadlines(open_runtime())
    for a in actions:
        click.echo(f"{a.item_id} {a.stage}: {a.kind.value} (due {a.due_at:%d/%m/%Y %H:%M} UTC)")
    click.echo(f"{len(actions)} reminder(s) or escalation(s)")


@click.group("pipeline")
def pipeline_group() -> None:
    """Run the Prefect pipeline."""


@pipeline_group.command("run")
def pipeline_run() -> None:
    """Start the local Prefect server (unless PREFECT_API_URL is set) and the workers; Ctrl-C
    stops them."""
    from flows.server import pipeline_running

    settings = open_runtime().settings
    with pipeline_running(settings) as pipeline:
        kind = "embedded" if pipeline.embedded else "external"
        click.echo(f"Prefect API ({kind}): {pipeline.api_url}; logs in {pipeline.log_dir}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            click.echo("stopping")


@click.command("demo")
@click.option("--inline", is_flag=True, help="Run the services inline instead of through Prefect.")
@click.option("--password", default=DEMO_PASSWORD, show_default=True,
              help="Password of the demo users (approvers sign with it).")  # fmt: skip
def demo_cmd(inline: bool, password: str) -> None:
    """Play a realistic week end to end on the embedded default, verify the audit log and print
    where the published site is."""
    from contextlib import nullcontext

    from clearance.settings import Pipeline, load_settings
    from cli.core import initialise
    from flows import trigger
    from flows.demo import run_demo
    from flows.server import pipeline_running

    settings = load_settings()
    if inline:
        settings = settings.with_overrides(pipeline=Pipeline.INLINE)
    rt, _ = initialise(settings=settings)
    context = nullcontext(None) if inline else pipeline_running(rt.settings)
    with context as pipeline:
        if pipeline is not None:
            click.echo(f"Prefect API: {pipeline.api_url}")
        result = run_demo(
            rt,
            password=password,
            after_submit=trigger.after_submit,
            after_signoff=trigger.after_signoff,
            say=click.echo,
        )
    from clearance.storage import statistics

    statistics.refresh(rt.engine)  # the demo's bulk load: plans from its tables, not empty ones
    from clearance.reports.stored import refresh_stored

    refresh_stored(rt)  # and its month reports, so the first report page recomputes none
    click.echo("")
    for key, state in result.states.items():
        click.echo(f"{result.items[key]}  {key:<12} {state}")
    report = result.report
    assert report is not None
    verdict = "OK" if report.ok else f"FAILED: {report.first}"
    click.echo(f"\naudit log: {verdict} ({report.entries} entries, {report.signatures} approver "
               f"signatures) exported to {result.export_dir}")  # fmt: skip
    click.echo(f"site:      {rt.settings.published_dir / 'index.html'}")
    click.echo(f"users:     password {password!r} for every demo user (lan.nguyen, hung.le, ...)")
    if not report.ok:
        sys.exit(1)
