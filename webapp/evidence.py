"""Audit-log reads for the web: entries page, live verification, export archive, receipts."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Response
from sqlalchemy import select

from clearance.auditlog import models as log_models
from clearance.auditlog.entry import Entry, parse_leaf
from webapp.context import runtime

SCAN_LIMIT = 20_000
PAGE = 50


@dataclass(frozen=True, slots=True)
class LogFilter:
    item: str | None = None
    actor: str | None = None
    event: str | None = None
    since: str | None = None  # ISO date, compared with the entry time prefix
    until: str | None = None
    before: int | None = None  # page from this sequence number downwards


def vkey() -> str:
    return (runtime().settings.keys_dir / "log.vkey").read_text(encoding="utf-8").strip()


def browse(f: LogFilter) -> tuple[list[Entry], int | None]:
    """Newest first: a page of entries and the sequence number to continue from."""
    table = log_models.entries
    query = select(table.c.seq, table.c.leaf).order_by(table.c.seq.desc())
    if f.item:
        query = query.where(table.c.item_id == f.item)
    if f.event:
        query = query.where(table.c.event_type == f.event)
    if f.before is not None:
        query = query.where(table.c.seq < f.before)
    found: list[Entry] = []
    scanned = 0
    last_seq: int | None = None
    with runtime().readers() as session:
        for seq, leaf in session.execute(query.limit(SCAN_LIMIT)):
            scanned += 1
            last_seq = seq
            entry = parse_leaf(bytes(leaf))
            if f.actor and (entry.actor or "") != f.actor:
                continue
            if f.since and entry.time[:10] < f.since:
                continue
            if f.until and entry.time[:10] > f.until:
                continue
            found.append(entry)
            if len(found) > PAGE:
                break
    more = len(found) > PAGE or (scanned == SCAN_LIMIT and last_seq is not None)
    page = found[:PAGE]
    next_before = page[-1].seq if more and page else None
    return page, next_before


def event_types() -> list[str]:
    table = log_models.entries
    with runtime().readers() as session:
        return sorted(session.scalars(select(table.c.event_type).distinct()))


def _export(directory: Path) -> int:
    from clearance.auditlog.export import export_log

    with runtime().readers() as session:
        return export_log(session, directory, vkey())


def verification() -> dict[str, Any]:
    """Export a consistent snapshot and verify it exactly as an offline auditor would (with the
    witness policy when one is configured)."""
    from clearance.auditlog.selfcheck import verify_installation

    rt = runtime()
    with rt.readers() as session:
        return verify_installation(session, rt.settings, vkey()).as_dict()


def export_zip() -> bytes:
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="clearance-export-") as tmp:
        directory = Path(tmp) / "export"
        _export(directory)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    archive.write(path, f"clearance-log/{path.relative_to(directory)}")
    return buffer.getvalue()


def receipt(item_id: str) -> dict[str, object]:
    from clearance.auditlog.export import prove_item

    with runtime().readers() as session:
        return prove_item(session, item_id)


def attachment(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def receipt_response(item_id: str) -> Response:
    body = json.dumps(receipt(item_id), ensure_ascii=False, indent=2).encode("utf-8")
    return attachment(body, f"receipt-{item_id}.json", "application/json")
