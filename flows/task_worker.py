"""``python -m flows.task_worker``: the warm process that runs the review.

Served deployments start every flow run in a fresh Python process (about 5 s here to import
Prefect and the screening engine before any work), too slow for the 2 s submission-to-review
target, so the review runs in this long-lived process instead. By default
(``CLEARANCE_REVIEW_VIA=batch``) a dispatcher thread (``flows.dispatch``) looks for items waiting
in the core's database and reviews them in ``review-batch`` flow runs, up to
``CLEARANCE_REVIEW_BATCH`` items (default 50) per run, ``CLEARANCE_REVIEW_CONCURRENCY`` task runs
at once (default 4), polling every ``CLEARANCE_REVIEW_POLL`` seconds (default 0.2) when idle.
A second dispatcher thread publishes: it sweeps the approved items (and the recalls under way)
from the core's database and publishes them in ``publish-batch`` flow runs; a pending
publication claimed more than ``CLEARANCE_PUBLISH_LEASE`` seconds ago (default 120) is re-driven.
The process also serves ``review_task`` as a Prefect task worker for
``CLEARANCE_REVIEW_VIA=task`` (one ``review_task.delay(item_id)`` per submission, over the
server's websocket). Prefect records every flow and task run either way.
"""

from __future__ import annotations

import os
import threading

from flows.trigger import ReviewVia, review_via


def main() -> None:
    from flows.supervise import take_group_down_with_parent

    take_group_down_with_parent()
    from prefect.task_worker import serve

    from flows.pipeline import review_task, runtime, warm_up

    rt = runtime()
    warm_up(rt)
    stop = threading.Event()
    from flows.dispatch import BATCH_SIZE, INTERVAL, start_dispatcher

    if review_via() is ReviewVia.BATCH:
        from flows.pipeline import REVIEW_CONCURRENCY

        start_dispatcher(
            rt,
            stop,
            batch_size=int(os.environ.get("CLEARANCE_REVIEW_BATCH", str(BATCH_SIZE))),
            interval=float(os.environ.get("CLEARANCE_REVIEW_POLL", str(INTERVAL))),
            concurrency=int(
                os.environ.get("CLEARANCE_REVIEW_CONCURRENCY", str(REVIEW_CONCURRENCY))
            ),
        )
    from clearance.publishing.queue import LEASE
    from flows.dispatch import start_publication_dispatcher

    start_publication_dispatcher(
        rt,
        stop,
        lease=float(os.environ.get("CLEARANCE_PUBLISH_LEASE", str(LEASE))),
        interval=float(os.environ.get("CLEARANCE_REVIEW_POLL", str(INTERVAL))),
    )
    try:
        serve(review_task, limit=int(os.environ.get("CLEARANCE_TASK_WORKER_LIMIT", "4")))
    finally:
        stop.set()


if __name__ == "__main__":
    main()
