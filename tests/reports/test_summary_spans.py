"""The per-month span counts a summary seals: each row is counted in exactly the months a
period's query reads it in (``last_us >= month start AND first_us < month end``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clearance.reports.summary import _month_at, _month_starts, _spans

STARTS, LABELS = _month_starts()
LOW_US, HIGH_US = STARTS[125 * 12], STARTS[128 * 12]  # 2025-01 .. 2028-01
DAY = 86_400 * 10**6


@st.composite
def rows(draw: st.DrawFn) -> tuple[int, int, bytes]:
    first = draw(st.integers(LOW_US, HIGH_US))
    last = first + draw(
        st.sampled_from([0, 1, DAY, 31 * DAY, 400 * DAY]) | st.integers(0, 90 * DAY)
    )
    return first, last, draw(st.binary(min_size=16, max_size=32))


def _by_definition(
    found: list[tuple[int, int, bytes]], low: int, high: int
) -> dict[str, tuple[int, int]]:
    spans: dict[str, tuple[int, int]] = {}
    for month in range(low, high + 1):
        inside = [
            seal
            for first, last, seal in found
            if last >= STARTS[month] and first < STARTS[month + 1]
        ]
        if inside:
            spans[LABELS[month]] = (len(inside), sum(int.from_bytes(s[:16], "big") for s in inside))
    return spans


@given(
    st.lists(rows(), max_size=60),
    st.integers(LOW_US - 40 * DAY, HIGH_US),
    st.integers(0, 14),
)
def test_a_row_counts_in_every_month_its_span_is_across_and_only_there(
    found: list[tuple[int, int, bytes]], low_us: int, months: int
) -> None:
    low = _month_at(low_us)
    high = low + months
    assert _spans(found, low, high) == _by_definition(found, low, high)


@given(st.lists(rows(), max_size=60))
def test_without_bounds_every_month_of_the_table_is_counted(
    found: list[tuple[int, int, bytes]],
) -> None:
    low = _month_at(LOW_US)
    high = _month_at(HIGH_US + 500 * DAY)
    assert _spans(found) == _by_definition(found, low, high)
