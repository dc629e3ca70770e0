"""Shared set-up for the pipeline benchmarks: a fresh embedded home and its environment.

PostgreSQL: ``CLEARANCE_BENCH_POSTGRES_URL=postgresql+psycopg://user:pw@host/db`` (a role that
may create databases) gives every run two fresh databases, one for Clearance and one for the
Prefect server the pipeline starts, dropped afterwards (``fresh_postgres()``). Reusing databases
across runs measures the previous runs' rows too. ``CLEARANCE_BENCH_DATABASE_URL`` and
``CLEARANCE_PREFECT_DATABASE_URL`` still name fixed databases when set instead.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from clearance.runtime import Runtime
from clearance.services.items import Submission, submit
from clearance.services.uploads import Upload
from clearance.settings import Settings, load_settings
from clearance.storage.models import Item
from flows.people import open_home

PASSWORD = "bench-password-2026"
BODY = (
    "Ngày 20/11/2026, Ủy ban nhân dân tỉnh đã tiếp đoàn doanh nghiệp Nhật Bản đến tìm hiểu "
    "cơ hội đầu tư vào khu công nghiệp phía Bắc tỉnh. Hai bên trao đổi về hạ tầng giao thông, "
    "nguồn nhân lực và các ưu đãi đầu tư; mùa mật ong năm nay cũng được giới thiệu."
)


def fresh_home(extra: dict[str, str] | None = None) -> tuple[Runtime, Settings]:
    home = Path(tempfile.mkdtemp(prefix="clearance-bench-")) / "home"
    env = {
        "CLEARANCE_HOME": str(home),
        "CLEARANCE_DATABASE_URL": os.environ.get(
            "CLEARANCE_BENCH_DATABASE_URL", f"sqlite:///{home / 'clearance.db'}"
        ),
        "CLEARANCE_ENV": "test",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        **(extra or {}),
    }
    os.environ.update(env)
    settings = load_settings()
    return open_home(settings, PASSWORD, actor="bench"), settings


def small_attachments(count: int) -> list[tuple[str, bytes]]:
    """``count`` small files a press office attaches (a note, a one-page PDF, a photo), cycled."""
    import sys

    from PIL import Image

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.screening import corpus

    photo = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 120, 200)).save(photo, "PNG")
    pdf = corpus.pdf(["Press release: investment forum", "Contact the press office"] * 10)
    kinds = [
        ("ghi-chu.txt", f"{BODY}\n".encode()),
        ("thong-cao.pdf", pdf),
        ("anh.png", photo.getvalue()),
    ]
    return [kinds[k % len(kinds)] for k in range(count)]


def submit_one(rt: Runtime, n: int, attachments: Sequence[tuple[str, bytes]] = ()) -> str:
    return submit(
        rt,
        author="lan.nguyen",
        submission=Submission(
            title=f"Tin bài số {n}: UBND tỉnh tiếp đoàn doanh nghiệp",
            channels=["website"],
            declared_level="cong_khai",
            body_text=f"{BODY} ({n})",
            attachments=[Upload(name, io.BytesIO(data)) for name, data in attachments],
        ),
    )


@contextlib.contextmanager
def fresh_postgres() -> Iterator[None]:
    """With CLEARANCE_BENCH_POSTGRES_URL: two new databases for this run, dropped at the end."""
    admin_url = os.environ.get("CLEARANCE_BENCH_POSTGRES_URL")
    if not admin_url:
        yield
        return
    suffix = secrets.token_hex(4)
    names = {"core": f"bench_core_{suffix}", "prefect": f"bench_prefect_{suffix}"}
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    base = admin_url.split("://", 1)[1].rsplit("/", 1)[0]
    with admin.connect() as connection:
        for name in names.values():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    os.environ["CLEARANCE_BENCH_DATABASE_URL"] = f"postgresql+psycopg://{base}/{names['core']}"
    os.environ["CLEARANCE_PREFECT_DATABASE_URL"] = f"postgresql+asyncpg://{base}/{names['prefect']}"
    try:
        yield
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def state_of(rt: Runtime, item_id: str) -> str:
    with rt.readers() as session:
        return str(session.scalar(select(Item.state).where(Item.id == item_id)))


def count_waiting(rt: Runtime, items: Sequence[str]) -> int:
    """How many of ``items`` are still ``submitted`` (one read-only query)."""
    waiting = 0
    with rt.readers() as session:
        for start in range(0, len(items), 500):
            chunk = list(items[start : start + 500])
            waiting += int(
                session.scalar(
                    select(func.count())
                    .select_from(Item)
                    .where(Item.id.in_(chunk), Item.state == "submitted")
                )
                or 0
            )
    return waiting


def wait_reviewed(rt: Runtime, item_id: str, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    while state_of(rt, item_id) == "submitted":
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"{item_id} was not reviewed within {timeout} s")
        time.sleep(0.01)
    return time.perf_counter()


def wait_all_reviewed(rt: Runtime, items: Sequence[str], timeout: float) -> float:
    start = time.perf_counter()
    while left := count_waiting(rt, items):
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"{left} items not reviewed after {timeout} s")
        time.sleep(0.1)
    return time.perf_counter()


def completed_task_runs(api_url: str, name_like: str) -> int:
    """Task runs Prefect has recorded as Completed whose name contains ``name_like``."""
    body = {"task_runs": {"name": {"like_": name_like}, "state": {"type": {"any_": ["COMPLETED"]}}}}
    request = urllib.request.Request(
        f"{api_url}/task_runs/count",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.read())


def wait_recorded(api_url: str, name_like: str, expected: int, timeout: float) -> float:
    """Wait until Prefect has recorded ``expected`` completed task runs (its events caught up)."""
    start = time.perf_counter()
    while completed_task_runs(api_url, name_like) < expected:
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"Prefect had not recorded {expected} task runs after {timeout} s")
        time.sleep(0.25)
    return time.perf_counter()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[max(0, int(len(ordered) * 0.9) - 1)]
    return (
        f"median {statistics.median(ordered):.3f} s, p90 {p90:.3f} s, "
        f"min {ordered[0]:.3f} s, max {ordered[-1]:.3f} s (n={len(ordered)})"
    )
