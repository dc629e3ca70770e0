"""Approver queue and item page under 20 concurrent clients, served by gunicorn.

    .venv/bin/python bench/web_queue.py [--items 100000] [--postgres URL] [--seconds 20]
        [--workers 2] [--threads 1] [--backends sqlite,postgresql] [--client auto|wrk|python]
        [--pages queue,search,item,decided,all,all-search] [--home DIR]

Seeds N items awaiting sign-off (bulk rows, not the services: this measures reading; ``--home``
keeps the SQLite world and the PostgreSQL schema between runs), analyses the tables as autovacuum
would, starts gunicorn on the app and on a bare Flask page with the same options, signs in as an
approver, warms each page, then drives it with 20 closed-loop clients and prints p50/p95/p99
latency, requests/s, the ratio to the bare page, and the server CPU per request (the gunicorn
workers, plus the PostgreSQL backends serving them), with the load average before and after.

The client is ``wrk`` (Debian's package; a Lua script reports p95 and counts non-200 answers)
when it is installed: a C client leaves the two cores to the server. Without it the Python
client below runs (it competes with the server for CPU, so its figures are lower). The output
names the client used. Nothing is cached between requests: every page is rendered from the
database for each request (only per-process constants are kept: compiled statements, the policy,
the decision form's field markup per language).
"""

from __future__ import annotations

import argparse
import hashlib
import http.cookiejar
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "correct horse battery staple"
AGENT = "clearance-bench"  # flask-login's strong session protection binds the session to it
APP_NAME = "clearance_bench_web"  # PostgreSQL application_name of the served app's connections
BARE = (
    "from flask import Flask\napp = Flask(__name__)\n@app.get('/')\ndef index():\n    return 'ok'\n"
)
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %.3f %.3f %.3f %.6f\\n", summary.requests,
    e.connect + e.read + e.write + e.timeout, b, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""


def seed(settings, n: int) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert, select

    from clearance.storage.models import Decision, Item, Revision, SignoffRequest, User
    from tests.webapp.conftest import build_world

    rt = build_world(settings)
    with rt.sessions() as s:
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
        # the approver's history: a tenth as many items more, approved, each with the bench
        # approver's decision (the "decided by me" and "all items" pages read them; they are
        # not open, so the queue does not)
        approver = conn.execute(select(User.id).where(User.username == "lanh.dao")).scalar_one()
        for start in range(0, n // 10, batch):
            rows = range(start, min(n // 10, start + batch))
            conn.execute(insert(Item), [
                {"id": f"d{i:015d}", "author_id": author, "state": "approved",
                 "current_revision": 1, "created_at": now - timedelta(days=30),
                 "updated_at": now - timedelta(days=30, seconds=i)} for i in rows])  # fmt: skip
            conn.execute(insert(Revision), [
                {"id": i + 5_000_000, "item_id": f"d{i:015d}", "number": 1,
                 "title": f"{words[i % len(words)]} đã duyệt {i}", "channels": ["website"],
                 "declared_level": "cong_khai", "level": "cong_khai", "created_by": author,
                 "created_at": now, "manifest_json": "{}", "manifest_hash": f"d{i:063x}",
                 "release_manifest_hash": f"d{i:063x}", "screening_verdict": "clear",
                 "screening": {"verdict": "clear", "parts": []}} for i in rows])  # fmt: skip
            conn.execute(insert(Decision), [
                {"revision_id": i + 5_000_000, "approver_id": approver, "stage": 0,
                 "role": "unit_head", "decision": "approve", "manifest_hash": f"d{i:063x}",
                 "created_at": now - timedelta(days=30, seconds=i)} for i in rows])  # fmt: skip
    from clearance.storage import search

    with rt.sessions() as s:  # the backfill the migration runs for rows not written by the services
        search.refresh(s)
        s.commit()
    analyse(rt.engine)
    rt.close()
    return f"b{n // 2:015d}"


def analyse(engine) -> None:  # type: ignore[no-untyped-def]
    """Table statistics, as autovacuum (PostgreSQL) or ``PRAGMA optimize`` would gather them."""
    from sqlalchemy import text

    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("items", "revisions", "signoff_requests", "decisions", "users", "parts"):
                conn.execute(text(f"ANALYZE {table}"))
        else:
            conn.execute(text("ANALYZE"))


def pg_schema(home: Path) -> str:
    """The PostgreSQL schema of the world kept in ``home`` (drop it by hand when done)."""
    return "bench_" + hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:8]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, 15)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes (those that ended since are not counted)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def serve(app_spec: str, port: int, env: dict[str, str], cwd: Path, args) -> Server:  # type: ignore[no-untyped-def]
    options = ["--workers", str(args.workers), "--threads", str(args.threads)]
    if args.threads > 1:
        options += ["--worker-class", "gthread"]
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), *options, "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", app_spec],
        env=env, cwd=cwd, start_new_session=True,
    )  # fmt: skip
    server = Server(proc, port)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{server.base}/", timeout=1)
            return server
        except Exception:
            time.sleep(0.2)
    server.stop()
    raise SystemExit(f"gunicorn did not answer on port {port}")


def opener_for(base: str):  # type: ignore[no-untyped-def]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", AGENT)]
    page = opener.open(f"{base}/auth/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode(
        {"csrf_token": token, "username": "lanh.dao", "password": PASSWORD}
    )
    opener.open(f"{base}/auth/login", data=data.encode())
    # the first page after login stores the CSRF secret in the session (a new cookie); a
    # browser sends that cookie from then on, so the load does too
    opener.open(f"{base}/approvals/").read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return opener, cookie


@dataclass
class Result:
    n: int
    errors: int
    p50: float
    p95: float
    p99: float
    seconds: float

    @property
    def rps(self) -> float:
        return self.n / self.seconds


def run_wrk(url: str, cookie: str | None, seconds: float, clients: int, script: Path) -> Result:
    headers = ["-H", f"User-Agent: {AGENT}"] + (["-H", f"Cookie: {cookie}"] if cookie else [])
    out = subprocess.run(
        ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "10s",
         "-s", str(script), *headers, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    n, errors, bad, p50, p95, p99, duration = line.split()[1:]
    return Result(
        int(n), int(errors) + int(bad), float(p50), float(p95), float(p99), float(duration)
    )


def run_python(url: str, opener, seconds: float, clients: int) -> Result:  # type: ignore[no-untyped-def]
    times: list[float] = []
    errors = 0
    lock = threading.Lock()
    started = time.monotonic()
    stop = started + seconds
    plain = urllib.request.build_opener()
    plain.addheaders = [("User-Agent", AGENT)]

    def worker() -> None:
        nonlocal errors
        while time.monotonic() < stop:
            t = time.perf_counter()
            try:
                with (opener or plain).open(url) as response:
                    response.read()
                    ok = response.status == 200 and response.url == url
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
    elapsed = time.monotonic() - started
    times.sort()
    if not times:
        return Result(0, errors, float("nan"), float("nan"), float("nan"), elapsed)

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(len(times) * p))] * 1000

    return Result(
        len(times), errors, statistics.median(times) * 1000, pct(0.95), pct(0.99), elapsed
    )


def pg_backends(url: str) -> list[int]:
    """The PostgreSQL backend processes serving the app (by application_name)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return [
                int(pid)
                for (pid,) in c.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": APP_NAME},
                )
            ]
    finally:
        engine.dispose()


def check_page(opener, url: str, marker: str) -> None:  # type: ignore[no-untyped-def]
    with opener.open(url) as response:
        body = response.read().decode()
        if response.url != url or response.status != 200 or marker not in body:
            raise SystemExit(f"{url} did not answer the signed-in page (got {response.url})")
        if response.headers.get("Set-Cookie"):  # the load's fixed cookie would be stale
            raise SystemExit(f"{url} changed the session cookie; the load would not be steady")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--postgres", default=os.environ.get("CLEARANCE_TEST_POSTGRES_URL"))
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--backends", default="sqlite,postgresql", help="comma-separated subset")
    ap.add_argument("--pages", default="queue,search,item", help="comma-separated subset")
    ap.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    ap.add_argument("--home", default=None, help="keep the seeded worlds here between runs")
    ap.add_argument("--no-bare", action="store_true", help="skip the bare Flask page")
    args = ap.parse_args()
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)
    if args.client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk, or --client python")
    client = "wrk (C, 2 threads)" if use_wrk else "Python threads (competes with the server)"
    print(f"gunicorn --workers {args.workers} --threads {args.threads}; {args.clients} clients "
          f"via {client}; {args.seconds:g} s per page; {os.cpu_count()} cores; "
          f"load average {load_average()}")  # fmt: skip
    print("nothing is cached between requests: every page is read from the database and rendered")
    from tests.webapp.conftest import settings_for

    tmp = Path(tempfile.mkdtemp(prefix="clearance-bench-"))
    keep = Path(args.home) if args.home else None
    wanted = set(args.backends.split(","))
    backends = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
    backends = [(name, url) for name, url in backends if name in wanted]
    script = tmp / "report.lua"
    script.write_text(WRK_SCRIPT)
    servers: list[Server] = []

    def load(url: str, opener, cookie: str | None) -> Result:  # type: ignore[no-untyped-def]
        if use_wrk:
            return run_wrk(url, cookie, args.seconds, args.clients, script)
        return run_python(url, opener, args.seconds, args.clients)

    def warm(url: str, opener, cookie: str | None) -> None:  # type: ignore[no-untyped-def]
        if args.warmup <= 0:
            return
        if use_wrk:
            run_wrk(url, cookie, args.warmup, args.clients, script)
        else:
            run_python(url, opener, args.warmup, args.clients)

    try:
        env = {**os.environ, "PYTHONPATH": f"{ROOT}:{tmp}"}
        bare_rps = None
        if not args.no_bare:
            (tmp / "bare.py").write_text(BARE)
            bare = serve("bare:app", 8765, env, tmp, args)
            servers.append(bare)
            warm(f"{bare.base}/", None, None)
            pids = bare.worker_pids()
            before, cpu0 = load_average(), cpu_seconds(pids)
            result = load(f"{bare.base}/", None, None)
            cpu = cpu_seconds(pids) - cpu0
            bare.stop()
            bare_rps = result.rps
            report("bare Flask page", result, None, cpu, None, before)
        for name, base_url in backends:
            home = (keep / name) if keep else tmp / name
            url = base_url
            if url:
                from sqlalchemy import create_engine, text

                schema = pg_schema(home)
                with create_engine(url).begin() as c:
                    if not (home / "seeded").exists():
                        c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                    c.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
            settings = settings_for(home, url)
            marker = home / "seeded"
            if marker.exists():
                item = marker.read_text()
                print(f"[{name}] reusing the world seeded in {home}")
            else:
                if home.exists():
                    shutil.rmtree(home)
                t = time.time()
                item = seed(settings, args.items)
                marker.write_text(item)
                print(f"[{name}] seeded {args.items} items in {time.time() - t:.0f} s")
            served_url = settings.database_url
            if url:
                served_url = f"{served_url}&application_name={APP_NAME}"
            app_env = {**env, "CLEARANCE_HOME": str(home), "CLEARANCE_ENV": "test",
                       "CLEARANCE_DATABASE_URL": served_url,
                       "CLEARANCE_LOG_ORIGIN": settings.log_origin}  # fmt: skip
            server = serve("webapp.wsgi:app", 8766, app_env, ROOT, args)
            servers.append(server)
            try:
                opener, cookie = opener_for(server.base)
                t = time.time()  # the first search indexes every title once; not a steady state
                opener.open(f"{server.base}/approvals/?q=warm", timeout=600).read()
                print(f"[{name}] search index built in {time.time() - t:.1f} s")
                pages = {
                    "queue": ("/approvals/", "Lễ hội"),
                    "search": ("/approvals/?q=le+hoi", "Lễ hội"),
                    "item": (f"/approvals/items/{item}", item),
                    "decided": ("/approvals/decided", "đã duyệt"),
                    "all": ("/approvals/all", "Lễ hội"),
                    "all-search": ("/approvals/all?q=du+lich", "Du lịch"),
                }
                for label in args.pages.split(","):
                    path, text_marker = pages[label]
                    page_url = f"{server.base}{path}"
                    check_page(opener, page_url, text_marker)
                    warm(page_url, opener, cookie)
                    pids = server.worker_pids()
                    backends_pids = pg_backends(base_url) if base_url else []
                    before = load_average()
                    cpu0, db0 = cpu_seconds(pids), cpu_seconds(backends_pids)
                    result = load(page_url, opener, cookie)
                    cpu, db = cpu_seconds(pids) - cpu0, cpu_seconds(backends_pids) - db0
                    check_page(opener, page_url, text_marker)  # still signed in
                    report(f"[{name}] {label}", result, bare_rps, cpu, db if base_url else None,
                           before)  # fmt: skip
            finally:
                server.stop()
                if base_url and not keep:
                    from sqlalchemy import create_engine, text

                    with create_engine(base_url).begin() as c:
                        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def report(
    name: str,
    r: Result,
    bare_rps: float | None,
    cpu: float,
    db_cpu: float | None,
    load_before: str,
) -> None:
    ratio = f" ratio {r.rps / bare_rps:4.2f}" if bare_rps else ""
    per = cpu / r.n * 1000 if r.n else float("nan")
    db = f" +db {db_cpu / r.n * 1000:4.2f}" if db_cpu is not None and r.n else ""
    print(f"{name:26s} n={r.n:6d} err={r.errors} p50={r.p50:6.1f} p95={r.p95:6.1f} "
          f"p99={r.p99:6.1f} ms {r.rps:7.1f} req/s{ratio}  cpu/req {per:4.2f}{db} ms  "
          f"load {load_before} -> {load_average()}")  # fmt: skip


if __name__ == "__main__":
    main()
