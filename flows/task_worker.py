"""``python -m flows.task_worker``: a long-lived Prefect task worker for the review step.

Served deployments start every flow run in a fresh Python process (about 5 s here to import
Prefect and the screening engine before any work), too slow for the 2 s submission-to-review
target. A task worker keeps one warm process: ``review_task.delay(item_id)`` reaches it over the
server's websocket and it runs the same core service. Prefect still records every task run.
"""

from __future__ import annotations

import os


def main() -> None:
    from prefect.task_worker import serve

    from flows.pipeline import noop_task, review_task, runtime, warm_up

    warm_up(runtime())
    serve(review_task, noop_task, limit=int(os.environ.get("CLEARANCE_TASK_WORKER_LIMIT", "4")))


if __name__ == "__main__":
    main()
