"""A burst of submissions: all reviewed (screened, classified, routed) by the pipeline, then the
ratio of that throughput to an empty flow with the same number of task runs on the same server.

Targets: 1,000 submissions all screened within 10 minutes on the embedded default (SQLite) and
at >= 5 per second with the PostgreSQL-backed server: set CLEARANCE_BENCH_POSTGRES_URL (fresh
databases per run, see pipeline_common) and the pipeline starts its Prefect server on PostgreSQL
and keeps Clearance there too.

Environment: N (default 1000) submissions, THREADS (2) submitting threads, CLEARANCE_REVIEW_BATCH
(50) and
CLEARANCE_REVIEW_CONCURRENCY (4) for the dispatcher, CLEARANCE_REVIEW_WORKERS (1) review worker
processes (PostgreSQL only above 1: they share the items through advisory locks), RATIO (1; 0
skips the empty-flow comparison), ATTACHMENTS (0) small files per item (a note, a one-page PDF, a
photo, cycled), each screened in its isolated child: compare the rate with ATTACHMENTS=0.

Clocks: "reviewed" is when the last item left ``submitted`` in Clearance's database (the
record); "recorded by Prefect" is when the Prefect server had also written every review task
run as Completed (it ingests the task-run events asynchronously, so it can lag behind).
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_common import (
    completed_task_runs,
    fresh_home,
    fresh_postgres,
    load,
    small_attachments,
    submit_one,
    wait_all_reviewed,
    wait_recorded,
    wait_reviewed,
)

from flows.server import pipeline_running
from flows.trigger import after_submit


def main() -> None:
    n = int(os.environ.get("N", "1000"))
    threads = int(os.environ.get("THREADS", "2"))
    attachments = small_attachments(int(os.environ.get("ATTACHMENTS", "0")))
    with fresh_postgres():
        rt, settings = fresh_home()
        batch = settings.review.batch_size
        database = "PostgreSQL" if rt.engine.dialect.name == "postgresql" else "SQLite"
        workers = settings.review.workers
        print(
            f"{workers} review worker(s), batches of {batch}, Clearance on {database}, "
            f"{len(attachments)} attachment(s) per item, {load()}"
        )
        with pipeline_running(settings) as pipeline:
            api = pipeline.api_url
            warm = submit_one(rt, -1, attachments)
            after_submit(rt, warm)
            wait_reviewed(rt, warm)
            recorded_before = completed_task_runs(api, "review-")

            def burst_one(k: int) -> str:
                item: str = submit_one(rt, k, attachments)
                after_submit(rt, item)
                return item

            t0 = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                items = list(pool.map(burst_one, range(n)))
            t1 = time.perf_counter()
            print(
                f"{n} submissions stored and triggered in {t1 - t0:.1f} s ({n / (t1 - t0):.1f}/s)"
            )
            done = wait_all_reviewed(rt, items, timeout=1800)
            rate = n / (done - t0)
            print(
                f"all {n} reviewed {done - t0:.1f} s after the burst began ({rate:.2f}/s; "
                f"targets: within 600 s on SQLite, >= 5/s on PostgreSQL); {load()}"
            )
            recorded = wait_recorded(api, "review-", recorded_before + n, timeout=1800)
            recorded_rate = n / (recorded - t0)
            print(
                f"  recorded by Prefect (every review task run Completed) {recorded - t0:.1f} s "
                f"after the burst began ({recorded_rate:.2f}/s)"
            )

            if os.environ.get("RATIO", "1") == "0":
                return
            from pipeline_baseline import empty_batch

            ids = [f"empty-{k}" for k in range(n)]
            empty_before = completed_task_runs(api, "noop-")
            t2 = time.perf_counter()
            for start in range(0, n, batch):
                _run_empty(empty_batch, ids[start : start + batch])
            t3 = time.perf_counter()
            empty_recorded = wait_recorded(api, "noop-", empty_before + n, timeout=1800)
            empty_rate = n / (t3 - t2)
            empty_recorded_rate = n / (empty_recorded - t2)
            print(
                f"empty flow, {n} task runs in flow runs of {batch}: {empty_rate:.2f}/s, "
                f"recorded by Prefect {empty_recorded_rate:.2f}/s; {load()}"
            )
            print(
                f"ratio review/empty flow: {rate / empty_rate:.2f} "
                f"(recorded by Prefect: {recorded_rate / empty_recorded_rate:.2f})"
            )


def _run_empty(empty_batch: object, ids: list[str]) -> None:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.trigger import prefect_settings

    with prefect_settings(), temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        empty_batch(ids)  # type: ignore[operator]


if __name__ == "__main__":
    main()
