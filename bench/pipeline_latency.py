"""Submission -> awaiting_signoff latency on the embedded default (local Prefect server on SQLite).

Two Prefect designs on the same server: the warm review task worker (``review_task.delay``, the
default) and the served ``review`` deployment (``run_deployment(timeout=0)``: a new Python
process per flow run). Target: median <= 2 s. Environment: N (default 20), N_DEPLOYMENT (5).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_common import fresh_home, submit_one, summary, wait_reviewed

from flows.server import pipeline_running
from flows.trigger import after_submit


def main() -> None:
    n = int(os.environ.get("N", "20"))
    n_deployment = int(os.environ.get("N_DEPLOYMENT", "5"))
    rt, settings = fresh_home()
    started = time.perf_counter()
    with pipeline_running(settings) as pipeline:
        print(f"pipeline up in {time.perf_counter() - started:.1f} s at {pipeline.api_url}")
        for label, via, count in (
            ("task worker", "task", n),
            ("deployment", "deployment", n_deployment),
        ):
            os.environ["CLEARANCE_REVIEW_VIA"] = via
            submit_one(rt, -1)  # warm-up, not measured
            wait_reviewed(rt, _trigger(rt, submit_one(rt, -2)))
            latencies = []
            for i in range(count):
                item = submit_one(rt, i)
                t0 = time.perf_counter()
                _trigger(rt, item)
                latencies.append(wait_reviewed(rt, item) - t0)
            print(f"submission -> awaiting_signoff via {label}: {summary(latencies)}")
        os.environ.pop("CLEARANCE_REVIEW_VIA", None)


def _trigger(rt: object, item: str) -> str:
    after_submit(rt, item)  # type: ignore[arg-type]
    return item


if __name__ == "__main__":
    main()
