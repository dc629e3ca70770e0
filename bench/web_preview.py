"""The approver's item page with page images: p50/p95 of the page and of its page images.

    .venv/bin/python bench/web_preview.py [--requests 200] [--pages 5]

Builds the test world in a temporary home, submits an item with a PDF of ``--pages`` pages (the
review draws its pages once, into the blob store), signs in as the approver and times
``--requests`` GETs of the item page and of every page image (in-process test client, wall
time). Target: the page with page images <= 300 ms p95 (issue 16)."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--pages", type=int, default=5)
    args = ap.parse_args()

    import re

    from clearance.runtime import Runtime
    from tests.screening.corpus import pdf_pages
    from tests.webapp.conftest import build_world, settings_for
    from tests.webapp.helpers import browser
    from tests.webapp.test_story import submit
    from webapp import create_app

    home = Path(tempfile.mkdtemp(prefix="clearance-preview-")) / "home"
    settings = settings_for(home)
    build_world(settings).close()
    rt = Runtime.open(settings)
    app = create_app(settings, runtime=rt)
    app.config.update(TESTING=True)
    pdf = pdf_pages([[f"Trang {n}: chuong trinh le hoi"] for n in range(1, args.pages + 1)])
    item_id = submit(app, files={"chuong-trinh.pdf": pdf})
    approver = browser(app, "lanh.dao")
    url = f"/approvals/items/{item_id}"
    html = approver.client.get(url).get_data(as_text=True)
    images = re.findall(r'<img src="([^"]+/pages/\d+)"', html)
    assert len(images) == args.pages, "the page images are not on the page"
    page_times: list[float] = []
    image_times: list[float] = []
    for _ in range(args.requests):
        start = time.perf_counter()
        assert approver.client.get(url).status_code == 200
        page_times.append((time.perf_counter() - start) * 1000)
        for image in images:
            start = time.perf_counter()
            assert approver.client.get(image).status_code == 200
            image_times.append((time.perf_counter() - start) * 1000)
    print(f"item page with {args.pages} page images, {args.requests} requests")
    print(
        f"  page : p50 {statistics.median(page_times):.1f} ms  p95 {pct(page_times, 0.95):.1f} ms"
        "  (target p95 <= 300 ms)"
    )
    print(
        f"  image: p50 {statistics.median(image_times):.1f} ms  p95 {pct(image_times, 0.95):.1f} ms"
    )
    rt.close()


if __name__ == "__main__":
    main()
