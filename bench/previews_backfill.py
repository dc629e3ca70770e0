"""The task worker's idle backfill of page images at 100,000 items: drawing rate, CPU, the cost of
reading every revision once (a pass), and the approver's preview page latency while it runs.

    .venv/bin/python bench/previews_backfill.py [--items 100000] [--seconds 60] [--requests 200]
        [--postgres URL]

Builds the test world in a temporary home, submits one item with a 2-page PDF (its review draws
the pages: the page timed below), then seeds ``--items`` items awaiting sign-off whose revision
has the same PDF as a sanitised part and no page images in its screening entry (bulk rows: items
reviewed before page images existed). Then, alternately, twice each:

- ``web``: ``--requests`` GETs of the approver's item page with page images (in-process test
  client), nothing else running;
- ``web+backfill``: the same while a child process runs ``flows.dispatch.IdleBackfill`` (the
  task worker's idle thread, as it runs there) for ``--seconds``: documents drawn per second,
  its CPU (the child and the ``pdftoppm`` it waited for) per document.

Last, ``pass``: a child reads every revision once as a pass does (``backfill_from``'s keyset
read, 500 revisions a step, nothing drawn): the steady cost of the idle loop once all is drawn,
repeated every ``CLEARANCE_PREVIEWS_INTERVAL`` (600 s). CPU seconds are printed beside wall time
(the machine is shared) with the load average."""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from measure import load  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def seed(settings, n: int) -> str:  # type: ignore[no-untyped-def]
    """The timed item (reviewed, with page images) and ``n`` items without page images."""
    from sqlalchemy import insert, select

    from clearance.storage.models import Item, Part, Revision, SignoffRequest, User
    from tests.screening.corpus import pdf_pages
    from tests.webapp.conftest import build_world
    from tests.webapp.test_story import submit
    from webapp import create_app

    rt = build_world(settings)
    app = create_app(settings, runtime=rt)
    app.config.update(TESTING=True)
    pdf = pdf_pages([["Trang 1: chuong trinh le hoi"], ["Trang 2: lich trinh"]])
    item_id = submit(app, files={"chuong-trinh.pdf": pdf})
    with rt.sessions() as s:
        revision = s.scalars(select(Revision).where(Revision.item_id == item_id)).one()
        part = s.scalars(select(Part).where(Part.revision_id == revision.id, Part.role == "attachment")).one()  # fmt: skip
        author = s.query(User).filter_by(username="tac.gia").one().id
        screening = copy.deepcopy(revision.screening)
        (entry,) = (e for e in screening["parts"] if e.get("name") == part.filename)
        entry.pop("rendered")
        screening["parts"] = [entry]
        sha, size, mime = part.sanitized_sha256, part.sanitized_size, part.sanitized_mime
        upload_sha, upload_size = part.sha256, part.size
    now = datetime.now(UTC)
    batch = 5000
    with rt.engine.begin() as conn:
        for start in range(0, n, batch):
            rows = range(start, min(n, start + batch))
            conn.execute(insert(Item), [
                {"id": f"p{i:015d}", "author_id": author, "state": "awaiting_signoff",
                 "current_revision": 1, "created_at": now, "updated_at": now} for i in rows])  # fmt: skip
            conn.execute(insert(Revision), [
                {"id": i + 1_000_000, "item_id": f"p{i:015d}", "number": 1,
                 "title": f"Chương trình lễ hội số {i}", "channels": ["website"],
                 "declared_level": "cong_khai", "level": "cong_khai", "created_by": author,
                 "created_at": now, "manifest_json": "{}", "manifest_hash": f"{i:064x}",
                 "release_manifest_hash": f"{i:064x}", "screening_verdict": "clear",
                 "screening": screening} for i in rows])  # fmt: skip
            conn.execute(insert(Part), [
                {"revision_id": i + 1_000_000, "position": 1, "role": "attachment",
                 "filename": entry["name"], "sha256": upload_sha, "size": upload_size,
                 "mime": mime, "sanitized_sha256": sha, "sanitized_size": size,
                 "sanitized_mime": mime, "uploaded_by": author} for i in rows])  # fmt: skip
            conn.execute(insert(SignoffRequest), [
                {"revision_id": i + 1_000_000, "stage": 1, "stage_name": "unit_review",
                 "roles": ["unit_head"], "quorum": 1, "due_at": None, "status": "open",
                 "created_at": now} for i in rows])  # fmt: skip
    rt.close()
    return item_id


#: the children time their own loop (wall, and CPU of themselves and the pdftoppm they waited
#: for), without the start-up (importing the worker's modules takes seconds)
CLOCK = """
import resource, time
def cpu():
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))
"""
CHILD_BACKFILL = (
    CLOCK
    + """
import sys, time, json
sys.path.insert(0, {root!r})
from clearance.settings import load_settings
from clearance.runtime import Runtime
from flows.dispatch import IdleBackfill
rt = Runtime.open(load_settings({env!r}))
idle = IdleBackfill(rt)
drawn = failed = steps = 0
t0, c0 = time.perf_counter(), cpu()
end = time.monotonic() + {seconds}
while time.monotonic() < end:
    progress = idle.step()
    if progress is None:
        time.sleep(idle.busy_wait)
        continue
    steps += 1
    drawn += progress.drawn
    failed += progress.failed
    time.sleep(idle.pause)
print(json.dumps({{"drawn": drawn, "failed": failed, "steps": steps,
                  "wall": time.perf_counter() - t0, "cpu": cpu() - c0}}))
rt.close()
"""
)

CHILD_PASS = (
    CLOCK
    + """
import sys, json
sys.path.insert(0, {root!r})
from clearance.settings import load_settings
from clearance.runtime import Runtime
from clearance.services import previews
rt = Runtime.open(load_settings({env!r}))
after, read, missing = 0, 0, 0
t0, c0 = time.perf_counter(), cpu()
while True:
    found, last = previews._missing(rt, after, 500)
    if last == after:
        break
    read += 1
    missing += len(found)
    after = last
print(json.dumps({{"steps": read, "missing": missing, "wall": time.perf_counter() - t0,
                  "cpu": cpu() - c0}}))
rt.close()
"""
)


def child(code: str) -> tuple[subprocess.Popen[str], float]:
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            stderr=subprocess.PIPE), time.perf_counter()  # fmt: skip


def ended(proc: subprocess.Popen[str]) -> tuple[int, resource.struct_rusage] | None:
    """The child's status and usage once it has ended (reaped here, never by Popen)."""
    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    return (status, usage) if pid else None


def finish(
    proc: subprocess.Popen[str], started: float, done: tuple[int, resource.struct_rusage] | None
) -> tuple[dict[str, float], float, float]:
    """The child's answer, its wall and CPU seconds (it and what it waited for: pdftoppm)."""
    assert proc.stdout is not None and proc.stderr is not None
    if done is None:
        _pid, status, usage = os.wait4(proc.pid, 0)
    else:
        status, usage = done
    wall = time.perf_counter() - started
    out = proc.stdout.read()
    err = proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(err[-3000:])
    return json.loads(out.strip().splitlines()[-1]), wall, usage.ru_utime + usage.ru_stime


def web(approver, url: str, images: list[str], requests: int) -> tuple[list[float], float]:  # type: ignore[no-untyped-def]
    times = []
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(requests):
        start = time.perf_counter()
        assert approver.client.get(url).status_code == 200
        times.append((time.perf_counter() - start) * 1000)
        for image in images:
            assert approver.client.get(image).status_code == 200
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return times, cpu * 1000 / requests


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--postgres", help="a PostgreSQL URL (a fresh schema is made in it)")
    args = ap.parse_args()

    import re

    from clearance.runtime import Runtime
    from tests.webapp.conftest import settings_for
    from tests.webapp.helpers import browser
    from webapp import create_app

    home = Path(tempfile.mkdtemp(prefix="clearance-backfill-")) / "home"
    url_db = None
    schemas = None
    if args.postgres:
        from tests.conftest import pg_schema_url

        schemas = pg_schema_url(args.postgres)
        url_db = next(schemas)
    settings = settings_for(home, url_db)
    env = {
        "CLEARANCE_HOME": str(home),
        "CLEARANCE_DATABASE_URL": settings.database_url,
        "CLEARANCE_ENV": "test",
        "CLEARANCE_LOG_ORIGIN": settings.log_origin,
        "CLEARANCE_SITE_DIR": str(home / "site"),
    }
    started = time.perf_counter()
    item_id = seed(settings, args.items)
    print(f"seeded {args.items} items without page images in {time.perf_counter() - started:.0f} s"
          f" ({settings.database_url.split(':', 1)[0]}); load {load()}")  # fmt: skip
    rt = Runtime.open(settings)
    app = create_app(settings, runtime=rt)
    app.config.update(TESTING=True)
    approver = browser(app, "lanh.dao")
    url = f"/approvals/items/{item_id}"
    html = approver.client.get(url).get_data(as_text=True)
    images = [i.replace("&amp;", "&") for i in re.findall(r'<img src="([^"]+/pages/\d+)"', html)]
    assert len(images) == 2, "the page images are not on the page"
    web(approver, url, images, 20)  # warm
    drawn_total = 0
    for round_ in (1, 2):
        alone, cpu_alone = web(approver, url, images, args.requests)
        print(f"[{round_}] web alone      : page p50 {statistics.median(alone):6.1f} ms  "
              f"p95 {pct(alone, 0.95):6.1f} ms  CPU {cpu_alone:5.1f} ms/page  load {load()}")  # fmt: skip
        proc, t0 = child(CHILD_BACKFILL.format(root=str(ROOT), env=env, seconds=args.seconds))
        during: list[float] = []
        cpu_during: list[float] = []
        done = None
        while (done := ended(proc)) is None:
            times, cpu = web(approver, url, images, 20)
            during += times
            cpu_during.append(cpu)
        answer, _wall, _cpu = finish(proc, t0, done)
        wall, cpu_child = answer["wall"], answer["cpu"]
        drawn_total += answer["drawn"]
        print(f"[{round_}] web + backfill : page p50 {statistics.median(during):6.1f} ms  "
              f"p95 {pct(during, 0.95):6.1f} ms  CPU {statistics.mean(cpu_during):5.1f} ms/page "
              f"({len(during)} pages)  load {load()}")  # fmt: skip
        rate = answer["drawn"] / wall
        per = cpu_child / answer["drawn"] if answer["drawn"] else float("nan")
        print(f"[{round_}] backfill       : {answer['drawn']} documents drawn "
              f"({answer['failed']} failed, {answer['steps']} steps) in {wall:.1f} s: "
              f"{rate:.2f} documents/s, {cpu_child:.1f} s CPU ({per * 1000:.0f} ms CPU per "
              f"document, pdftoppm included)")  # fmt: skip
    proc, t0 = child(CHILD_PASS.format(root=str(ROOT), env=env))
    answer, _wall, _cpu = finish(proc, t0, None)
    wall, cpu_child = answer["wall"], answer["cpu"]
    print(f"pass           : {answer['steps']} keyset steps over {args.items + 1} revisions "
          f"({answer['missing']} parts still missing) in {wall:.1f} s wall, {cpu_child:.1f} s "
          f"CPU: {args.items / wall:,.0f} revisions/s read; load {load()}")  # fmt: skip
    print(f"documents drawn in all: {drawn_total}")
    rt.close()
    if schemas is not None:
        for _ in schemas:
            pass


if __name__ == "__main__":
    main()
