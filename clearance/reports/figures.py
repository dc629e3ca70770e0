"""The oversight report: figures for a period and filters, each with the log entries behind it.

Periods are in the agency's local time (Asia/Ho_Chi_Minh by default): ``2026-11`` (a month),
``2026-Q4`` (a quarter), ``2026`` (a year), ``01/11/2026..15/11/2026`` (inclusive days, each read
by ``clearance.dates.parse_day``: day/month/year as written in Vietnam, or ISO ``2026-11-01``).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from clearance.dates import DEFAULT_ZONE, parse_day
from clearance.errors import BadInput
from clearance.reports.history import BLOCK_REASONS, Event, History, Item

OUTCOMES = ("submitted", "published", "blocked", "rejected", "sent_back")
STAGES = ("review", "signoff", "publication", "total")


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    start: datetime  # inclusive, aware
    end: datetime  # exclusive, aware

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end  # (compute compares in UTC, the entries' zone)

    def months(self) -> list[tuple[int, int]]:
        local = self.start
        months: list[tuple[int, int]] = []
        year, month = local.year, local.month
        while True:
            first = datetime(year, month, 1, tzinfo=self.start.tzinfo)
            if first >= self.end:
                return months
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def parse_period(text: str, zone: str = DEFAULT_ZONE) -> Period:
    """``YYYY-MM``, ``YYYY-Qn``, ``YYYY`` or ``DD/MM/YYYY..DD/MM/YYYY`` (each day as
    ``parse_day`` reads it, ISO too) in ``zone``."""
    tz = ZoneInfo(zone)
    text = text.strip()

    def at(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=tz)

    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        return Period(text, at(date(year, 1, 1)), at(date(year + 1, 1, 1)))
    if found := re.fullmatch(r"(\d{4})-Q([1-4])", text, flags=re.IGNORECASE):
        year, quarter = int(found.group(1)), int(found.group(2))
        start = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return Period(f"{year}-Q{quarter}", at(start), at(end))
    if found := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(found.group(1)), int(found.group(2))
        if not 1 <= month <= 12:
            raise BadInput(f"month {month} in {text!r} is not 01..12")
        end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return Period(text, at(date(year, month, 1)), at(end))
    if ".." in text:
        first, _, last = text.partition("..")
        a, b = parse_day(first), parse_day(last)
        if b < a:
            raise BadInput(f"the period {text!r} ends before it starts")
        # labelled in ISO whatever the days' spelling (one period, one label: file names too)
        return Period(f"{a.isoformat()}..{b.isoformat()}", at(a), at(b + timedelta(days=1)))
    raise BadInput(
        f"period {text!r} is not YYYY-MM, YYYY-Qn, YYYY or DD/MM/YYYY..DD/MM/YYYY "
        "(e.g. 2026-11, 2026-Q4, 2026, 01/11/2026..15/11/2026)"
    )


@dataclass(frozen=True, slots=True)
class Filters:
    unit: str | None = None
    channel: str | None = None
    theme: str | None = None
    language: str | None = None
    level: str | None = None

    def admits(self, item: Item) -> bool:
        if self.unit is not None and item.unit != self.unit:
            return False
        if self.channel is not None and self.channel not in item.channels:
            return False
        if self.theme is not None and self.theme not in item.themes:
            return False
        if self.language is not None and self.language not in (item.language, *item.languages):
            return False  # an item counts for its main language and each language version
        return self.level is None or item.level == self.level


@dataclass
class Figure:
    """A count and the sequence numbers of the entries behind it."""

    value: int = 0
    entries: list[int] = field(default_factory=list)

    def add(self, event: Event) -> None:
        self.value += 1
        self.entries.append(event.seq)

    def to_json(self) -> dict[str, object]:
        return {"value": self.value, "entries": sorted(self.entries)}


@dataclass
class Duration:
    """Seconds from one event to another over a set of items."""

    seconds: list[float] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)

    def add(self, start: Event, end: Event) -> None:
        self.seconds.append((end.time - start.time).total_seconds())
        self.entries += [start.seq, end.seq]

    def _ordered(self) -> list[float]:
        """The seconds sorted (kept while no second is added: a page asks several times)."""
        cached = self.__dict__.get("_sorted")
        if cached is None or len(cached) != len(self.seconds):
            cached = self.__dict__["_sorted"] = sorted(self.seconds)
        return cached

    @property
    def median(self) -> float | None:
        return statistics.median(self._ordered()) if self.seconds else None

    @property
    def p90(self) -> float | None:
        if not self.seconds:
            return None
        ordered = self._ordered()
        return ordered[min(len(ordered) - 1, max(0, -(-9 * len(ordered) // 10) - 1))]

    def to_json(self) -> dict[str, object]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        return {"count": len(self.seconds), "median_seconds": rounded(self.median),
                "p90_seconds": rounded(self.p90), "entries": sorted(set(self.entries))}  # fmt: skip


@dataclass
class Report:
    period: Period
    filters: Filters
    log_size: int
    outcomes: dict[str, Figure] = field(default_factory=lambda: {k: Figure() for k in OUTCOMES})
    resubmitted: Figure = field(default_factory=Figure)
    blocked_by: dict[str, Figure] = field(
        default_factory=lambda: {k: Figure() for k in BLOCK_REASONS}
    )
    by_channel: dict[str, Figure] = field(default_factory=dict)
    by_theme: dict[str, Figure] = field(default_factory=dict)
    recalls: Figure = field(default_factory=Figure)
    drifts: Figure = field(default_factory=Figure)
    overdue_by_stage: dict[str, Figure] = field(default_factory=dict)
    stage_times: dict[str, Duration] = field(
        default_factory=lambda: {k: Duration() for k in STAGES}
    )
    monthly: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "format": "clearance-report/v1",
            "period": {
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "filters": {k: v for k, v in vars_of(self.filters).items() if v is not None},
            "log_size": self.log_size,
            "outcomes": {k: f.to_json() for k, f in self.outcomes.items()},
            "resubmitted": self.resubmitted.to_json(),
            "blocked_by": {k: f.to_json() for k, f in self.blocked_by.items()},
            "publications_by_channel": {k: f.to_json() for k, f in sorted(self.by_channel.items())},
            "publications_by_theme": {k: f.to_json() for k, f in sorted(self.by_theme.items())},
            "recalls": self.recalls.to_json(),
            "drifts": self.drifts.to_json(),
            "overdue_by_stage": {k: f.to_json() for k, f in sorted(self.overdue_by_stage.items())},
            "stage_times": {k: d.to_json() for k, d in self.stage_times.items()},
            "monthly": self.monthly,
        }


def vars_of(filters: Filters) -> dict[str, str | None]:
    return {"unit": filters.unit, "channel": filters.channel, "theme": filters.theme,
            "language": filters.language, "level": filters.level}  # fmt: skip


def _first(events: Iterable[Event]) -> Event | None:
    """The earliest of ``events`` (an item's lists hold its entries in log order)."""
    return next(iter(events), None)


def compute(history: History, period: Period, filters: Filters = Filters()) -> Report:
    """The report for ``period``: events counted when their entry's time falls in it."""
    report = Report(period, filters, history.size)
    tz = period.start.tzinfo
    months = {f"{y}-{m:02d}": dict.fromkeys(OUTCOMES, 0) for y, m in period.months()}
    report.monthly = months
    # the bounds in UTC, the entries' zone: comparisons need no zone arithmetic
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    outcomes = report.outcomes

    def count(outcome: str, event: Event) -> None:
        if start <= event.time < end:
            outcomes[outcome].add(event)
            local = event.time.astimezone(tz)
            bucket = months.get(f"{local.year}-{local.month:02d}")
            if bucket is not None:
                bucket[outcome] += 1

    unfiltered = filters == Filters()
    for item in history.items.values():
        if item.submitted is None or item.last_time is None or item.first_time is None:
            continue
        if item.last_time < start or item.first_time >= end:
            continue  # nothing of it happened in the period
        if not unfiltered and not filters.admits(item):
            continue
        count("submitted", item.submitted)
        for event in item.resubmissions:
            if start <= event.time < end:
                report.resubmitted.add(event)
        for event, reasons in item.blocked:
            count("blocked", event)
            if start <= event.time < end:
                for reason in reasons:
                    report.blocked_by[reason].add(event)
        for event in item.rejected:
            count("rejected", event)
        for event in item.sent_back:
            count("sent_back", event)
        first_published = _first(e for e, _ in item.published) if item.published else None
        if first_published is not None:
            count("published", first_published)
        for event, channel in item.published:
            if start <= event.time < end:
                report.by_channel.setdefault(channel, Figure()).add(event)
                for theme in item.themes:
                    report.by_theme.setdefault(theme, Figure()).add(event)
        for event in item.recalled:
            if start <= event.time < end:
                report.recalls.add(event)
        for event, _ in item.drifted:
            if start <= event.time < end:
                report.drifts.add(event)
        for event, stage in item.overdue:
            if start <= event.time < end:
                report.overdue_by_stage.setdefault(stage, Figure()).add(event)
        if first_published is not None and start <= first_published.time < end:
            _stage_times(report, item, first_published)
    return report


def _stage_times(report: Report, item: Item, published: Event) -> None:
    assert item.submitted is not None
    times = report.stage_times
    times["total"].add(item.submitted, published)
    screened = _first(e for e in item.screened if e.seq < published.seq)
    approved = _first(e for e in item.approved if e.seq < published.seq)
    if screened is not None:
        times["review"].add(item.submitted, screened)
        if approved is not None:
            times["signoff"].add(screened, approved)
    if approved is not None:
        times["publication"].add(approved, published)


def counts(report: Report) -> Counter[str]:
    """The outcome counts alone (for tests and summaries)."""
    return Counter({k: f.value for k, f in report.outcomes.items()})


def entry_times(item: Item) -> Iterable[datetime]:
    """The times of every entry the replay kept for ``item``."""
    if item.submitted is not None:
        yield item.submitted.time
    for events in (item.resubmissions, item.screened, item.approved, item.rejected,
                   item.sent_back, item.recalled):  # fmt: skip
        for event in events:
            yield event.time
    for pairs in (item.blocked, item.published, item.drifted, item.overdue):
        for pair in pairs:
            yield pair[0].time
    for decision in item.decisions:
        yield decision[0].time


def present(history: History, period: Period) -> dict[str, list[str]]:
    """What the filters can choose from: the units, channels, levels, themes and languages of
    the submitted items with at least one entry in ``period`` (from the log, not every name the
    policy declares: a theme nobody wrote about in the period is not offered)."""
    return offered(present_counts(history, period))


def offered(counts: dict[str, Counter[str]]) -> dict[str, list[str]]:
    """The choices of :func:`present` from the counts of :func:`present_counts`."""
    return {k: sorted(v for v, n in found.items() if n > 0) for k, found in counts.items()}


PRESENT = ("units", "channels", "levels", "themes", "languages")


def present_counts(history: History, period: Period) -> dict[str, Counter[str]]:
    """For each filter, how many of the submitted items with at least one entry in ``period``
    carry each value (summed over items, so a stored month's choices are kept up to date by
    taking a changed item's old values out and its new ones in)."""
    found: dict[str, Counter[str]] = {k: Counter() for k in PRESENT}
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    for item in history.items.values():
        if item.submitted is None or item.last_time is None or item.first_time is None:
            continue
        if item.last_time < start or item.first_time >= end:
            continue
        if not (start <= item.first_time < end or start <= item.last_time < end) and not any(
            start <= moment < end for moment in entry_times(item)
        ):
            continue
        if item.unit:
            found["units"][item.unit] += 1
        found["channels"].update(set(item.channels))
        if item.level:
            found["levels"][item.level] += 1
        found["themes"].update(set(item.themes))
        found["languages"].update({g for g in (item.language, *item.languages) if g})
    return found


def split(period: Period) -> tuple[list[str], list[Period]] | None:
    """``period`` as the whole months (``YYYY-MM``) of the default zone it holds and the parts
    before the first and after the last of them (a custom range ``2026-02-17..2026-05-03``:
    March and April, and 17-28 February and 1-3 May); None when it holds no whole month or is
    in another zone. Every figure counts events by the time of their entry, so the report of
    ``period`` is the merge of the reports of these parts."""
    start, end = period.start, period.end
    if getattr(start.tzinfo, "key", None) != DEFAULT_ZONE or start.tzinfo is not end.tzinfo:
        return None
    tz = start.tzinfo

    def month_start(year: int, month: int) -> datetime:
        return datetime(year, month, 1, tzinfo=tz)

    def next_month(year: int, month: int) -> tuple[int, int]:
        return (year + 1, 1) if month == 12 else (year, month + 1)

    year, month = start.year, start.month
    if month_start(year, month) < start:
        year, month = next_month(year, month)
    months: list[str] = []
    first = month_start(year, month)
    while month_start(*next_month(year, month)) <= end:
        months.append(f"{year}-{month:02d}")
        year, month = next_month(year, month)
    if not months:
        return None
    last = month_start(year, month)
    edges = [Period(f"{period.label} ({a.date()}..)", a, b)
             for a, b in ((start, first), (last, end)) if a < b]  # fmt: skip
    return months, edges


def merge(period: Period, log_size: int, parts: Iterable[Report]) -> Report:
    """The report of ``period`` (no filters) from the reports of the parts it is made of (its
    months, see :func:`split`): every figure counts events by the part their entry falls in,
    and an item's first publication (which places its stage times) falls in exactly one."""
    report = Report(period, Filters(), log_size)

    def into(target: dict[str, Figure], source: dict[str, Figure]) -> None:
        for key, figure in source.items():
            mine = target.setdefault(key, Figure())
            mine.value += figure.value
            mine.entries += figure.entries

    for part in parts:
        into(report.outcomes, part.outcomes)
        into(report.blocked_by, part.blocked_by)
        into(report.by_channel, part.by_channel)
        into(report.by_theme, part.by_theme)
        into(report.overdue_by_stage, part.overdue_by_stage)
        for mine, theirs in ((report.resubmitted, part.resubmitted), (report.recalls,
                             part.recalls), (report.drifts, part.drifts)):  # fmt: skip
            mine.value += theirs.value
            mine.entries += theirs.entries
        for key, duration in part.stage_times.items():
            target = report.stage_times.setdefault(key, Duration())
            target.seconds += duration.seconds
            target.entries += duration.entries
        report.monthly.update(part.monthly)
    report.monthly = {m: report.monthly.get(m, dict.fromkeys(OUTCOMES, 0))
                      for m in (f"{y}-{mo:02d}" for y, mo in period.months())}  # fmt: skip
    return report


#: the tables of a report that hold only the keys something was counted under
_SPARSE = ("by_channel", "by_theme", "overdue_by_stage")
_ALL_TABLES = ("outcomes", "blocked_by", *_SPARSE)
_T = TypeVar("_T", bound=Hashable)


def adjust(report: Report, added: Report, removed: Report) -> None:
    """Count ``added`` into ``report`` and take ``removed`` out of it, in place (all three of
    one period, no filters): a stored month's report when some of its items changed, their
    old contribution (``compute`` over their old rows) out and the new one in, so the cost
    follows the changed items, not the month. Every figure keeps exactly the entries behind
    it; taking out an entry the report does not hold raises ValueError (the stored report
    does not agree with the rows: the caller recomputes it)."""
    for name in _ALL_TABLES:
        mine: dict[str, Figure] = getattr(report, name)
        plus: dict[str, Figure] = getattr(added, name)
        minus: dict[str, Figure] = getattr(removed, name)
        for key in {*plus, *minus}:
            mine[key] = _shifted(mine.get(key, Figure()), plus.get(key), minus.get(key))
            if name in _SPARSE and mine[key].value == 0 and not mine[key].entries:
                del mine[key]  # a full fold holds no key nothing was counted under
    for name in ("resubmitted", "recalls", "drifts"):
        setattr(report, name, _shifted(getattr(report, name), getattr(added, name),
                                       getattr(removed, name)))  # fmt: skip
    for key in {*added.stage_times, *removed.stage_times}:
        mine_d = report.stage_times.get(key, Duration())
        plus_d, minus_d = added.stage_times.get(key), removed.stage_times.get(key)
        report.stage_times[key] = Duration(
            _without(mine_d.seconds + (plus_d.seconds if plus_d else []),
                     minus_d.seconds if minus_d else []),
            _without(mine_d.entries + (plus_d.entries if plus_d else []),
                     minus_d.entries if minus_d else []),
        )  # fmt: skip
    for month in {*added.monthly, *removed.monthly}:
        counts = dict(report.monthly.get(month, dict.fromkeys(OUTCOMES, 0)))  # a merge shares it
        report.monthly[month] = counts
        for outcome in OUTCOMES:
            counts[outcome] += added.monthly.get(month, {}).get(outcome, 0)
            counts[outcome] -= removed.monthly.get(month, {}).get(outcome, 0)
            if counts[outcome] < 0:
                raise ValueError(f"report: {outcome} of {month} below zero")


def _shifted(figure: Figure, plus: Figure | None, minus: Figure | None) -> Figure:
    value = figure.value + (plus.value if plus else 0) - (minus.value if minus else 0)
    entries = _without(figure.entries + (plus.entries if plus else []),
                       minus.entries if minus else [])  # fmt: skip
    if value != len(entries):
        raise ValueError("report: a figure's count does not match its entries")
    return Figure(value, entries)


def _without(values: list[_T], gone: list[_T]) -> list[_T]:
    """``values`` less one occurrence of each of ``gone``; ValueError when one is missing."""
    if not gone:
        return values
    left = Counter(gone)
    kept: list[_T] = []
    for value in values:
        if left.get(value, 0) > 0:
            left[value] -= 1
        else:
            kept.append(value)
    if any(n > 0 for n in left.values()):
        raise ValueError("report: an entry to take out is not in the report")
    return kept


def adjust_counts(
    counts: dict[str, Counter[str]],
    added: dict[str, Counter[str]],
    removed: dict[str, Counter[str]],
) -> None:
    """:func:`present_counts` of a period with ``added`` counted in and ``removed`` taken out."""
    for name in PRESENT:
        mine = counts.setdefault(name, Counter())
        mine.update(added.get(name, Counter()))
        mine.subtract(removed.get(name, Counter()))
        if any(n < 0 for n in mine.values()):
            raise ValueError(f"report: a count of {name} below zero")
        for value in [v for v, n in mine.items() if n == 0]:
            del mine[value]
