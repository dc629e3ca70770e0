"""Where one request's time goes: cProfile over the test client (in-process, no server).

    .venv/bin/python bench/web_profile.py [--items 100000] [--requests 200] [--postgres URL]
        [--page queue|search|item|all-items|all-search|all] [--sql] [--top 40]
        [--sort cumulative|tottime] [--home DIR] [--no-profile]

Seeds the same world as ``bench/web_queue.py`` (``--home`` keeps it between runs), signs in as an
approver, counts the SQL statements of one request, times ``--requests`` requests of
each page (process CPU and wall), then prints the profile of the same number
of requests sorted by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--postgres", default=None)
    ap.add_argument(
        "--page",
        choices=("queue", "search", "item", "all-items", "all-search", "all"),
        default="all",
    )
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--sort", choices=("cumulative", "tottime"), default="cumulative")
    ap.add_argument("--home", default=None)
    ap.add_argument("--no-profile", action="store_true", help="only the timings")
    ap.add_argument("--sql", action="store_true", help="print the statements of one request")
    args = ap.parse_args()

    from sqlalchemy import event
    from web_queue import PASSWORD, pg_schema, seed

    from clearance.runtime import Runtime
    from tests.webapp.conftest import settings_for
    from webapp import create_app

    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="clearance-prof-"))
    home.mkdir(parents=True, exist_ok=True)
    url = args.postgres
    if url:
        # a schema of its own, kept with --home for the next run (drop it by hand when done)
        from sqlalchemy import create_engine, text

        schema = pg_schema(home)
        with create_engine(url).begin() as c:
            c.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        print(f"PostgreSQL schema {schema}")
    settings = settings_for(home, url)
    marker = home / "seeded"
    if marker.exists():
        item = marker.read_text()
    else:
        t = time.time()
        item = seed(settings, args.items)
        marker.write_text(item)
        print(f"seeded {args.items} items in {time.time() - t:.0f} s")
    rt = Runtime.open(settings)
    statements: list[str] = []
    event.listen(
        rt.engine, "before_cursor_execute", lambda _c, _cur, sql, *_rest: statements.append(sql)
    )
    app = create_app(settings, runtime=rt)
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    login = client.post(
        "/auth/login", data={"csrf_token": token, "username": "lanh.dao", "password": PASSWORD}
    )
    assert login.status_code == 302, login.status_code
    pages = {
        "queue": "/approvals/",
        "search": "/approvals/?q=le+hoi",
        "item": f"/approvals/items/{item}",
        "all-items": "/approvals/all",
        "all-search": "/approvals/all?q=du+lich",
    }
    chosen = ["queue", "search", "item"] if args.page == "all" else [args.page]
    for name in chosen:
        url = pages[name]
        for _ in range(10):
            assert client.get(url).status_code == 200
        statements.clear()
        client.get(url)
        count = sum(1 for sql in statements if not sql.startswith("BEGIN"))
        times = []
        cpu = time.process_time()
        for _ in range(args.requests):
            t = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - t)
        cpu = time.process_time() - cpu
        times.sort()
        print(
            f"{name}: {count} SQL statements (+ BEGIN); CPU {cpu / args.requests * 1000:.2f} ms "
            f"per request; wall mean {sum(times) / len(times) * 1000:.1f} ms, "
            f"p50 {times[len(times) // 2] * 1000:.1f} ms, "
            f"p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms; load average "
            + " ".join(f"{x:.2f}" for x in os.getloadavg())
        )
        if args.sql:
            for sql in statements:
                print("   ", " ".join(sql.split())[:160])
        if args.no_profile:
            continue
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            client.get(url)
        profile.disable()
        print(f"--- {name} ({args.requests} requests), by {args.sort}")
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    rt.close()


if __name__ == "__main__":
    main()
