"""The stored report summary: advanced from the last folded log index (a new process folds only
the entries written since), figures identical to a full fold of the log for any history, period
and filters, and a summary that was edited, sealed with another key or computed over another
log is rebuilt from the log, never believed."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import text, update

from clearance.auditlog.models import entries
from clearance.errors import VerificationError
from clearance.events import Event
from clearance.reports.figures import Filters, compute, parse_period, present
from clearance.reports.history import History
from clearance.reports.snapshot import state_key
from clearance.reports.source import LiveHistory
from clearance.reports.summary import Summary
from clearance.runtime import Runtime
from clearance.settings import Settings
from tests.webapp.conftest import init_home

NOW = datetime(2026, 11, 3, 3, tzinfo=UTC)
KEY = state_key("a secret key for the tests")
NOVEMBER = parse_period("2026-11")


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = init_home(settings)
    yield runtime
    runtime.close()


def _write(rt: Runtime, first: int, count: int, *, hours: int = 0) -> None:
    """``count`` items submitted, screened and (every third) published, one commit each."""
    for n in range(first, first + count):
        item = f"item-{n}"
        body = {"author": "an", "channels": ["website"], "language": "vi",
                "themes": ["bien_dao"] if n % 2 else []}  # fmt: skip
        events = [
            Event("item.submitted", "an", item, body=body),
            Event("revision.screened", None, item, body={"to": "awaiting_signoff"}),
        ]
        if n % 3 == 0:
            events.append(Event("publication.published", None, item, body={"channel": "website"}))
        with rt.sessions.begin() as session:
            rt.sink.append(session, events, now=NOW + timedelta(hours=hours, minutes=n))


def _full(rt: Runtime) -> History:
    with rt.readers() as session:
        return LiveHistory().current(session)


def _figures(history: History, period_text: str = "2026-11", filters: Filters = Filters()) -> dict:
    return compute(history, parse_period(period_text), filters).to_json()


def _read(rt: Runtime, summary: Summary, period_text: str = "2026-11") -> History:
    period = parse_period(period_text)
    with rt.readers() as session:
        return summary.period(session, period.start, period.end)


def _log_size(rt: Runtime) -> int:
    return _full(rt).size


def test_a_new_process_folds_only_the_new_entries(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "summary.sqlite"
    _write(rt, 0, 12)
    first = Summary(path, KEY)
    history = _read(rt, first)
    assert first.started_from == "rebuilt" and first.folded == history.size == _log_size(rt)
    first.close()
    _write(rt, 12, 7, hours=1)
    before = history.size
    second = Summary(path, KEY)
    resumed = _read(rt, second)
    assert second.started_from == "summary"
    assert second.folded == resumed.size - before > 0  # only what was written since
    assert _figures(resumed) == _figures(_full(rt))
    # the same process goes on: nothing new, nothing folded; then only the new entries
    _read(rt, second)
    assert second.folded == 0
    _write(rt, 19, 2, hours=2)
    again = _read(rt, second)
    assert second.folded == 4 and _figures(again) == _figures(_full(rt))


def test_a_period_reads_only_the_items_with_entries_around_it(rt: Runtime, tmp_path: Path) -> None:
    _write(rt, 0, 3)  # November
    _write(rt, 3, 2, hours=24 * 40)  # December
    summary = Summary(tmp_path / "s.sqlite", KEY)
    november = _read(rt, summary)
    assert set(november.items) == {"item-0", "item-1", "item-2"}
    december = _read(rt, summary, "2026-12")
    assert set(december.items) == {"item-3", "item-4"}
    assert _figures(december, "2026-12") == _figures(_full(rt), "2026-12")


def _tamper(path: Path, statement: str, *args: object) -> None:
    with sqlite3.connect(path) as db:
        db.execute(statement, args)


def test_an_edited_row_is_refused_and_the_summary_rebuilt(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    _write(rt, 0, 6)
    _read(rt, Summary(path, KEY))
    with sqlite3.connect(path) as db:
        (data,) = db.execute("SELECT data FROM items WHERE id = 'item-3'").fetchone()
    forged = bytes(data).replace(b'"website"', b'"press"')  # someone moves a publication
    _tamper(path, "UPDATE items SET data = ? WHERE id = 'item-3'", forged)
    summary = Summary(path, KEY)
    history = _read(rt, summary)
    assert summary.started_from == "rebuilt"
    assert _figures(history) == _figures(_full(rt))
    assert history.items["item-3"].channels == ("website",)


def test_a_removed_row_is_noticed_by_the_sum_of_seals(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    _write(rt, 0, 6)
    _read(rt, Summary(path, KEY))
    _tamper(path, "DELETE FROM items WHERE id = 'item-0'")  # a publication disappears
    summary = Summary(path, KEY)
    history = _read(rt, summary)
    assert summary.started_from == "rebuilt" and "item-0" in history.items
    assert _figures(history) == _figures(_full(rt))


def test_a_row_put_back_from_an_older_copy_is_noticed(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    _write(rt, 0, 1)
    _read(rt, Summary(path, KEY))
    with sqlite3.connect(path) as db:
        old = db.execute("SELECT * FROM items WHERE id = 'item-0'").fetchone()
    with rt.sessions.begin() as session:  # item-0 is recalled later
        rt.sink.append(session, [Event("publication.recalled", None, "item-0")], now=NOW)
    _read(rt, Summary(path, KEY))
    _tamper(
        path, "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", *old
    )  # validly sealed
    summary = Summary(path, KEY)
    history = _read(rt, summary)
    assert summary.started_from == "rebuilt"
    assert compute(history, NOVEMBER).recalls.value == 1


def test_a_summary_sealed_with_another_key_is_refused(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    _write(rt, 0, 4)
    _read(rt, Summary(path, state_key("another installation")))
    summary = Summary(path, KEY)
    _read(rt, summary)
    assert summary.started_from == "rebuilt"


def test_a_summary_of_another_log_is_refused(
    rt: Runtime, tmp_path: Path, settings: Settings
) -> None:
    """A summary computed over another log (a restored backup, another database) does not match
    this log's checkpoint at its size, even when sealed with the right key."""
    path = tmp_path / "s.sqlite"
    other_home = tmp_path / "other"
    url = f"sqlite:///{other_home / 'c.db'}"
    other = init_home(dataclasses.replace(settings, home=other_home, database_url=url))
    try:
        _write(other, 100, 5)
        _read(other, Summary(path, KEY))
    finally:
        other.close()
    _write(rt, 0, 5)
    summary = Summary(path, KEY)
    history = _read(rt, summary)
    assert summary.started_from == "rebuilt" and "item-100" not in history.items


def test_entries_that_do_not_hash_to_the_checkpoint_fail_closed(
    rt: Runtime, tmp_path: Path
) -> None:
    _write(rt, 0, 3)
    with rt.sessions.begin() as session:  # someone with the database: triggers are no obstacle
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("DROP TRIGGER audit_entries_append_only ON audit_entries"))
        else:
            session.execute(text("DROP TRIGGER audit_entries_no_update"))
        leaf = session.execute(entries.select().where(entries.c.seq == 2)).one().leaf
        altered = bytes(leaf).replace(b"awaiting_signoff", b"published_later_")
        session.execute(update(entries).where(entries.c.seq == 2).values(leaf=altered))
    with pytest.raises(VerificationError, match="audit verify"):
        _read(rt, Summary(tmp_path / "s.sqlite", KEY))
    with rt.readers() as session, pytest.raises(VerificationError, match="audit verify"):
        LiveHistory().current(session)


# -- incremental == full, for random histories ----------------------------------------------------

USERS = ("an", "binh", "chi")
UNITS = ("so-tttt", "so-vhtt", None)
THEMES = ("bien_dao", "asean", "nhan_quyen")
CHANNELS = ("website", "press", "facebook")
LANGUAGES = ("vi", "en", "fr")
LEVELS = ("cong_khai", "noi_bo", "mat")
STAGES = ("review", "signoff")


def _subset(pool: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(pool), unique=True, max_size=len(pool))


_ITEM = st.sampled_from([f"I{n}" for n in range(6)])
_STEP = st.one_of(
    st.builds(
        lambda user, unit: ("user.registered", None, {"username": user, "unit": unit}),
        st.sampled_from(USERS),
        st.sampled_from(UNITS),
    ),
    st.builds(
        lambda item, author, channels, themes, language, versions: (
            "item.submitted",
            item,
            {
                "author": author,
                "channels": channels,
                "themes": themes,
                "language": language,
                "versions": [{"language": v} for v in versions],
            },
        ),
        _ITEM,
        st.sampled_from(USERS),
        _subset(CHANNELS),
        _subset(THEMES),
        st.sampled_from(LANGUAGES),
        _subset(LANGUAGES),
    ),
    st.builds(
        lambda item, level: ("revision.classified", item, {"level": level}),
        _ITEM,
        st.sampled_from(LEVELS),
    ),
    st.builds(
        lambda item, rule: (
            "revision.screened",
            item,
            {"to": "blocked", "findings": [{"rule": rule, "severity": "block"}]},
        ),
        _ITEM,
        st.sampled_from(("marking.mat", "pii.cccd", "metadata.author", "filetype.exe")),
    ),
    st.builds(lambda item: ("revision.screened", item, {"to": "awaiting_signoff"}), _ITEM),
    st.builds(
        lambda item, kind: (kind, item, {}),
        _ITEM,
        st.sampled_from(
            (
                "revision.approved",
                "revision.rejected",
                "revision.changes_requested",
                "publication.recalled",
            )
        ),
    ),
    st.builds(
        lambda item, kind, channel: (kind, item, {"channel": channel}),
        _ITEM,
        st.sampled_from(("publication.published", "publication.drifted")),
        st.sampled_from(CHANNELS),
    ),
    st.builds(
        lambda item, kind, stage: (kind, item, {"stage": stage}),
        _ITEM,
        st.sampled_from(("signoff.overdue", "signoff.decided")),
        st.sampled_from(STAGES),
    ),
)
#: a commit: its steps and the hours since the previous one (histories cross month boundaries)
_COMMIT = st.tuples(st.lists(_STEP, min_size=1, max_size=4), st.integers(0, 24 * 25))
_PERIODS = st.sampled_from(("2026-11", "2026-12", "2027-01", "2026-Q4", "2027", "2026",
                            "2026-11-20..2026-12-05", "2026-11-20..2027-01-05",
                            "2026-11-01..2026-12-10"))  # fmt: skip
_FILTERS = st.builds(
    Filters,
    unit=st.none() | st.sampled_from(UNITS[:2]),
    channel=st.none() | st.sampled_from(CHANNELS),
    theme=st.none() | st.sampled_from(THEMES),
    language=st.none() | st.sampled_from(LANGUAGES),
    level=st.none() | st.sampled_from(LEVELS),
)


@hsettings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: the log grows
)
@given(
    batches=st.lists(st.lists(_COMMIT, min_size=1, max_size=6), min_size=1, max_size=4),
    restart=st.lists(st.booleans(), min_size=4, max_size=4),
    periods=st.lists(_PERIODS, min_size=1, max_size=3),
    filters=st.lists(_FILTERS, min_size=1, max_size=3),
)
def test_incremental_figures_equal_a_full_fold(
    rt: Runtime,
    tmp_path_factory: pytest.TempPathFactory,
    batches: list[list[tuple[list[tuple[str, str | None, dict]], int]]],
    restart: list[bool],
    periods: list[str],
    filters: list[Filters],
) -> None:
    """Random histories written in random batches; after each batch the summary is advanced
    (by the same process or a new one) and every period and filter gives the figures, and the
    filter choices, of a fold of the whole log from entry 0. A month whose report was stored
    in an earlier batch is brought up to date from its changed items (subtract the old, add the
    new), never recomputed from all its rows."""
    path = tmp_path_factory.mktemp("summary") / "s.sqlite"
    summary = Summary(path, KEY)
    now = NOW
    stored: set[str] = set()  # the months with a stored report (from the earlier batches)
    for batch, new_process in zip(batches, restart, strict=False):
        for steps, hours in batch:
            now += timedelta(hours=hours)
            events = [Event(kind, USERS[0], item, body=body) for kind, item, body in steps]
            with rt.sessions.begin() as session:
                rt.sink.append(session, events, now=now)
        if new_process:
            summary.close()
            summary = Summary(path, KEY)
        summary.recomputed.clear()
        full = _full(rt)
        for text_ in periods:
            period = parse_period(text_)
            read = _read(rt, summary, text_)
            assert read.size == full.size
            assert present(read, period) == present(full, period)
            for chosen in [Filters(), *filters]:
                expected = _figures(full, text_, chosen)
                assert _figures(read, text_, chosen) == expected
                with rt.readers() as session:  # whole months without filters: month reports
                    report, _, offered = summary.report(session, period, chosen)
                got = report.to_json()
                assert {k: (v, expected[k]) for k, v in got.items() if v != expected[k]} == {}
                assert offered == present(full, period)
        assert stored.isdisjoint(summary.recomputed)
        stored.update(summary.recomputed)
    summary.close()


def test_filters_offer_only_what_the_period_holds() -> None:
    """The theme and language choices come from the items with entries in the period, not from
    every theme the policy declares or every item ever submitted."""
    from tests.reports.test_reports import Log

    log = Log()
    log.add("policy.loaded", document={"themes": [{"id": t, "label_vi": t} for t in THEMES]})
    log.add("item.submitted", "A", "an", author="an", themes=["bien_dao"], language="vi",
            channels=["website"])  # fmt: skip
    log.add("item.submitted", "B", "an", author="an", themes=["asean"], language="en",
            versions=[{"language": "en"}, {"language": "fr"}], hours=24 * 40)  # fmt: skip
    history = log.history()
    october, november = parse_period("2026-10"), parse_period("2026-11")
    assert present(history, october)["themes"] == ["bien_dao"]
    assert present(history, october)["languages"] == ["vi"]
    assert present(history, november)["themes"] == ["asean"]
    assert present(history, november)["languages"] == ["en", "fr"]
    assert present(history, parse_period("2026-12"))["themes"] == []


def test_a_month_report_edited_or_put_back_is_recomputed(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    _write(rt, 0, 6)

    def month_report() -> dict:
        with rt.readers() as session:
            report, _, _ = Summary(path, KEY).report(session, NOVEMBER)
        return report.to_json()

    assert month_report() == _figures(_full(rt))
    with sqlite3.connect(path) as db:
        old = db.execute("SELECT * FROM months WHERE month = '2026-11'").fetchone()
    _tamper(path, "UPDATE months SET data = replace(data, '[2,', '[9,')")  # a figure raised
    assert month_report() == _figures(_full(rt))
    _write(rt, 6, 3)  # November moves on; then the older, validly sealed report is put back
    assert month_report() == _figures(_full(rt))
    _tamper(path, "INSERT OR REPLACE INTO months VALUES (?, ?, ?, ?)", *old)
    assert month_report() == _figures(_full(rt))
    assert month_report()["outcomes"]["submitted"]["value"] == 9


def test_a_month_report_follows_the_new_entries_not_the_month(rt: Runtime, tmp_path: Path) -> None:
    """After new entries in a month whose report is stored, the next report takes out the old
    contribution of the items that changed and adds their new one: the month is not recomputed
    from its rows, and every figure (its entries included) is that of a full fold."""
    path = tmp_path / "s.sqlite"
    _write(rt, 0, 9)
    summary = Summary(path, KEY)
    with rt.readers() as session:
        summary.report(session, NOVEMBER)
    assert summary.recomputed == ["2026-11"]
    _write(rt, 9, 3, hours=30)  # three new items in November
    with rt.sessions.begin() as session:  # and one old item published, with another theme
        rt.sink.append(session, [
            Event("item.submitted", "an", "item-1", body={"author": "an", "channels": ["press"],
                  "language": "en", "themes": ["asean"]}),
            Event("publication.published", None, "item-1", body={"channel": "press"}),
        ], now=NOW + timedelta(hours=40))  # fmt: skip
    summary.recomputed.clear()
    with rt.readers() as session:
        report, _, offered = summary.report(session, NOVEMBER)
    assert summary.recomputed == [] and summary.adjusted == ["2026-11"]
    assert report.to_json() == _figures(_full(rt))
    assert offered == present(_full(rt), NOVEMBER)
    assert report.by_theme["asean"].value == 1 and "en" in offered["languages"]
    summary.close()
    with rt.readers() as session:  # a new process reads the adjusted report as stored
        again = Summary(path, KEY)
        assert again.report(session, NOVEMBER)[0].to_json() == _figures(_full(rt))
        assert again.recomputed == []
        again.close()


def test_a_custom_range_is_cut_into_whole_months_and_the_days_around(
    rt: Runtime, tmp_path: Path
) -> None:
    """A custom range across months reads the stored reports of its whole months and only the
    rows of the days before and after them; with filters, only the rows that can match are
    decoded, every row of the period checked against its seal all the same."""
    for hours in (0, 24 * 20, 24 * 35, 24 * 64):  # 3 Nov, 23 Nov, 8 Dec, 6 Jan
        _write(rt, hours, 4, hours=hours)
    summary = Summary(path := tmp_path / "s.sqlite", KEY)
    full = _full(rt)
    text_ = "2026-11-20..2027-01-10"
    with rt.readers() as session:
        report, history, offered = summary.report(session, parse_period(text_))
        assert summary.recomputed == ["2026-12"]  # the whole month; the days around from rows
        around = (*range(480, 484), *range(1536, 1540))  # 23 Nov and 7 Jan
        assert set(history.items) == {f"item-{n}" for n in around}
        assert report.to_json() == _figures(full, text_)
        assert offered == present(full, parse_period(text_))
        themed = Filters(channel="website", theme="bien_dao")
        report, history, offered = summary.report(session, parse_period(text_), themed)
        assert report.to_json() == _figures(full, text_, themed)
        assert offered == present(full, parse_period(text_))
        assert all("bien_dao" in item.themes for item in history.items.values())
    summary.close()
    _tamper(path, "UPDATE items SET data = CAST(replace(data, '\"bien_dao\"', '\"asean\"') "
                  "AS BLOB) WHERE id = 'item-841'")  # fmt: skip
    with rt.readers() as session:  # a row the filter would skip was edited: rebuilt, not used
        again = Summary(path, KEY)
        report, _, _ = again.report(session, parse_period(text_), themed)
        assert again.started_from == "rebuilt"
        assert report.to_json() == _figures(full, text_, themed)
        again.close()


def test_a_month_report_put_back_under_a_running_process_is_noticed(
    rt: Runtime, tmp_path: Path
) -> None:
    """The process keeps the month reports it checked (a row with the same seal is not read
    again), yet an older, validly sealed report put back under it is not believed."""
    path = tmp_path / "s.sqlite"
    _write(rt, 0, 6)
    summary = Summary(path, KEY)

    def month_report() -> dict:
        with rt.readers() as session:
            report, _, _ = summary.report(session, NOVEMBER)
        return report.to_json()

    assert month_report() == _figures(_full(rt))
    with sqlite3.connect(path) as db:
        old = db.execute("SELECT * FROM months WHERE month = '2026-11'").fetchone()
    _write(rt, 6, 3)
    assert month_report() == _figures(_full(rt))
    assert summary.adjusted == ["2026-11"] and summary.recomputed == ["2026-11"]
    _tamper(path, "INSERT OR REPLACE INTO months VALUES (?, ?, ?, ?)", *old)
    assert month_report() == _figures(_full(rt))
    assert month_report()["outcomes"]["submitted"]["value"] == 9
    assert summary.recomputed == ["2026-11", "2026-11"]  # the older report was not used
    summary.close()


@pytest.mark.parametrize("column", ["first_us", "last_us"])
def test_a_row_whose_time_span_is_edited_out_of_a_period_is_noticed(
    rt: Runtime, tmp_path: Path, column: str
) -> None:
    """A row's span decides which periods read it: edited so that the row leaves the quarter
    (its seal is then wrong, but a period that does not read the row never checks it), the
    quarter's months still know how many sealed rows they hold, so the report is rebuilt from
    the log, not computed without the item; in a running process and in a new one, filtered
    and not, and when the months are recomputed."""
    path = tmp_path / "s.sqlite"
    _write(rt, 0, 6)  # November
    _write(rt, 6, 3, hours=24 * 40)  # December
    quarter = parse_period("2026-Q4")
    themed = Filters(theme="bien_dao")
    full = _full(rt)
    running = Summary(path, KEY)
    with rt.readers() as session:
        assert running.report(session, quarter, themed)[0].to_json() == _figures(
            full, "2026-Q4", themed
        )
    moved = int(datetime(2027, 3, 1, tzinfo=UTC).timestamp() * 1_000_000)
    gone = int(datetime(2026, 8, 1, tzinfo=UTC).timestamp() * 1_000_000)

    def edit() -> None:
        value = moved if column == "first_us" else gone
        _tamper(path, f"UPDATE items SET {column} = ? WHERE id = 'item-3'", value)

    edit()
    with rt.readers() as session:  # the process that is running
        report, history, _ = running.report(session, quarter, themed)
        assert running.started_from == "rebuilt" and "item-3" in history.items
        assert report.to_json() == _figures(full, "2026-Q4", themed)
    running.close()
    for months_kept in (True, False):
        edit()
        if not months_kept:
            _tamper(path, "DELETE FROM months")  # recomputed from the rows of each month
        for filters in (themed, Filters()):
            again = Summary(path, KEY)
            with rt.readers() as session:
                report, _, _ = again.report(session, quarter, filters)
            assert again.started_from == "rebuilt", (months_kept, filters)
            assert report.to_json() == _figures(full, "2026-Q4", filters)
            again.close()
            edit()


def _head_without_month_spans(path: Path) -> None:
    """Rewrite the head as a summary of the previous layout wrote it (no month spans), sealed
    with the key as that version sealed it (a keyed BLAKE2b over ``head\\0`` + the payload)."""
    import hashlib
    import json

    with sqlite3.connect(path) as db:
        (raw,) = db.execute("SELECT value FROM meta WHERE name = 'head'").fetchone()
        doc = json.loads(bytes(raw).partition(b"\n")[2])
        assert "spans" in doc
        del doc["spans"]
        payload = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        seal = hashlib.blake2b(b"head\0" + payload, key=KEY[:64], digest_size=32).hexdigest()
        db.execute("UPDATE meta SET value = ? WHERE name = 'head'",
                   (seal.encode() + b"\n" + payload,))  # fmt: skip


@pytest.mark.parametrize("edited", [False, True])
def test_a_summary_written_before_the_month_spans_is_kept_and_its_rows_checked(
    rt: Runtime, tmp_path: Path, edited: bool
) -> None:
    """An upgrade keeps the stored summary (no fold of the whole log): the months' counts are
    taken from the rows, every seal checked, so a span edited before the upgrade is noticed."""
    path = tmp_path / "s.sqlite"
    _write(rt, 0, 6)
    _write(rt, 6, 3, hours=24 * 40)
    first = Summary(path, KEY)
    with rt.readers() as session:
        first.report(session, parse_period("2026-Q4"))
    first.close()
    _head_without_month_spans(path)
    if edited:
        _tamper(path, "UPDATE items SET first_us = first_us + 86400000000 * 120 "
                      "WHERE id = 'item-3'")  # fmt: skip
    upgraded = Summary(path, KEY)
    with rt.readers() as session:
        report, _, _ = upgraded.report(session, parse_period("2026-Q4"), Filters(theme="bien_dao"))
    assert upgraded.started_from == ("rebuilt" if edited else "summary")
    assert upgraded.folded == (_log_size(rt) if edited else 0)
    assert report.to_json() == _figures(_full(rt), "2026-Q4", Filters(theme="bien_dao"))
    upgraded.close()
    with sqlite3.connect(path) as db:  # the head now keeps them
        (raw,) = db.execute("SELECT value FROM meta WHERE name = 'head'").fetchone()
    assert b'"spans":{' in bytes(raw)


def test_the_background_refresh_recomputes_the_months_so_a_page_does_not(rt: Runtime) -> None:
    """After an upgrade or a bulk import no stored month report is usable (here: none left);
    the background refresh recomputes them, newest first, into the installation's summary, and
    the page's handle then finds every month of the quarter stored and recomputes none, folding
    only the entries written since."""
    from clearance.reports.stored import refresh_stored, stored_summary

    _write(rt, 0, 6)  # November
    _write(rt, 6, 3, hours=24 * 40)  # December
    quarter = parse_period("2026-Q4")
    first = stored_summary(rt.settings)
    with rt.readers() as session:
        first.report(session, quarter)
    assert {"2026-11", "2026-12"} <= set(first.recomputed)
    first.close()
    _tamper(first.path, "DELETE FROM months")
    # every month of the years with items (a quarter asks for its empty ones too), newest first
    assert refresh_stored(rt) == [f"2026-{m:02d}" for m in range(12, 0, -1)]
    assert refresh_stored(rt) == []  # all up to date: nothing done again
    _write(rt, 9, 2, hours=24 * 41)  # then two more items in December
    page = stored_summary(rt.settings)
    with rt.readers() as session:
        report, _, _ = page.report(session, quarter)
    assert page.recomputed == [] and page.adjusted == ["2026-12"]
    assert page.started_from == "summary" and page.folded == 5  # item-9 was published
    assert report.to_json() == _figures(_full(rt), "2026-Q4")
    page.close()


def test_a_filtered_page_reads_only_the_rows_holding_the_rarest_value(
    rt: Runtime, tmp_path: Path
) -> None:
    """With the quarter's months stored, a filtered page reads the rows that hold the rarest
    chosen value (every month keeps how many rows hold each value it offers, and their seals'
    sum), not every row of the quarter; the figures are those of a full fold."""
    _write(rt, 0, 8)  # November: item-1, -3, -5, -7 have the theme
    _write(rt, 8, 4, hours=24 * 40)  # December: item-9, -11
    quarter = parse_period("2026-Q4")
    summary = Summary(tmp_path / "s.sqlite", KEY)
    themed = Filters(channel="website", theme="bien_dao")
    with rt.readers() as session:
        summary.report(session, quarter)  # the months stored
        report, history, _ = summary.report(session, quarter, themed)
    assert summary.rows_read == 6 and set(history.items) == {
        f"item-{n}" for n in (1, 3, 5, 7, 9, 11)
    }
    assert report.to_json() == _figures(_full(rt), "2026-Q4", themed)
    summary.close()


@pytest.mark.parametrize("edit", ["data", "first_us"])
def test_a_row_edited_so_that_the_filter_skips_it_is_noticed(
    rt: Runtime, tmp_path: Path, edit: str
) -> None:
    """A row edited so that it no longer holds the chosen value (or no longer spans the months)
    is not read by the filtered page, yet the month's count of rows holding the value notices
    it: rebuilt from the log, not computed without the item."""
    path = tmp_path / "s.sqlite"
    _write(rt, 0, 8)
    _write(rt, 8, 4, hours=24 * 40)
    quarter = parse_period("2026-Q4")
    themed = Filters(theme="bien_dao")
    first = Summary(path, KEY)
    with rt.readers() as session:
        first.report(session, quarter)
    first.close()
    if edit == "data":
        _tamper(path, "UPDATE items SET data = CAST(replace(data, '\"bien_dao\"', '\"asean\"') "
                      "AS BLOB) WHERE id = 'item-3'")  # fmt: skip
    else:
        _tamper(path, "UPDATE items SET first_us = first_us + 86400000000 * 200 "
                      "WHERE id = 'item-3'")  # fmt: skip
    again = Summary(path, KEY)
    with rt.readers() as session:
        report, history, _ = again.report(session, quarter, themed)
    assert again.started_from == "rebuilt" and "item-3" in history.items
    assert report.to_json() == _figures(_full(rt), "2026-Q4", themed)
    again.close()


def test_new_entries_in_two_months_update_both_stored_months(rt: Runtime, tmp_path: Path) -> None:
    """A page after new entries in November and December brings both stored month reports up
    to date (figures, choices and the counts of rows holding each value), from the changed
    items alone: unfiltered and filtered pages equal a full fold, and a new process reads the
    months as stored."""
    path = tmp_path / "s.sqlite"
    _write(rt, 0, 6)
    _write(rt, 6, 4, hours=24 * 40)
    quarter = parse_period("2026-Q4")
    themed = Filters(theme="bien_dao")
    summary = Summary(path, KEY)
    with rt.readers() as session:
        summary.report(session, quarter)
    assert {"2026-11", "2026-12"} <= set(summary.recomputed)
    summary.recomputed.clear()
    _write(rt, 10, 3, hours=30)  # November
    _write(rt, 13, 3, hours=24 * 41)  # December
    with rt.sessions.begin() as session:  # an old November item takes the theme in December
        rt.sink.append(session, [
            Event("item.submitted", "an", "item-0", body={"author": "an", "channels": ["website"],
                  "language": "vi", "themes": ["bien_dao"]}),
        ], now=NOW + timedelta(days=40))  # fmt: skip
    full = _full(rt)
    with rt.readers() as session:
        report, _, offered = summary.report(session, quarter)
        assert summary.recomputed == [] and summary.adjusted == ["2026-11", "2026-12"]
        assert report.to_json() == _figures(full, "2026-Q4")
        assert offered == present(full, quarter)
        filtered, history, _ = summary.report(session, quarter, themed)
    assert summary.recomputed == [] and "item-0" in history.items
    assert summary.rows_read == sum("bien_dao" in i.themes for i in full.items.values())
    assert filtered.to_json() == _figures(full, "2026-Q4", themed)
    summary.close()
    again = Summary(path, KEY)
    with rt.readers() as session:
        assert again.report(session, quarter)[0].to_json() == _figures(full, "2026-Q4")
        assert again.report(session, quarter, themed)[0].to_json() == _figures(
            full, "2026-Q4", themed
        )
    assert again.recomputed == [] and again.started_from == "summary"
    again.close()


def test_the_refresh_counts_a_value_the_months_did_not_know(rt: Runtime, tmp_path: Path) -> None:
    """A unit (or a theme the policy declares) that appears after the months were stored is not
    in their counts: a page filtered by it reads every row (right, not fast); the background
    refresh recomputes those months, and the page then reads only the rows holding it."""
    from clearance.reports.stored import refresh_stored, stored_summary

    _write(rt, 0, 6)
    _write(rt, 6, 3, hours=24 * 40)
    quarter = parse_period("2026-Q4")
    page = stored_summary(rt.settings)
    with rt.readers() as session:
        page.report(session, quarter)
    with rt.sessions.begin() as session:
        rt.sink.append(session, [Event("user.registered", None, None,
                                       body={"username": "moi", "unit": "so-moi"})],
                       now=NOW + timedelta(days=41))  # fmt: skip
        rt.sink.append(session, [Event("item.submitted", "moi", "item-new", body={
            "author": "moi", "channels": ["website"], "language": "vi", "themes": []})],
            now=NOW + timedelta(days=42))  # fmt: skip
    by_unit = Filters(unit="so-moi")
    full = _full(rt)
    with rt.readers() as session:
        report, _, _ = page.report(session, quarter, by_unit)
    assert report.to_json() == _figures(full, "2026-Q4", by_unit)
    assert page.rows_read == 10  # every row of the quarter's months
    page.close()
    assert set(refresh_stored(rt)) >= {"2026-10", "2026-11", "2026-12"}
    again = stored_summary(rt.settings)
    with rt.readers() as session:
        report, history, _ = again.report(session, quarter, by_unit)
    assert again.rows_read == 1 and set(history.items) == {"item-new"}
    assert report.to_json() == _figures(full, "2026-Q4", by_unit)
    again.close()


@pytest.mark.parametrize("edited", [None, "last_us", "data"])
def test_the_days_around_whole_months_read_only_their_rows(
    rt: Runtime, tmp_path: Path, edited: str | None
) -> None:
    """A custom range's days before and after its whole months read only the rows across those
    days when their month is stored (it counts the rows across each day and their seals), not
    every row of the month; a row edited out of the days (left in the month) changes a day's
    count, an edited row read fails its seal: rebuilt from the log either way."""
    path = tmp_path / "s.sqlite"
    for hours in (0, 24 * 20, 24 * 35, 24 * 64):  # 3 Nov, 23 Nov, 8 Dec, 6 Jan
        _write(rt, hours, 4, hours=hours)
    summary = Summary(path, KEY)
    text_ = "2026-11-20..2027-01-10"
    with rt.readers() as session:
        for month in ("2026-11", "2027-01"):
            summary.report(session, parse_period(month))  # the months of the days stored
        report, history, _ = summary.report(session, parse_period(text_))
    assert summary.rows_read == 8  # 23 Nov and 6 Jan, not 3 Nov
    assert set(history.items) == {f"item-{n}" for n in (*range(480, 484), *range(1536, 1540))}
    assert report.to_json() == _figures(_full(rt), text_)
    summary.close()
    if edited is None:
        return
    if edited == "last_us":  # 23 Nov moved to 4 Nov: still November, out of the days
        moved = int(datetime(2026, 11, 4, 3, tzinfo=UTC).timestamp() * 1_000_000)
        _tamper(path, "UPDATE items SET first_us = ?, last_us = ? WHERE id = 'item-481'",
                moved, moved)  # fmt: skip
    else:
        _tamper(path, "UPDATE items SET data = CAST(replace(data, '\"website\"', '\"press\"') "
                      "AS BLOB) WHERE id = 'item-481'")  # fmt: skip
    again = Summary(path, KEY)
    with rt.readers() as session:
        report, history, _ = again.report(session, parse_period(text_))
    assert again.started_from == "rebuilt" and "item-481" in history.items
    assert report.to_json() == _figures(_full(rt), text_)
    again.close()
