"""Benchmark: login time of an existing user (wrong and right password), a missing user, an
inactive user and a throttled pair, interleaved so the machine's load hits every kind alike.
Every kind should take the same time (one argon2 verification each); the ratios to the wrong
password of an existing user are printed.
Usage: python bench/accounts_login.py [ROUNDS]
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import update

from clearance.auditlog.setup import init_log
from clearance.errors import PolicyRefusal
from clearance.runtime import Runtime
from clearance.services import users
from clearance.settings import generate_secret_key, load_settings
from clearance.storage.db import make_engine
from clearance.storage.migrate import upgrade
from clearance.storage.models import User

PASSWORD = "correct horse battery staple"


def _home(root: Path) -> Runtime:
    settings = load_settings(
        {
            "CLEARANCE_HOME": str(root),
            "CLEARANCE_DATABASE_URL": f"sqlite:///{root / 'clearance.db'}",
            "CLEARANCE_ENV": "test",
        }
    )
    root.mkdir(parents=True, exist_ok=True)
    generate_secret_key(root)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    init_log(settings)
    rt = Runtime.open(settings)
    for name in ("lan", "cu"):
        users.add_user(rt, actor="bench", username=name, roles="author", password=PASSWORD)
    with rt.sessions() as session:
        session.execute(update(User).where(User.username == "cu").values(active=False))
        session.commit()
    for _ in range(rt.settings.login_max_failures + 1):
        with contextlib.suppress(PolicyRefusal):
            users.authenticate(rt, "lan", "guess", address="198.51.100.9")
    return rt


def _timed(attempt: Callable[[], object]) -> float:
    start = time.perf_counter()
    with contextlib.suppress(PolicyRefusal):
        attempt()
    return time.perf_counter() - start


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        rt = _home(Path(tmp) / "home")
        users.prepare_login()
        kinds: dict[str, Callable[[], object]] = {
            "existing, wrong password": lambda: users.authenticate(rt, "lan", "wrong one"),
            "existing, right password": lambda: users.authenticate(rt, "lan", PASSWORD),
            "missing user": lambda: users.authenticate(rt, "khong.co", PASSWORD),
            "inactive user": lambda: users.authenticate(rt, "cu", PASSWORD),
            "throttled pair": lambda: users.authenticate(
                rt, "lan", PASSWORD, address="198.51.100.9"
            ),
        }
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(rounds):
            for kind, attempt in kinds.items():
                times[kind].append(_timed(attempt))
        base = statistics.median(times["existing, wrong password"])
        print(f"login timing, {rounds} interleaved rounds (median, p90, ratio to wrong password)")
        for kind, values in times.items():
            median = statistics.median(values)
            p90 = sorted(values)[int(0.9 * (len(values) - 1))]
            print(
                f"  {kind:26s} {median * 1000:7.1f} ms  {p90 * 1000:7.1f} ms  x{median / base:.2f}"
            )
        rt.close()


if __name__ == "__main__":
    main()
