"""Benchmark: a quarter's oversight report over 100,000 items (clearance.reports).

Generates a history of ITEMS items (submitted, classified, screened, most approved and published,
some blocked, sent back or rejected) spread over a year, replays it once (as the web process does
at its first report; later reports replay only new entries), then times ``compute`` for one
quarter. Target: <= 1 s. Usage: python bench/reports_quarter.py [ITEMS]
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from clearance.reports.figures import Filters, compute, parse_period
from clearance.reports.history import History


def lines(items: int) -> list[str]:
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out: list[str] = []

    def add(kind: str, item: str | None, when: datetime, **body: object) -> None:
        out.append(json.dumps({"seq": len(out), "type": kind, "item": item, "actor": "an",
                               "time": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "body": body}))  # fmt: skip

    for unit in range(20):
        add("user.registered", None, start, username=f"u{unit}", unit=f"unit-{unit}")
    events = []
    for n in range(items):
        when = start + timedelta(seconds=rng.randrange(365 * 86400))
        item, author = f"I{n}", f"u{n % 20}"
        events.append((when, "item.submitted", item, {"author": author, "channels": ["website"]}))
        events.append(
            (when + timedelta(minutes=1), "revision.classified", item, {"level": "cong_khai"})
        )
        fate = rng.random()
        if fate < 0.05:
            events.append((when + timedelta(minutes=2), "revision.screened", item,
                           {"to": "blocked", "findings": [{"rule": "marking.mat", "severity": "block"}]}))  # fmt: skip
            continue
        events.append(
            (when + timedelta(minutes=2), "revision.screened", item, {"to": "awaiting_signoff"})
        )
        if fate < 0.1:
            events.append((when + timedelta(hours=5), "revision.rejected", item, {}))
            continue
        events.append((when + timedelta(hours=rng.randrange(1, 48)), "revision.approved", item, {}))
        events.append(
            (when + timedelta(hours=49), "publication.published", item, {"channel": "website"})
        )
    events.sort(key=lambda e: e[0])
    for when, kind, item, body in events:
        add(kind, item, when, **body)
    return out


def main() -> None:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    generated = lines(items)
    history = History()
    t0 = time.perf_counter()
    history.extend(generated)
    replay = time.perf_counter() - t0
    quarter = parse_period("2026-Q2", "UTC")
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        report = compute(history, quarter, Filters())
        timings.append(time.perf_counter() - t0)
    unit = compute(history, quarter, Filters(unit="unit-3"))
    median = statistics.median(timings)
    print(f"{items:,} items, {len(generated):,} log entries; first replay {replay:.2f} s "
          f"({len(generated) / replay:,.0f} entries/s), then incremental")  # fmt: skip
    print(f"quarter report: median {median * 1000:.0f} ms over 5 runs "
          f"= {median:.2f}x the 1 s target; submitted {report.outcomes['submitted'].value:,}, "
          f"published {report.outcomes['published'].value:,}; one unit "
          f"{unit.outcomes['submitted'].value:,}")  # fmt: skip


if __name__ == "__main__":
    main()
