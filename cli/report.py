"""``clearance report PERIOD``: the oversight report computed from the signed log (the
installation's database, or an export an inspector verified offline)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click


def register(group: click.Group) -> None:
    group.add_command(report_cmd)


@click.command("report")
@click.argument("period")
@click.option("--export", "export_dir", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Compute from this export (verified first with --vkey) instead "
                                 "of the installation's database.")  # fmt: skip
@click.option("--vkey", "vkey_file", type=click.Path(path_type=Path), default=None,
              help="The log's public key, to verify the export before reporting on it.")  # fmt: skip
@click.option("--unit", default=None, help="Only items of this unit.")
@click.option("--channel", default=None, help="Only items sent to this channel.")
@click.option("--theme", default=None, help="Only items tagged with this theme.")
@click.option("--language", default=None, help="Only items in this language.")
@click.option("--level", default=None, help="Only items classified at this level.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--csv", "csv_file", type=click.Path(path_type=Path), default=None)
@click.option("--xlsx", "xlsx_file", type=click.Path(path_type=Path), default=None)
@click.option("--pdf", "pdf_file", type=click.Path(path_type=Path), default=None,
              help="The administrative report (BÁO CÁO), laid out by LibreOffice.")  # fmt: skip
@click.option("--number", default="..../BC-...", show_default=True, help="The report's number.")
@click.option("--place", default="......", show_default=True, help="Place in the date line.")
def report_cmd(
    period: str, export_dir: Path | None, vkey_file: Path | None, unit: str | None,
    channel: str | None, theme: str | None, language: str | None, level: str | None,
    as_json: bool, csv_file: Path | None, xlsx_file: Path | None, pdf_file: Path | None,
    number: str, place: str,
) -> None:  # fmt: skip
    """Figures for PERIOD (2026-11, 2026-Q4, 2026 or 2026-11-01..2026-11-15, local time): items
    submitted, published, blocked by reason, rejected, sent back; stage times; publications by
    channel and theme; recalls, drifts, overdue sign-offs. Each figure lists its log entries."""
    from clearance.dates import DEFAULT_ZONE
    from clearance.errors import BadInput, VerificationError
    from clearance.reports import exports
    from clearance.reports.figures import Filters, compute, parse_period
    from clearance.reports.source import LiveHistory, history_from_export

    chosen = parse_period(period)
    if export_dir is not None:
        if vkey_file is None:
            raise BadInput("--export needs --vkey: the export is verified before it is reported on")
        from clearance.auditlog.verify import read_text, verify_export

        verdict = verify_export(export_dir, read_text(vkey_file, "vkey file").strip())
        if not verdict.ok:
            raise VerificationError(f"the export does not verify: {verdict.first}")
        history = history_from_export(export_dir)
    else:
        from cli.common import open_runtime

        rt = open_runtime()
        with rt.readers() as session:
            history = LiveHistory().current(session)
    filters = Filters(unit=unit, channel=channel, theme=theme, language=language, level=level)
    report = compute(history, chosen, filters)
    now = datetime.now(ZoneInfo(DEFAULT_ZONE))
    if csv_file is not None:
        csv_file.write_text(exports.to_csv(report, history), encoding="utf-8")
    if xlsx_file is not None:
        xlsx_file.write_bytes(exports.to_xlsx(report, history))
    if pdf_file is not None:
        pdf_file.write_bytes(exports.to_pdf(report, history, number=number, place=place, now=now))
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    click.echo(f"Báo cáo {exports.period_words(report)} ({report.log_size} mục nhật ký)")
    for section, label, value, _entries in exports.rows(report, history):
        click.echo(f"  {section} | {label}: {value}")
    sys.stdout.flush()
