"""A report as CSV (for analysts), XLSX (openpyxl) and a PDF in the layout of a Vietnamese
administrative report (agency, number, date, title, tables, signature block), in Vietnamese."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

from clearance.reports.figures import Report
from clearance.reports.history import History

OUTCOME_LABELS = {
    "submitted": "Tin, bài được gửi duyệt",
    "published": "Được đăng tải",
    "blocked": "Bị chặn khi rà soát",
    "rejected": "Bị từ chối",
    "sent_back": "Bị trả lại để sửa",
}
REASON_LABELS = {
    "marking": "Dấu độ mật",
    "personal_data": "Dữ liệu cá nhân",
    "metadata": "Siêu dữ liệu",
    "file_type": "Loại tệp",
    "level": "Độ mật không được đăng",
    "other": "Lý do khác",
}
STAGE_LABELS = {
    "review": "Rà soát tự động",
    "signoff": "Phê duyệt",
    "publication": "Đăng tải",
    "total": "Từ khi gửi đến khi đăng",
}


def duration_words(seconds: float | None) -> str:
    """``12 phút``, ``3,5 giờ``, ``2,1 ngày``; ``—`` when there is nothing to measure."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{max(seconds / 60, 0):.0f} phút"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} giờ".replace(".", ",")
    return f"{seconds / 86400:.1f} ngày".replace(".", ",")


def rows(report: Report, history: History) -> Iterator[tuple[str, str, str, str]]:
    """(section, figure, value, entries) for every figure: one table for CSV and XLSX."""
    for key, figure in report.outcomes.items():
        yield "Kết quả", OUTCOME_LABELS[key], str(figure.value), _seqs(figure.entries)
    yield (
        "Kết quả",
        "Gửi lại sau khi sửa",
        str(report.resubmitted.value),
        _seqs(report.resubmitted.entries),
    )
    for key, figure in report.blocked_by.items():
        if figure.value:
            yield "Bị chặn theo lý do", REASON_LABELS[key], str(figure.value), _seqs(figure.entries)
    for key, figure in sorted(report.by_channel.items()):
        yield "Đăng tải theo kênh", history.label(key), str(figure.value), _seqs(figure.entries)
    for key, figure in sorted(report.by_theme.items()):
        yield "Đăng tải theo chủ đề", history.label(key), str(figure.value), _seqs(figure.entries)
    yield "Thu hồi và sai lệch", "Thu hồi", str(report.recalls.value), _seqs(report.recalls.entries)
    yield (
        "Thu hồi và sai lệch",
        "Sai lệch trên kênh",
        str(report.drifts.value),
        _seqs(report.drifts.entries),
    )
    for key, figure in sorted(report.overdue_by_stage.items()):
        yield "Quá hạn phê duyệt theo bước", key, str(figure.value), _seqs(figure.entries)
    for key, duration in report.stage_times.items():
        label = STAGE_LABELS[key]
        value = f"trung vị {duration_words(duration.median)}; p90 {duration_words(duration.p90)}"
        yield "Thời gian xử lý", label, value, _seqs(duration.entries)


def _seqs(entries: list[int]) -> str:
    return " ".join(str(s) for s in sorted(set(entries)))


def to_csv(report: Report, history: History) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["muc", "chi_tieu", "gia_tri", "muc_nhat_ky"])
    for row in rows(report, history):
        writer.writerow(row)
    return buffer.getvalue()


def to_xlsx(report: Report, history: History) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Báo cáo"
    sheet.append([f"Kết quả công tác thông tin đối ngoại {period_words(report)}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append(["Mục", "Chỉ tiêu", "Giá trị", "Mục nhật ký (số thứ tự)"])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for section, label, value, entries in rows(report, history):
        sheet.append([section, label, int(value) if value.isdigit() else value, entries])
    monthly = book.create_sheet("Theo tháng")
    monthly.append(["Tháng", *OUTCOME_LABELS.values()])
    for month, counts in report.monthly.items():
        monthly.append([month, *(counts[k] for k in OUTCOME_LABELS)])
    for ws, widths in ((sheet, (28, 34, 30, 60)), (monthly, (10, 22, 16, 18, 14, 18))):
        for column, width in zip("ABCDEF", widths, strict=False):
            ws.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def period_words(report: Report) -> str:
    label = report.period.label
    if len(label) == 7 and label[4] == "-" and label[5:].isdigit():
        return f"tháng {int(label[5:])} năm {label[:4]}"
    if "-Q" in label:
        return f"quý {label[-1]} năm {label[:4]}"
    if label.isdigit():
        return f"năm {label}"
    last = report.period.end - timedelta(days=1)
    return f"từ ngày {report.period.start:%d/%m/%Y} đến hết ngày {last:%d/%m/%Y}"


def to_html(report: Report, history: History, *, number: str, place: str, now: datetime) -> str:
    """The report as one HTML document in the administrative layout (LibreOffice makes the PDF)."""
    e = html.escape
    issuer = e(history.issuer or "CƠ QUAN BAN HÀNH")
    table = "".join(
        f"<tr><td>{e(s)}</td><td>{e(label)}</td><td class='n'>{e(v)}</td></tr>"
        for s, label, v, _ in rows(report, history)
    )
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Báo cáo</title>
<style>
body {{ font-family: 'DejaVu Serif', 'Times New Roman', serif; font-size: 13pt; }}
table.head {{ width: 100%; }} table.head td {{ text-align: center; vertical-align: top; }}
h1 {{ text-align: center; font-size: 14pt; margin-bottom: 0; }}
p.sub {{ text-align: center; font-weight: bold; margin-top: 0; }}
table.data {{ border-collapse: collapse; width: 100%; }}
table.data td, table.data th {{ border: 1px solid #000; padding: 3px 6px; }}
td.n {{ text-align: right; }} .sign {{ width: 100%; margin-top: 24pt; }}
.sign td {{ vertical-align: top; width: 50%; }}
</style></head><body>
<table class="head"><tr>
<td><b>{issuer}</b><br>Số: {e(number)}</td>
<td><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b><u>Độc lập - Tự do - Hạnh phúc</u></b><br>
<i>{e(place)}, ngày {now:%d} tháng {now:%m} năm {now:%Y}</i></td></tr></table>
<h1>BÁO CÁO</h1>
<p class="sub">Kết quả công tác thông tin đối ngoại {e(period_words(report))}</p>
<p>Số liệu được tính từ nhật ký kiểm toán đã ký của hệ thống Clearance ({report.log_size} mục
nhật ký); mỗi số liệu truy được về các mục nhật ký tạo ra nó.</p>
<table class="data"><tr><th>Mục</th><th>Chỉ tiêu</th><th>Giá trị</th></tr>{table}</table>
<table class="sign"><tr><td><b><i>Nơi nhận:</i></b><br>- Như trên;<br>- Lưu: VT.</td>
<td style="text-align:center"><b>THỦ TRƯỞNG CƠ QUAN</b><br><i>(Ký, ghi rõ họ tên)</i></td>
</tr></table>
</body></html>
"""


def to_pdf(report: Report, history: History, *, number: str, place: str, now: datetime) -> bytes:
    """The administrative-report PDF, laid out by LibreOffice under the rendering caps."""
    from clearance.screening.render import convert_to_pdf

    page = to_html(report, history, number=number, place=place, now=now)
    return convert_to_pdf(page.encode("utf-8"), ".html")
