"""Approver queue and item page under 20 concurrent clients, served by gunicorn.

    .venv/bin/python bench/web_queue.py [--items 100000] [--postgres URL] [--seconds 20]
        [--workers 4] [--threads 1] [--backends sqlite,postgresql]

Seeds N items awaiting sign-off (bulk rows, not the services: this measures reading), starts
gunicorn (4 workers x 1 thread by default) on the app and on a bare Flask page, and prints p50/p95 latency,
requests/s and the ratio to the bare page.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "correct horse battery staple"
BARE = (
    "from flask import Flask\napp = Flask(__name__)\n@app.get('/')\ndef index():\n    return 'ok'\n"
)


def seed(settings, n: int) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    from clearance.storage.models import Item, Revision, SignoffRequest
    from tests.webapp.conftest import build_world

    rt = build_world(settings)
    with rt.sessions() as s:
        from clearance.storage.models import User

        author = s.query(User).filter_by(username="tac.gia").one().id
    now = datetime.now(UTC)
    words = ["Lễ hội", "Báo cáo", "Thông cáo", "Kế hoạch", "Đầu tư", "Du lịch", "Giáo dục"]
    batch = 5000
    with rt.engine.begin() as conn:
        for start in range(0, n, batch):
            rows = range(start, min(n, start + batch))
            conn.execute(insert(Item), [
                {"id": f"b{i:015d}", "author_id": author, "state": "awaiting_signoff",
                 "current_revision": 1, "created_at": now, "updated_at": now} for i in rows])  # fmt: skip
            conn.execute(insert(Revision), [
                {"id": i + 1_000_000, "item_id": f"b{i:015d}", "number": 1,
                 "title": f"{words[i % len(words)]} số {i}", "channels": ["website"],
                 "declared_level": "cong_khai", "level": "cong_khai", "created_by": author,
                 "created_at": now, "manifest_json": "{}", "manifest_hash": f"{i:064x}",
                 "release_manifest_hash": f"{i:064x}", "screening_verdict": "clear",
                 "screening": {"verdict": "clear", "parts": []}} for i in rows])  # fmt: skip
            conn.execute(insert(SignoffRequest), [
                {"revision_id": i + 1_000_000, "stage": 1, "stage_name": "unit_review",
                 "roles": ["unit_head"], "quorum": 1, "due_at": now + timedelta(hours=i % 72 - 24),
                 "status": "open", "created_at": now} for i in rows])  # fmt: skip
    rt.close()
    return f"b{n // 2:015d}"


GUNICORN = {"workers": 4, "threads": 1}  # 2 x cores, no threads: see docs/DEPLOY.md


def serve(app_spec: str, port: int, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(GUNICORN["workers"]),
         "--threads", str(GUNICORN["threads"]), "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", app_spec],
        env=env, cwd=cwd, start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except Exception:
            time.sleep(0.2)
    return proc


def opener_for(base: str):  # type: ignore[no-untyped-def]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/auth/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode(
        {"csrf_token": token, "username": "lanh.dao", "password": PASSWORD}
    )
    opener.open(f"{base}/auth/login", data=data.encode())
    return opener


def load(url: str, opener, seconds: float, clients: int = 20) -> tuple[list[float], int]:  # type: ignore[no-untyped-def]
    times: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        nonlocal errors
        while time.monotonic() < stop:
            t = time.perf_counter()
            try:
                (opener.open(url) if opener else urllib.request.urlopen(url)).read()
                ok = True
            except Exception:
                ok = False
            with lock:
                if ok:
                    times.append(time.perf_counter() - t)
                else:
                    errors += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return times, errors


def report(
    name: str, times: list[float], errors: int, seconds: float, bare_rps: float | None
) -> float:
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1] * 1000 if times else float("nan")
    rps = len(times) / seconds
    ratio = f"  ratio to bare {rps / bare_rps:.2f}" if bare_rps else ""
    print(f"{name:28s} n={len(times):6d} err={errors} p50={statistics.median(times) * 1000:7.1f} ms "
          f"p95={p95:7.1f} ms  {rps:7.1f} req/s{ratio}")  # fmt: skip
    return rps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--postgres", default=os.environ.get("CLEARANCE_TEST_POSTGRES_URL"))
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--workers", type=int, default=GUNICORN["workers"])
    ap.add_argument("--threads", type=int, default=GUNICORN["threads"])
    ap.add_argument("--backends", default="sqlite,postgresql", help="comma-separated subset")
    args = ap.parse_args()
    GUNICORN.update(workers=args.workers, threads=args.threads)
    print(f"gunicorn --workers {args.workers} --threads {args.threads}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    from tests.webapp.conftest import settings_for

    tmp = Path(tempfile.mkdtemp(prefix="clearance-bench-"))
    wanted = set(args.backends.split(","))
    backends = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
    backends = [(name, url) for name, url in backends if name in wanted]
    try:
        (tmp / "bare.py").write_text(BARE)
        env = {**os.environ, "PYTHONPATH": f"{ROOT}:{tmp}"}
        bare = serve("bare:app", 8765, env, tmp)
        times, errors = load("http://127.0.0.1:8765/", None, args.seconds)
        os.killpg(bare.pid, 15)
        bare_rps = report("bare Flask page", times, errors, args.seconds, None)
        for name, base_url in backends:
            url = base_url
            if url:
                from sqlalchemy import create_engine, text

                schema = f"bench_{secrets.token_hex(4)}"
                with create_engine(url).begin() as c:
                    c.execute(text(f'CREATE SCHEMA "{schema}"'))
                url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
            home = tmp / name
            settings = settings_for(home, url)
            t = time.time()
            item = seed(settings, args.items)
            print(f"[{name}] seeded {args.items} items in {time.time() - t:.0f} s")
            app_env = {**env, "CLEARANCE_HOME": str(home), "CLEARANCE_ENV": "test",
                       "CLEARANCE_DATABASE_URL": settings.database_url,
                       "CLEARANCE_LOG_ORIGIN": settings.log_origin}  # fmt: skip
            proc = serve("webapp.wsgi:app", 8766, app_env, ROOT)
            try:
                opener = opener_for("http://127.0.0.1:8766")
                t = time.time()  # the first search indexes every title once; not a steady state
                opener.open("http://127.0.0.1:8766/approvals/?q=warm", timeout=600).read()
                print(f"[{name}] search index built in {time.time() - t:.1f} s")
                for label, path in (("queue", "/approvals/"), ("queue search", "/approvals/?q=le+hoi"),
                                    ("item page", f"/approvals/items/{item}")):  # fmt: skip
                    times, errors = load(f"http://127.0.0.1:8766{path}", opener, args.seconds)
                    report(f"[{name}] {label}", times, errors, args.seconds, bare_rps)
                print(f"[{name}] load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            finally:
                os.killpg(proc.pid, 15)
                if base_url:
                    from sqlalchemy import create_engine, text

                    time.sleep(1)
                    with create_engine(base_url).begin() as c:
                        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
