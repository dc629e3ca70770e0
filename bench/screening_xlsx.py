"""Large statistics workbook: screening time against a bare ``iterparse`` over the same sheet
parts, and peak memory of each (every run in a child of its own, so peaks do not mix: ``bench/measure.py``).

    python bench/screening_xlsx.py                 # 244 MB of sheet XML, both runs, figures
    python bench/screening_xlsx.py --xml-mb 60     # smaller
    python bench/screening_xlsx.py --mode bare  --file big.xlsx   # one run (for a ratio tool)
    python bench/screening_xlsx.py --mode screen --file big.xlsx
    python bench/screening_xlsx.py --mode isolated --file big.xlsx  # the pipeline's caps

The workbook is written as raw XML (what openpyxl's write-only mode produces, minus the time):
a district-by-indicator table of numbers with Vietnamese labels, inline strings and
"mật độ dân số" headers, several sheets, about 10x compression like real statistics files.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import random
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from measure import load, ratios, run_child

S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
LABELS = ["Mật độ dân số (người/km2)", "Dân số trung bình", "Tỷ lệ hộ nghèo", "Diện tích"]


def _sheet_rows(rng: random.Random, target: int) -> io.StringIO:
    out = io.StringIO()
    out.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{S}"><sheetData>')
    header = "".join(f'<c t="inlineStr"><is><t>{label}</t></is></c>' for label in LABELS)
    out.write(f'<row r="1"><c t="inlineStr"><is><t>Đơn vị</t></is></c>{header}</row>')
    row = 2
    while out.tell() < target:
        cells = "".join(
            f'<c r="{col}{row}" s="3"><v>{rng.randint(0, 10**6) / 100}</v></c>'
            for col in "BCDEFGHIJK"
        )
        out.write(
            f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>Xã {row}</t></is></c>{cells}</row>'
        )
        row += 1
    out.write(
        "</sheetData><headerFooter><oddHeader>&amp;CNiên giám thống kê</oddHeader></headerFooter>"
        "</worksheet>"
    )
    return out


def build(path: Path, xml_mb: int, sheets: int = 4) -> None:
    rng = random.Random(12)
    per_sheet = xml_mb * 1_000_000 // sheets
    entries = "".join(
        f'<sheet name="Bảng {n}" sheetId="{n}" r:id="rId{n}"/>' for n in range(1, sheets + 1)
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{CT}.worksheet+xml"/>'
        for n in range(1, sheets + 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{R}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, sheets + 1)
    )
    pr = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
            f"{overrides}</Types>",
        )
        zf.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{pr}"><Relationship Id="rId1" Type="{R}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{S}" xmlns:r="{R}"><sheets>{entries}</sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{pr}">{rels}</Relationships>'
        )
        for n in range(1, sheets + 1):
            zf.writestr(f"xl/worksheets/sheet{n}.xml", _sheet_rows(rng, per_sheet).getvalue())


def bare(path: Path) -> None:
    """The floor: ElementTree's iterparse over every sheet part, streamed, elements cleared."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                with zf.open(name) as stream:
                    for _event, element in ET.iterparse(stream, events=("end",)):
                        if element.tag == f"{{{S}}}row":
                            element.clear()


def screen(path: Path, max_seconds: int | None) -> str:
    from clearance.screening import screen_file
    from clearance.screening.rules import load_screening_rules

    rules = load_screening_rules(
        Path(__file__).resolve().parent.parent / "clearance" / "policies_default" / "screening.yaml"
    )
    if max_seconds is not None:  # a busy machine: the CPU figure of a run to its end
        limits = dataclasses.replace(rules.limits, max_seconds=max_seconds)
        rules = dataclasses.replace(rules, limits=limits)
    result = screen_file(path.read_bytes(), path.name, rules)
    return f"{result.verdict} {result.held_reason or ''}".strip()


def isolated(path: Path) -> str:
    """The verdict under the pipeline's own caps (the isolated child, the policy's time cap):
    on a loaded machine, whether the file gets a verdict from its content or is held by a cap."""
    from clearance.screening import screen_file_isolated
    from clearance.screening.rules import load_screening_rules

    rules = load_screening_rules(
        Path(__file__).resolve().parent.parent / "clearance" / "policies_default" / "screening.yaml"
    )
    result = screen_file_isolated(path.read_bytes(), path.name, rules)
    return f"{result.verdict} {result.held_reason or ''}".strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--xml-mb", type=int, default=244)
    parser.add_argument("--mode", choices=("bare", "screen", "isolated"))
    parser.add_argument("--file", type=Path)
    parser.add_argument(
        "--max-seconds", type=int, help="the time cap for this run (a busy machine: lift it)"
    )
    args = parser.parse_args()
    if args.mode:
        if args.mode == "bare":
            bare(args.file)
            print("")
        elif args.mode == "isolated":
            print(isolated(args.file))
        else:
            print(screen(args.file, args.max_seconds))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "nien-giam.xlsx"
        if not path.exists():
            build(path, args.xml_mb)
        with zipfile.ZipFile(path) as zf:
            xml = sum(i.file_size for i in zf.infolist())
        print(f"workbook: {path.stat().st_size / 1e6:.1f} MB zip, {xml / 1e6:.1f} MB XML")
        from clearance.screening.limits import stream_seconds
        from clearance.screening.rules import load_screening_rules

        with zipfile.ZipFile(path) as zf:
            sheets = sum(i.file_size for i in zf.infolist() if i.filename.startswith("xl/work"))
        policy = Path(__file__).resolve().parent.parent / "clearance" / "policies_default"
        limits = load_screening_rules(policy / "screening.yaml").limits
        cap = limits.max_seconds + stream_seconds(limits, sheets)
        print(f"time cap for this file: {limits.max_seconds} s + {limits.stream_seconds_per_gb} "
              f"s per GB of sheet XML streamed = {cap:.0f} s")  # fmt: skip
        print(f"load average before: {load()}")
        extra = ["--max-seconds", str(args.max_seconds)] if args.max_seconds else []
        command = [sys.executable, __file__, "--file", str(path)]
        bare_run = run_child([*command, "--mode", "bare"])
        screen_run = run_child([*command, "--mode", "screen", *extra])
        print(bare_run.line("bare iterparse"))
        print(screen_run.line("screen_file   "))
        print(ratios(bare_run, screen_run))


if __name__ == "__main__":
    main()
