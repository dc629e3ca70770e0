"""Large statistics spreadsheet (ODS): screening time against a bare ``iterparse`` over the same
content.xml, and peak memory of each (every run in a child of its own, so peaks do not mix: ``bench/measure.py``).

    python bench/screening_ods.py                  # 244 MB of content.xml, both runs, figures
    python bench/screening_ods.py --xml-mb 60      # smaller
    python bench/screening_ods.py --mode bare   --file big.ods   # one run (for a ratio tool)
    python bench/screening_ods.py --mode screen --file big.ods

The spreadsheet is written as raw XML, the way LibreOffice saves one: a district-by-indicator
table of numbers with Vietnamese labels and "mật độ dân số" headers, several sheets in one
content.xml, with a number style and a styles.xml, compressed like real statistics files.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from measure import load, ratios, run_child

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'office:version="1.3"'
)
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
LABELS = ["Mật độ dân số (người/km2)", "Dân số trung bình", "Tỷ lệ hộ nghèo", "Diện tích"]


def _cell(text: str) -> str:
    return (
        f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
    )


def _write_content(handle: object, rng: random.Random, target: int, sheets: int) -> None:
    write = handle.write  # type: ignore[attr-defined]
    written = 0

    def out(text: str) -> None:
        nonlocal written
        data = text.encode("utf-8")
        written += len(data)
        write(data)

    out(
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}>'
        '<office:automatic-styles><number:number-style style:name="N1"><number:number '
        'number:decimal-places="2"/></number:number-style><style:style style:name="ce1" '
        'style:family="table-cell" style:data-style-name="N1"/></office:automatic-styles>'
        "<office:body><office:spreadsheet>"
    )
    per_sheet = target // sheets
    for sheet in range(1, sheets + 1):
        out(f'<table:table table:name="Bảng {sheet}"><table:table-row>{_cell("Đơn vị")}')
        out("".join(_cell(label) for label in LABELS) + "</table:table-row>")
        row = 2
        limit = per_sheet * sheet
        while written < limit:
            chunk = []
            for _ in range(200):
                cells = "".join(
                    f'<table:table-cell table:style-name="ce1" office:value-type="float" '
                    f'office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
                    for value in (rng.randint(0, 10**6) / 100 for _ in range(10))
                )
                chunk.append(f"<table:table-row>{_cell(f'Xã {row}')}{cells}</table:table-row>")
                row += 1
            out("".join(chunk))
        out("</table:table>")
    out("</office:spreadsheet></office:body></office:document-content>")


def build(path: Path, xml_mb: int, sheets: int = 4) -> None:
    rng = random.Random(12)
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
        'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {NS}><office:styles>'
        '<style:default-style style:family="table-cell"/></office:styles>'
        "</office:document-styles>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), ODS, zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", manifest)
        zf.writestr("styles.xml", styles)
        with zf.open("content.xml", "w", force_zip64=True) as handle:
            _write_content(handle, rng, xml_mb * 1_000_000, sheets)


def bare(path: Path) -> None:
    """The floor: ElementTree's iterparse over content.xml, streamed, rows cleared."""
    with zipfile.ZipFile(path) as zf, zf.open("content.xml") as stream:
        for _event, element in ET.iterparse(stream, events=("end",)):
            if element.tag == f"{{{TABLE}}}table-row":
                element.clear()


def screen(path: Path, max_seconds: int | None) -> str:
    import dataclasses

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--xml-mb", type=int, default=244)
    parser.add_argument("--mode", choices=("bare", "screen"))
    parser.add_argument("--file", type=Path)
    parser.add_argument(
        "--max-seconds", type=int, help="the time cap for this run (a busy machine: lift it)"
    )
    args = parser.parse_args()
    if args.mode:
        if args.mode == "bare":
            bare(args.file)
            print("")
        else:
            print(screen(args.file, args.max_seconds))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "nien-giam.ods"
        if not path.exists():
            build(path, args.xml_mb)
        with zipfile.ZipFile(path) as zf:
            xml = zf.getinfo("content.xml").file_size
        print(
            f"spreadsheet: {path.stat().st_size / 1e6:.1f} MB zip, {xml / 1e6:.1f} MB content.xml"
        )
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
