"""Shared set-up for the pipeline benchmarks: a fresh embedded home and its environment."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from clearance.runtime import Runtime
from clearance.services.items import Submission, load_item, submit
from clearance.settings import Settings, load_settings
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


def submit_one(rt: Runtime, n: int) -> str:
    return submit(
        rt,
        author="lan.nguyen",
        submission=Submission(
            title=f"Tin bài số {n}: UBND tỉnh tiếp đoàn doanh nghiệp",
            channels=["website"],
            declared_level="cong_khai",
            body_text=f"{BODY} ({n})",
        ),
    )


def state_of(rt: Runtime, item_id: str) -> str:
    with rt.sessions() as session:
        return load_item(session, item_id).state


def wait_reviewed(rt: Runtime, item_id: str, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    while state_of(rt, item_id) == "submitted":
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"{item_id} was not reviewed within {timeout} s")
        time.sleep(0.01)
    return time.perf_counter()


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[max(0, int(len(ordered) * 0.9) - 1)]
    return (
        f"median {statistics.median(ordered):.3f} s, p90 {p90:.3f} s, "
        f"min {ordered[0]:.3f} s, max {ordered[-1]:.3f} s (n={len(ordered)})"
    )
