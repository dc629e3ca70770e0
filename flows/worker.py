"""``python -m flows.worker``: serve the scheduled deployments, ``deadlines``,
``monitor-channels`` and ``previews-backfill`` (the review and the publication are the dispatchers', in
``flows.task_worker``).

Reads its settings through ``clearance.settings`` and PREFECT_API_URL for the server. Runs until
SIGTERM/SIGINT. ``CLEARANCE_DEADLINES_INTERVAL`` (seconds, default 900) schedules the deadlines
flow, ``CLEARANCE_MONITOR_INTERVAL`` (seconds, default 3600) the channel monitor and
``CLEARANCE_PREVIEWS_INTERVAL`` (seconds, default 600) the backfill of missing page images.
"""

from __future__ import annotations

import os


def main() -> None:
    from flows.supervise import RUNNER_ENV, take_group_down_with_parent

    take_group_down_with_parent()
    os.environ[RUNNER_ENV] = str(os.getpid())  # the flow-run processes die with this one
    from prefect import serve
    from prefect.deployments.runner import RunnerDeployment
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from clearance.settings import load_settings
    from flows.pipeline import deadlines, monitor_channels, previews_backfill

    schedule = load_settings().schedule
    # The per-run heartbeat costs about a second per short run; the core's own records, not
    # Prefect's liveness, decide what happened to an item.
    deployments = [
        deadlines.to_deployment(name="deadlines", interval=schedule.deadlines_interval),
        monitor_channels.to_deployment(name="monitor-channels", interval=schedule.monitor_interval),
        previews_backfill.to_deployment(
            name="previews-backfill", interval=schedule.previews_interval
        ),
    ]
    ready: list[RunnerDeployment] = [d for d in deployments if isinstance(d, RunnerDeployment)]
    assert len(ready) == len(deployments), "to_deployment must not be awaited here"
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        serve(
            *ready,
            print_starting_message=False,
            pause_on_shutdown=False,
        )


if __name__ == "__main__":
    main()
