"""Benchmark: the report page's first and subsequent loads over a large signed log.

    .venv/bin/python bench/reports_web.py [--items 100000] [--home DIR] [--no-state] [--first-only]

Builds (or, with ``--home`` holding one, reuses) an initialised home whose signed log holds the
history of ITEMS items (about 4.9 entries each: submitted, classified, screened, approved,
published; some blocked or rejected), appended through the real audit log in commits of 1,000
entries. Then, as a new web process would: creates the app, signs in as a leader and times
``GET /reports/?period=2026-Q2``: the first load (which, with the stored report summary, folds
only the entries written since it was advanced and reads the quarter's items; without one it
folds the whole log into it), a later load, a filtered page (unit + channel + theme) and a
custom range (``2026-02-17..2026-05-03``), each the first time it is asked for, and the three
pages again after about 2,000 new entries spread over 300 days. ``--no-state``
removes the stored summary first (the fold-everything baseline);
``--first-only`` stops after the first load (for timing whole runs against each other);
``--refresh`` first runs the background refresh of the stored month reports (what the scheduled
``deadlines`` flow does after an upgrade or an import), timed on its own, before the web starts.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PERIOD = "2026-Q2"
CUSTOM = "2026-02-17..2026-05-03"


def events(items: int, first: int = 0) -> list[tuple[datetime, object]]:
    from clearance.events import Event

    rng = random.Random(7 + first)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out: list[tuple[datetime, object]] = []
    for n in range(first, first + items):
        when = start + timedelta(seconds=rng.randrange(300 * 86400))
        item = f"I{n}"
        body = {"author": "tac.gia", "channels": ["website"], "language": "vi",
                "themes": ["bien_dao"] if n % 4 == 0 else []}  # fmt: skip
        out.append((when, Event("item.submitted", "tac.gia", item, body=body)))
        out.append((when + timedelta(minutes=1),
                    Event("revision.classified", None, item, body={"level": "cong_khai"})))  # fmt: skip
        fate = rng.random()
        if fate < 0.05:
            findings = [{"rule": "marking.mat", "severity": "block"}]
            out.append((when + timedelta(minutes=2), Event("revision.screened", None, item,
                        body={"to": "blocked", "findings": findings})))  # fmt: skip
            continue
        out.append((when + timedelta(minutes=2),
                    Event("revision.screened", None, item, body={"to": "awaiting_signoff"})))  # fmt: skip
        if fate < 0.1:
            out.append((when + timedelta(hours=5), Event("revision.rejected", "lanh.dao", item)))
            continue
        out.append((when + timedelta(hours=rng.randrange(1, 48)),
                    Event("revision.approved", "lanh.dao", item)))  # fmt: skip
        out.append((when + timedelta(hours=49), Event("publication.published", None, item,
                    body={"channel": "website"})))  # fmt: skip
    out.sort(key=lambda e: e[0])
    return out


def append(rt: object, generated: list[tuple[datetime, object]]) -> None:
    for start in range(0, len(generated), 1000):
        chunk = generated[start : start + 1000]
        with rt.sessions.begin() as session:  # type: ignore[attr-defined]
            rt.sink.append(session, [e for _, e in chunk], now=chunk[-1][0])  # type: ignore[attr-defined]


def load_average() -> str:
    import os

    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--no-state", action="store_true")
    parser.add_argument("--first-only", action="store_true")
    parser.add_argument("--refresh", action="store_true")
    args = parser.parse_args()

    from clearance.reports.figures import Filters, parse_period
    from tests.webapp.conftest import build_world, settings_for
    from tests.webapp.helpers import browser
    from webapp import create_app

    home = args.home or Path(tempfile.mkdtemp(prefix="clearance-bench-reports-"))
    settings = settings_for(home)
    marker = home / "bench-items"
    if marker.is_file() and int(marker.read_text()) == args.items:
        from clearance.runtime import Runtime

        rt = Runtime.open(settings)
    else:
        if home.exists():
            shutil.rmtree(home)
        t0 = time.perf_counter()
        rt = build_world(settings)
        append(rt, events(args.items))
        marker.write_text(str(args.items))
        print(f"built a log of {args.items:,} items in {time.perf_counter() - t0:.0f} s")
    state = home / "reports" / "summary.sqlite"
    if args.no_state:
        for leftover in (
            state,
            state.with_name(state.name + "-wal"),
            state.with_name(state.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
    from clearance.auditlog.store import size

    with rt.readers() as session:
        entries = size(session)
    if args.refresh:
        from clearance.reports.stored import refresh_stored

        t0, c0 = time.perf_counter(), time.process_time()
        months = refresh_stored(rt)
        print(f"background refresh: {len(months)} month report(s) recomputed in "
              f"{time.perf_counter() - t0:.2f} s ({time.process_time() - c0:.2f} s CPU)")  # fmt: skip
    app = create_app(settings, runtime=rt)
    b = browser(app, "lanh.dao")

    cpu: list[float] = []

    def load(query: str = f"period={PERIOD}") -> float:
        t0, c0 = time.perf_counter(), time.process_time()
        response = b.get(f"/reports/?{query}")
        elapsed = time.perf_counter() - t0
        cpu.append(time.process_time() - c0)
        assert response.status_code == 200, response.status_code
        return elapsed

    first = load()
    live = app.extensions["clearance.report_summary"]
    print(f"{entries:,} log entries; first report page {first:.2f} s ({cpu[0]:.2f} s CPU) "
          f"(started from: {live.started_from}, {live.folded:,} entries folded; summary "
          f"{'absent' if args.no_state else 'kept'}; load average {load_average()})")  # fmt: skip
    if args.first_only:
        rt.close()
        return
    later = statistics.median(load() for _ in range(5))
    print(f"subsequent page: median {later * 1000:.0f} ms over 5 loads")
    with rt.readers() as session:
        _, _, choices = live.report(session, parse_period(PERIOD), Filters())
    unit = choices["units"][0]
    filtered = f"period={PERIOD}&unit={unit}&channel=website&theme=bien_dao"
    custom = f"period={CUSTOM}"
    for name, query in (("filtered page (unit + channel + theme)", filtered),
                        (f"custom range {CUSTOM}", custom)):  # fmt: skip
        took = load(query)
        print(f"{name}, first asked: {took * 1000:.0f} ms ({cpu[-1]:.2f} s CPU)")
    append(rt, events(400, first=args.items))  # about 2,000 new entries
    for name, query in (("page", f"period={PERIOD}"), ("filtered page", filtered),
                        ("custom range", custom)):  # fmt: skip
        took = load(query)
        print(f"{name} after ~2,000 new entries: {took * 1000:.0f} ms ({cpu[-1]:.2f} s CPU)")
    print(f"load average {load_average()}")
    rt.close()
    if args.home is None:
        shutil.rmtree(home)


if __name__ == "__main__":
    main()
