"""Render and compare for a 5-page DOCX: LibreOffice renders it (fresh profile, capped, cold
start), poppler reads the pages, the detectors screen them; median of ROUNDS (default 5) runs.

Target: <= 3 s median for render + compare. Also printed: the in-process screening without the
rendered view (extraction and detectors only), and the preview pages (PNG) on top.
Run: .venv/bin/python bench/screening_render.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clearance.screening import load_screening_rules, screen_file  # noqa: E402
from clearance.screening.filetype import DOCX  # noqa: E402
from clearance.screening.limits import Budget  # noqa: E402
from clearance.screening.render import render_pages  # noqa: E402
from clearance.screening.rendercheck import compare_rendered  # noqa: E402
from tests.screening import corpus_render  # noqa: E402


def _median_s(run: Callable[[], object], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    rounds = int(os.environ.get("ROUNDS", "5"))
    rules = load_screening_rules(ROOT / "clearance" / "policies_default" / "screening.yaml")
    data = corpus_render.five_page_docx()
    pages = len(render_pages(data, DOCX, pngs=False).page_texts)

    def compare() -> object:
        return compare_rendered(data, DOCX, rules, [], Budget(rules.limits))

    rendered = _median_s(compare, rounds)
    previews = _median_s(lambda: render_pages(data, DOCX, pngs=True), rounds)
    whole = _median_s(lambda: screen_file(data, "release.docx", rules), rounds)
    print(f"{pages}-page DOCX, median of {rounds}:")
    print(f"  render + compare          {rendered:5.2f} s  (target <= 3 s)")
    print(f"  render + page PNGs        {previews:5.2f} s  (the approver's preview)")
    print(f"  whole screen_file         {whole:5.2f} s  (extraction, detectors, render, sanitiser)")


if __name__ == "__main__":
    main()
