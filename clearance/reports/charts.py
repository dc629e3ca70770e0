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


#: the drawing's width in SVG units: narrow enough that, scaled down to a 390 px phone, its
#: 13-unit text stays about 9 px high; the page scales it up on wider screens
WIDTH = 480
FONT = 13


def _month_label(month: str, one_year: bool) -> str:
    year, number = month.split("-")
    return f"T{int(number)}" if one_year else f"{int(number)}/{year[2:]}"


def monthly_bars(report: Report) -> str:
    """Stacked bars, one per month, one colour per outcome, with a legend."""
    months = list(report.monthly.items())
    one_year = len({m[:4] for m, _ in months}) <= 1
    width, left, top, plot = WIDTH, 34, 20, 200
    base = top + plot
    peak = max((sum(c.values()) for _, c in months), default=0) or 1
    slot = (width - left - 6) / max(len(months), 1)
    bar = min(40.0, slot * 0.7)
    parts = []
    for index, (month, counts) in enumerate(months):
        x = left + index * slot + (slot - bar) / 2
        y = float(base)
        for outcome in OUTCOMES:
            value = counts[outcome]
            if not value:
                continue
            h = plot * value / peak
            y -= h
            label = f"{month}: {OUTCOME_LABELS[outcome]} {value}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[outcome]}"><title>{escape(label)}</title></rect>'
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{base + 17}" font-size="{FONT}" '
            f'text-anchor="middle">{escape(_month_label(month, one_year))}</text>'
        )
    parts.append(
        f'<text x="{left - 5}" y="{top + 5}" font-size="{FONT}" text-anchor="end">{peak}</text>'
        f'<text x="{left - 5}" y="{base}" font-size="{FONT}" text-anchor="end">0</text>'
        f'<line x1="{left}" y1="{base}" x2="{width - 6}" y2="{base}" stroke="#555"/>'
    )
    legend = []
    x, y = float(left), base + 32
    for outcome in OUTCOMES:
        label = OUTCOME_LABELS[outcome]
        step = 16 + len(label) * FONT * 0.52 + 14
        if x + step > width:
            x, y = float(left), y + 19
        legend.append(
            f'<rect x="{x:.0f}" y="{y}" width="12" height="12" fill="{COLOURS[outcome]}"/>'
            f'<text x="{x + 16:.0f}" y="{y + 11}" font-size="{FONT}">{escape(label)}</text>'
        )
        x += step
    height = y + 18
    title = "Kết quả theo tháng"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{title}" class="chart"><title>{title}</title>'
        + "".join(parts + legend)
        + "</svg>"
    )


def stage_times(report: Report) -> str:
    """One row per stage: its name and figures in words above, below them the median (solid)
    and the p90 (outline) as bars on one scale."""
    stages = list(report.stage_times.items())
    width, row, left = WIDTH, 46, 4
    height = row * len(stages) + 6
    peak = max((d.p90 or 0 for _, d in stages), default=0) or 1
    scale = (width - left - 8) / peak
    parts = []
    for index, (stage, duration) in enumerate(stages):
        y = 4 + index * row
        if duration.median is None or duration.p90 is None:
            text = f"{STAGE_LABELS[stage]}: —"
        else:
            text = (
                f"{STAGE_LABELS[stage]}: trung vị {duration_words(duration.median)}, "
                f"p90 {duration_words(duration.p90)}"
            )
        parts.append(f'<text x="{left}" y="{y + 14}" font-size="{FONT}">{escape(text)}</text>')
        if duration.median is None or duration.p90 is None:
            continue
        p90_w = max(duration.p90 * scale, 1.0)
        med_w = max(duration.median * scale, 1.0)
        parts.append(
            f'<rect x="{left}" y="{y + 21}" width="{p90_w:.1f}" height="16" fill="none" '
            f'stroke="#4a6fa5"><title>{escape(text)}</title></rect>'
            f'<rect x="{left}" y="{y + 21}" width="{med_w:.1f}" height="16" fill="#4a6fa5"/>'
        )
    title = "Thời gian xử lý theo bước"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{title}" class="chart"><title>{title}</title>' + "".join(parts) + "</svg>"
    )
