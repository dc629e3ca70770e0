"""Per-file cost of the isolated child (forked from the warm server, caps set per file) against
screening in the caller's process, for small files of each common kind.

Target: isolation overhead (isolated median minus in-process median) <= 20 ms per file.
Run: .venv/bin/python bench/screening_isolation.py  (ROUNDS, default 40)
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from clearance.screening import load_screening_rules, screen_file, screen_file_isolated  # noqa: E402
from tests.screening import corpus  # noqa: E402

TEXT = "Ủy ban nhân dân tỉnh tổ chức hội nghị xúc tiến đầu tư; mùa mật ong năm nay.\n"


def _median_ms(run: Callable[[], object], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    rounds = int(os.environ.get("ROUNDS", "40"))
    rules = load_screening_rules(ROOT / "clearance" / "policies_default" / "screening.yaml")
    photo = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 120, 200)).save(photo, "PNG")
    files = [
        ("note.txt", (TEXT * 20).encode()),
        ("release.docx", corpus.docx([corpus.para(corpus.run(TEXT)) for _ in range(12)])),
        ("release.pdf", corpus.pdf(["Press release: investment forum"] * 20)),
        ("photo.png", photo.getvalue()),
    ]
    start = time.perf_counter()
    screen_file_isolated(b"warm", "warm.txt", rules)
    print(f"fork server start (once per process): {(time.perf_counter() - start) * 1000:.0f} ms")
    overheads = []
    for name, data in files:
        screen_file_isolated(data, name, rules)
        inside = _median_ms(lambda d=data, n=name: screen_file(d, n, rules), rounds)
        isolated = _median_ms(lambda d=data, n=name: screen_file_isolated(d, n, rules), rounds)
        overheads.append(isolated - inside)
        print(
            f"{name:14} in-process {inside:7.1f} ms  isolated {isolated:7.1f} ms  "
            f"overhead {isolated - inside:6.1f} ms  ratio {isolated / inside:5.1f}x"
        )
    print(
        f"median isolation overhead per file: {statistics.median(overheads):.1f} ms (target <= 20)"
    )


if __name__ == "__main__":
    main()
