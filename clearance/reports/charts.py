"""Charts drawn on the server as SVG (no script, so the strict CSP holds and they print): bars by
month stacked by outcome, and the median and p90 time of each stage. Scalable, with a text
alternative (``<title>`` and ``aria-label``)."""

from __future__ import annotations

from html import escape

from clearance.reports.exports import OUTCOME_LABELS, STAGE_LABELS, duration_words
from clearance.reports.figures import OUTCOMES, Report

COLOURS = {
    "submitted": "#4a6fa5",
    "published": "#2e7d32",
    "blocked": "#b71c1c",
    "rejected": "#6d4c41",
    "sent_back": "#f9a825",
}


def monthly_bars(report: Report) -> str:
    """Stacked bars, one per month, one colour per outcome, with a legend."""
    months = list(report.monthly.items())
    width, height, left, bottom = 640, 260, 40, 40
    top = 20
    peak = max((sum(c.values()) for _, c in months), default=0) or 1
    slot = (width - left - 10) / max(len(months), 1)
    bar = min(48.0, slot * 0.7)
    parts = []
    for index, (month, counts) in enumerate(months):
        x = left + index * slot + (slot - bar) / 2
        y = float(height - bottom)
        for outcome in OUTCOMES:
            value = counts[outcome]
            if not value:
                continue
            h = (height - bottom - top) * value / peak
            y -= h
            label = f"{month}: {OUTCOME_LABELS[outcome]} {value}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[outcome]}"><title>{escape(label)}</title></rect>'
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="middle">{escape(month[5:] + "/" + month[:4])}</text>'
        )
    parts.append(
        f'<text x="{left - 6}" y="{top + 4}" font-size="11" text-anchor="end">{peak}</text>'
        f'<text x="{left - 6}" y="{height - bottom}" font-size="11" text-anchor="end">0</text>'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        'stroke="#555"/>'
    )
    legend = []
    x, y = float(left), height - 14
    for outcome in OUTCOMES:
        label = OUTCOME_LABELS[outcome]
        step = 14 + len(label) * 6.2 + 14
        if x + step > width:
            x, y = float(left), y + 16
        legend.append(
            f'<rect x="{x:.0f}" y="{y}" width="10" height="10" fill="{COLOURS[outcome]}"/>'
            f'<text x="{x + 14:.0f}" y="{y + 9}" font-size="11">{escape(label)}</text>'
        )
        x += step
    height = y + 14
    title = "Kết quả theo tháng"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{title}" class="chart"><title>{title}</title>'
        + "".join(parts + legend)
        + "</svg>"
    )


def stage_times(report: Report) -> str:
    """Horizontal bars: median (solid) and p90 (outline) hours per stage."""
    stages = list(report.stage_times.items())
    width, row, left = 640, 34, 190
    height = row * len(stages) + 30
    peak = max((d.p90 or 0 for _, d in stages), default=0) or 1
    scale = (width - left - 230) / peak  # room on the right for the figures in words
    parts = []
    for index, (stage, duration) in enumerate(stages):
        y = 10 + index * row
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" font-size="12" text-anchor="end">'
            f"{escape(STAGE_LABELS[stage])}</text>"
        )
        if duration.median is None or duration.p90 is None:
            parts.append(f'<text x="{left}" y="{y + 16}" font-size="12">—</text>')
            continue
        p90_w, med_w = duration.p90 * scale, duration.median * scale
        text = f"trung vị {duration_words(duration.median)}, p90 {duration_words(duration.p90)}"
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{p90_w:.1f}" height="18" fill="none" '
            f'stroke="#4a6fa5"><title>{escape(text)}</title></rect>'
            f'<rect x="{left}" y="{y + 4}" width="{med_w:.1f}" height="18" fill="#4a6fa5"/>'
            f'<text x="{left + p90_w + 6:.1f}" y="{y + 17}" font-size="11">'
            f"{escape(text)}</text>"
        )
    title = "Thời gian xử lý theo bước"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{title}" class="chart"><title>{title}</title>' + "".join(parts) + "</svg>"
    )
