"""Time to screen a typical one-page DOCX and PDF (extraction, detectors, sanitised derivative).

Run: .venv/bin/python bench/screening_files.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clearance.screening import load_screening_rules, screen_file  # noqa: E402
from tests.screening import corpus  # noqa: E402

PARAGRAPH = (
    "Ủy ban nhân dân tỉnh tổ chức hội nghị xúc tiến đầu tư và du lịch năm 2024, thu hút hơn "
    "300 doanh nghiệp trong và ngoài nước tham dự. Liên hệ người phát ngôn: 0236 3822 123."
)


def main() -> None:
    rules = load_screening_rules(ROOT / "clearance" / "policies_default" / "screening.yaml")
    docx = corpus.docx(
        [corpus.para(corpus.run(PARAGRAPH)) for _ in range(12)],
        header="UBND TỈNH",
        title="Thông cáo báo chí",
    )
    lines = [PARAGRAPH[i : i + 90].encode("ascii", "replace").decode() for i in range(0, 180, 90)]
    pdf = corpus.pdf(lines * 20, title="Thong cao bao chi")
    for name, data in (("one-page DOCX", docx), ("one-page PDF", pdf)):
        screen_file(data, "warm." + name[-4:].strip().lower(), rules)
        timings = []
        for _ in range(30):
            start = time.perf_counter()
            result = screen_file(data, "x." + name[-4:].strip().lower(), rules)
            timings.append((time.perf_counter() - start) * 1000)
        print(
            f"{name}: {len(data)} bytes, verdict {result.verdict}, "
            f"median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms (target <= 50)"
        )


if __name__ == "__main__":
    main()
