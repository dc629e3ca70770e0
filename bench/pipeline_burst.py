"""A burst of submissions on the embedded default: all reviewed (screened, classified, routed)
by the review task worker; then the throughput ratio to an empty task on the same server.

Targets: 1,000 submissions all screened within 10 minutes on the embedded default (and >= 5/s
on the PostgreSQL-backed scale path: run with CLEARANCE_BENCH_DATABASE_URL and PREFECT_API_URL
pointing at a PostgreSQL-backed Prefect server). Environment: N (default 1000), THREADS (2), M (100, ratio runs), K (10, flow runs).
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_common import fresh_home, state_of, submit_one

from flows.server import pipeline_running


def _wait_all(rt: object, items: list[str], timeout: float) -> float:
    start = time.perf_counter()
    pending = list(items)
    while pending:
        pending = [i for i in pending if state_of(rt, i) == "submitted"]  # type: ignore[arg-type]
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"{len(pending)} items not reviewed after {timeout} s")
        time.sleep(0.5)
    return time.perf_counter()


def main() -> None:
    n = int(os.environ.get("N", "1000"))
    threads = int(os.environ.get("THREADS", "2"))
    rt, settings = fresh_home()
    with pipeline_running(settings):
        from flows.pipeline import empty, noop_task, review, review_task

        t0 = time.perf_counter()
        items = [submit_one(rt, i) for i in range(n)]
        t1 = time.perf_counter()
        print(f"{n} submissions stored in {t1 - t0:.1f} s ({n / (t1 - t0):.1f}/s)")
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(review_task.delay, items))
        t2 = time.perf_counter()
        print(f"{n} review tasks submitted to Prefect in {t2 - t1:.1f} s ({n / (t2 - t1):.1f}/s)")
        done = _wait_all(rt, items, timeout=1800)
        review_rate = n / (done - t1)
        print(
            f"all {n} reviewed {done - t1:.1f} s after the burst began "
            f"({review_rate:.2f}/s; target: within 600 s)"
        )
        states = [state_of(rt, i) for i in items[:50]]
        print(f"sample states: {sorted(set(states))}")

        m = int(os.environ.get("M", "100"))
        print(f"ratios over {m} runs each (completion read back from Prefect for both):")
        task_rates = {}
        for label, fn in (("review task", review_task), ("empty task", noop_task)):
            batch = (
                [submit_one(rt, 10_000 + k) for k in range(m)]
                if fn is review_task
                else [f"noop-{k}" for k in range(m)]
            )
            t3 = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                futures = list(pool.map(fn.delay, batch))
            for future in futures:
                future.wait(timeout=600)
            task_rates[label] = m / (time.perf_counter() - t3)
            print(f"  {label}: {task_rates[label]:.2f}/s")
        print(f"  task throughput ratio review/empty: "
              f"{task_rates['review task'] / task_rates['empty task']:.2f}")  # fmt: skip
        k = int(os.environ.get("K", "10"))
        flow_rates = {}
        for label, flow_fn in (("review flow", review), ("empty flow", empty)):
            ids = (
                [submit_one(rt, 20_000 + i) for i in range(k)]
                if flow_fn is review
                else [f"e-{i}" for i in range(k)]
            )
            t4 = time.perf_counter()
            for item_id in ids:
                flow_fn(item_id)
            flow_rates[label] = k / (time.perf_counter() - t4)
            print(f"  {label} (1 task, in-process, sequential): {flow_rates[label]:.2f} runs/s")
        print(f"  flow throughput ratio review/empty: "
              f"{flow_rates['review flow'] / flow_rates['empty flow']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
