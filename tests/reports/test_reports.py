"""Oversight figures from a generated history with known counts, traced to its entries."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearance.errors import BadInput
from clearance.reports import charts, exports
from clearance.reports.figures import Filters, compute, parse_period
from clearance.reports.history import History

START = datetime(2026, 10, 1, 2, tzinfo=UTC)  # 09:00 in Hà Nội


class Log:
    """Entries as ``entries.jsonl`` holds them (only the fields reports read)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.now = START

    def add(self, kind: str, item: str | None = None, actor: str | None = None,
            hours: float = 1, **body: object) -> int:  # fmt: skip
        self.now += timedelta(hours=hours)
        seq = len(self.lines)
        entry = {"seq": seq, "type": kind, "item": item, "actor": actor, "body": body,
                 "time": self.now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}  # fmt: skip
        self.lines.append(json.dumps(entry, ensure_ascii=False))
        return seq

    def history(self) -> History:
        history = History()
        history.extend(self.lines)
        return history


def _story() -> tuple[Log, dict[str, list[int]]]:
    log, seqs = Log(), {}
    log.add("policy.loaded", document= {"metadata": {"issuer": "UBND tỉnh Hưng Yên"},
            "channels": {"website": {"label_vi": "Cổng thông tin"}},
            "themes": [{"id": "bien_dao", "label_vi": "Biển, đảo"}]})  # fmt: skip
    log.add("user.registered", username="an", unit="so-tttt")
    log.add("user.registered", username="binh", unit="so-vhtt")
    # A: published on two channels, themed
    seqs["a_sub"] = [log.add("item.submitted", "A", "an", author="an", channels=["website",
                     "press"], themes=["bien_dao"], language="vi")]  # fmt: skip
    log.add("revision.classified", "A", level="cong_khai")
    log.add("revision.screened", "A", to="awaiting_signoff", verdict="clear")
    log.add("revision.approved", "A", hours=5)
    seqs["a_pub"] = [log.add("publication.published", "A", channel="website"),
                     log.add("publication.published", "A", channel="press")]  # fmt: skip
    # B: sent back twice, then published (English version)
    log.add("item.submitted", "B", "binh", author="binh", channels=["website"], language="en")
    log.add("revision.screened", "B", to="awaiting_signoff")
    seqs["b_back"] = [log.add("revision.changes_requested", "B")]
    seqs["b_resub"] = [log.add("item.submitted", "B", "binh", author="binh", channels=["website"])]
    log.add("revision.screened", "B", to="awaiting_signoff")
    seqs["b_back"].append(log.add("revision.changes_requested", "B"))
    seqs["b_resub"].append(log.add("item.submitted", "B", "binh", author="binh"))
    log.add("revision.screened", "B", to="awaiting_signoff")
    log.add("revision.approved", "B")
    log.add("publication.published", "B", channel="website")
    # C: blocked for a marking, resubmitted, blocked again for personal data
    log.add("item.submitted", "C", "an", author="an", channels=["website"])
    seqs["c_blocked"] = [log.add("revision.screened", "C", to="blocked", verdict="blocked",
                         findings=[{"rule": "marking.mat", "severity": "block"}])]  # fmt: skip
    log.add("item.submitted", "C", "an", author="an")
    seqs["c_blocked"].append(
        log.add(
            "revision.screened",
            "C",
            to="blocked",
            findings=[
                {"rule": "pii.cccd", "severity": "block"},
                {"rule": "pii.phone", "severity": "warn"},
            ],
        )
    )
    # D: rejected; A recalled; an overdue sign-off
    log.add("item.submitted", "D", "an", author="an", channels=["website"])
    seqs["d_rej"] = [log.add("revision.rejected", "D")]
    seqs["recall"] = [log.add("item.recalled", "A")]
    seqs["overdue"] = [log.add("signoff.overdue", "D", stage="leader_review")]
    # E: submitted in November, published in January (outside the quarter's publications)
    log.now = datetime(2026, 11, 20, tzinfo=UTC)
    log.add("item.submitted", "E", "binh", author="binh", channels=["website"])
    log.now = datetime(2027, 1, 5, tzinfo=UTC)
    log.add("publication.published", "E", channel="website")
    return log, seqs


def test_the_quarter_counts_what_happened_and_cites_its_entries() -> None:
    log, seqs = _story()
    history = log.history()
    report = compute(history, parse_period("2026-Q4"))
    data = report.to_json()
    outcomes = {k: v["value"] for k, v in data["outcomes"].items()}
    assert outcomes == {"submitted": 5, "published": 2, "blocked": 2, "rejected": 1,
                        "sent_back": 2}  # fmt: skip
    assert data["outcomes"]["sent_back"]["entries"] == seqs["b_back"]
    assert data["resubmitted"] == {"value": 3, "entries": sorted(seqs["b_resub"] + [21])}
    assert data["blocked_by"]["marking"]["entries"] == seqs["c_blocked"][:1]
    assert data["blocked_by"]["personal_data"]["entries"] == seqs["c_blocked"][1:]
    assert data["publications_by_channel"]["press"]["entries"] == seqs["a_pub"][1:]
    assert data["publications_by_channel"]["website"]["value"] == 2
    assert data["publications_by_theme"] == {"bien_dao": {"value": 2, "entries": seqs["a_pub"]}}
    assert data["recalls"]["entries"] == seqs["recall"]
    assert data["overdue_by_stage"] == {"leader_review": {"value": 1, "entries": seqs["overdue"]}}
    assert data["monthly"]["2026-10"]["submitted"] == 4
    assert data["monthly"]["2026-11"]["submitted"] == 1
    # A: submitted -> approved 7 h (screened at +2 h), published 1 h after approval
    assert data["stage_times"]["publication"]["count"] == 2
    total = data["stage_times"]["total"]
    assert total["count"] == 2 and total["p90_seconds"] >= total["median_seconds"]


def test_filters_narrow_every_figure() -> None:
    log, _ = _story()
    history = log.history()
    quarter = parse_period("2026-Q4")
    by_unit = compute(history, quarter, Filters(unit="so-vhtt")).to_json()
    assert by_unit["outcomes"]["submitted"]["value"] == 2  # B and E
    assert by_unit["outcomes"]["blocked"]["value"] == 0
    assert (
        compute(history, quarter, Filters(language="en")).to_json()["outcomes"]["published"][
            "value"
        ]
        == 1
    )
    assert (
        compute(history, quarter, Filters(channel="press")).to_json()["outcomes"]["submitted"][
            "value"
        ]
        == 1
    )
    assert compute(history, quarter, Filters(theme="bien_dao")).to_json()["recalls"]["value"] == 1
    assert (
        compute(history, quarter, Filters(level="cong_khai")).to_json()["outcomes"]["submitted"][
            "value"
        ]
        == 1
    )


def test_january_sees_the_late_publication_only() -> None:
    log, _ = _story()
    report = compute(log.history(), parse_period("2027-01")).to_json()
    assert report["outcomes"]["published"]["value"] == 1
    assert report["outcomes"]["submitted"]["value"] == 0
    assert report["stage_times"]["total"]["count"] == 1


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11", "2026-11-01T00:00:00+07:00", "2026-12-01T00:00:00+07:00"),
        ("2026-12", "2026-12-01T00:00:00+07:00", "2027-01-01T00:00:00+07:00"),
        ("2026-q1", "2026-01-01T00:00:00+07:00", "2026-04-01T00:00:00+07:00"),
        ("2026", "2026-01-01T00:00:00+07:00", "2027-01-01T00:00:00+07:00"),
        ("2026-02-27..2026-03-01", "2026-02-27T00:00:00+07:00", "2026-03-02T00:00:00+07:00"),
    ],
)
def test_periods_are_local_days(text: str, start: str, end: str) -> None:
    period = parse_period(text)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26-11", "2026-11-02..2026-11-01", ""])
def test_bad_periods_say_what_to_write(text: str) -> None:
    with pytest.raises(BadInput):
        parse_period(text)


def test_an_event_at_local_midnight_falls_in_the_local_month() -> None:
    log = Log()
    log.now = datetime(2026, 10, 31, 17, 0, 1, tzinfo=UTC) - timedelta(hours=1)  # 00:00:01 +07
    log.add("item.submitted", "X", "an", author="an")
    history = log.history()
    assert compute(history, parse_period("2026-11")).outcomes["submitted"].value == 1
    assert compute(history, parse_period("2026-10")).outcomes["submitted"].value == 0


@given(st.lists(st.sampled_from(["sub", "back", "pub", "block"]), max_size=30))
def test_monthly_buckets_add_up_to_the_totals(steps: list[str]) -> None:
    log = Log()
    for n, step in enumerate(steps):
        item = f"I{n % 4}"
        if step == "sub":
            log.add("item.submitted", item, "an", hours=30, author="an")
        elif step == "back":
            log.add("revision.changes_requested", item, hours=30)
        elif step == "pub":
            log.add("publication.published", item, hours=30, channel="website")
        else:
            log.add("revision.screened", item, hours=30, to="blocked")
    report = compute(log.history(), parse_period("2026"))
    for outcome, figure in report.outcomes.items():
        assert sum(month[outcome] for month in report.monthly.values()) == figure.value
        assert len(figure.entries) == figure.value


def test_csv_xlsx_and_charts_carry_the_figures(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    log, _ = _story()
    history = log.history()
    report = compute(history, parse_period("2026-Q4"))
    table = list(csv.reader(io.StringIO(exports.to_csv(report, history))))
    assert table[0] == ["muc", "chi_tieu", "gia_tri", "muc_nhat_ky"]
    assert table[5][:3] == ["Kết quả", "Bị trả lại để sửa", "2"]
    assert any(row[1] == "Biển, đảo" for row in table)  # themes by their label
    path = tmp_path / "r.xlsx"
    path.write_bytes(exports.to_xlsx(report, history))
    sheet = load_workbook(path)["Báo cáo"]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert values[0][:3] == ["Kết quả", "Tin, bài được gửi duyệt", 5]
    svg = charts.monthly_bars(report)
    assert svg.startswith("<svg") and "<script" not in svg and "Kết quả theo tháng" in svg
    assert svg.count("<rect") >= 5
    assert "Từ khi gửi đến khi đăng" in charts.stage_times(report)


@pytest.mark.slow
def test_the_pdf_is_an_administrative_report() -> None:
    import subprocess
    import tempfile

    log, _ = _story()
    history = log.history()
    report = compute(history, parse_period("2026-Q4"))
    now = datetime(2026, 12, 31, tzinfo=UTC)
    pdf = exports.to_pdf(report, history, number="12/BC-STTTT", place="Hưng Yên", now=now)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        text = subprocess.run(["pdftotext", handle.name, "-"], capture_output=True,
                              text=True, check=True).stdout  # fmt: skip
    flat = " ".join(text.split())
    for expected in ("UBND tỉnh Hưng Yên", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA", "BÁO CÁO",
                     "Kết quả công tác thông tin đối ngoại quý 4 năm 2026", "12/BC-STTTT",
                     "Hưng Yên, ngày 31 tháng 12 năm 2026", "Bị trả lại để sửa",
                     "THỦ TRƯỞNG CƠ QUAN"):  # fmt: skip
        assert expected in flat, expected


def test_an_entry_written_with_a_clock_set_back_still_counts_in_its_month() -> None:
    """An item's later entry with an earlier time (a server clock set back) is not skipped: the
    report's shortcut over items uses their earliest and latest entry times, not log order."""
    log = Log()
    log.add("item.submitted", "K", "an", author="an", channels=["website"], hours=24 * 40)
    published = log.add("publication.published", "K", channel="website", hours=-24 * 35)
    history = log.history()
    october = compute(history, parse_period("2026-10"))
    assert october.outcomes["published"].entries == [published]
    assert compute(history, parse_period("2026-11")).outcomes["submitted"].value == 1
