"""``python -m flows.worker``: serve the review and deadlines deployments (publication is the
publication dispatcher's, in ``flows.task_worker``).

Reads CLEARANCE_* for the product and PREFECT_API_URL for the server. Runs until SIGTERM/SIGINT.
``CLEARANCE_DEADLINES_INTERVAL`` (seconds, default 900) schedules the deadlines flow and
``CLEARANCE_MONITOR_INTERVAL`` (seconds, default 3600) the channel monitor.
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

    from flows.pipeline import deadlines, monitor_channels, review

    interval = int(os.environ.get("CLEARANCE_DEADLINES_INTERVAL", "900"))
    # The per-run heartbeat costs about a second per short run; the core's own records, not
    # Prefect's liveness, decide what happened to an item.
    deployments = [
        review.to_deployment(name="review"),
        deadlines.to_deployment(name="deadlines", interval=interval),
        monitor_channels.to_deployment(
            name="monitor-channels",
            interval=int(os.environ.get("CLEARANCE_MONITOR_INTERVAL", "3600")),
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
