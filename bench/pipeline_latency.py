"""Submission -> awaiting_signoff latency on the embedded default (local Prefect server on SQLite).

The review dispatcher polls the core's database and runs ``review-batch`` flow runs (the one
hand-off). Target: median <= 2 s. Environment: N (default 20) items, one at a time.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_common import fresh_home, fresh_postgres, load, submit_one, summary, wait_reviewed

from clearance.runtime import Runtime
from flows.server import pipeline_running
from flows.trigger import after_submit


def main() -> None:
    n = int(os.environ.get("N", "20"))
    with fresh_postgres():
        rt, settings = fresh_home()
        started = time.perf_counter()
        with pipeline_running(settings) as pipeline:
            print(f"pipeline up in {time.perf_counter() - started:.1f} s at {pipeline.api_url}")
            _trigger(rt, submit_one(rt, -1))  # warm-up, not measured
            wait_reviewed(rt, _trigger(rt, submit_one(rt, -2)))
            latencies = []
            for i in range(n):
                item = submit_one(rt, i)
                t0 = time.perf_counter()
                _trigger(rt, item)
                latencies.append(wait_reviewed(rt, item) - t0)
                time.sleep(0.1)  # one submission at a time, not a burst
            print(f"submission -> awaiting_signoff: {summary(latencies)}; {load()}")
        rt.close()


def _trigger(rt: Runtime, item: str) -> str:
    after_submit(rt, item)
    return item


if __name__ == "__main__":
    main()
