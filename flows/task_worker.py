"""``python -m flows.task_worker``: the warm process that runs the review and the publication.

Served deployments start every flow run in a fresh Python process (about 5 s here to import
Prefect and the screening engine before any work), too slow for the 2 s submission-to-review
target, so the work runs in this long-lived process instead. The core's database is the queue
(the one review hand-off): a dispatcher thread (``flows.dispatch``) looks for items waiting in
the core's database and reviews them in ``review-batch`` flow runs, up to
``CLEARANCE_REVIEW_BATCH`` items (default 50) per run, ``CLEARANCE_REVIEW_CONCURRENCY`` task runs
at once (default 4), polling every ``CLEARANCE_REVIEW_POLL`` seconds (default 0.2) when idle.
A second dispatcher thread publishes: it sweeps the approved items (and the recalls under way)
from the core's database and publishes them in ``publish-batch`` flow runs; a pending
publication claimed more than ``CLEARANCE_PUBLISH_LEASE`` seconds ago (default 120) is re-driven.
A third thread uses the idle time: while nothing waits for review or publication it draws the
missing page images of the approvers' previews a bounded step at a time
(``flows.dispatch.IdleBackfill``; a pass over every revision, then ``CLEARANCE_PREVIEWS_INTERVAL``
seconds of rest); a web request never draws. When a pass is over it also refreshes the stored
report months (those missing or out of date after an upgrade or an import recomputed), so a
report page recomputes none.
Prefect records every flow and task run. Runs until SIGTERM/SIGINT.
"""

from __future__ import annotations

import signal
import threading


def main() -> None:
    from flows.supervise import take_group_down_with_parent

    take_group_down_with_parent()
    stop = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    from flows.dispatch import start_dispatcher, start_idle_backfill, start_publication_dispatcher
    from flows.pipeline import runtime, warm_up

    rt = runtime()
    warm_up(rt)
    review = rt.settings.review
    threads = [
        start_dispatcher(
            rt,
            stop,
            batch_size=review.batch_size,
            interval=review.poll,
            concurrency=review.concurrency,
        ),
        start_publication_dispatcher(rt, stop, lease=review.publish_lease, interval=review.poll),
        start_idle_backfill(
            rt, stop, rest=rt.settings.schedule.previews_interval, lease=review.publish_lease
        ),
    ]
    while not stop.wait(1.0):
        if not all(thread.is_alive() for thread in threads):
            raise SystemExit("a dispatcher thread stopped; see the log above")
    for thread in threads:
        thread.join(timeout=30)


if __name__ == "__main__":
    main()
