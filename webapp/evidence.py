"""Audit-log reads for the web: entries page, live verification, export archive, receipts."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import Response

from clearance.auditlog.entry import Entry
from clearance.auditlog.store import seqs_for_item
from clearance.auditlog.verify import Report
from clearance.readmodels.evidence import LogFilter, log_page
from clearance.readmodels.evidence import event_types as log_event_types
from clearance.reports.history import Item, item_facts
from clearance.reports.source import entries_at
from webapp import itemview
from webapp.context import runtime

__all__ = ["LogFilter", "browse", "event_types"]


def vkey() -> str:
    return (runtime().settings.keys_dir / "log.vkey").read_text(encoding="utf-8").strip()


def browse(f: LogFilter) -> tuple[list[Entry], int | None]:
    """Newest first: a page of entries and the sequence number to continue from."""
    with runtime().readers() as session:
        return log_page(session, f)


def event_types() -> list[str]:
    with runtime().readers() as session:
        return log_event_types(session)


def _export(directory: Path) -> int:
    from clearance.auditlog.export import export_log

    with runtime().readers() as session:
        return export_log(session, directory, vkey())


def verification() -> Report:
    """Export a consistent snapshot and verify it exactly as an offline auditor would (with the
    witness policy when one is configured)."""
    from clearance.auditlog.selfcheck import verify_installation

    rt = runtime()
    with rt.readers() as session:
        return verify_installation(session, rt.settings, vkey())


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


@dataclass(frozen=True, slots=True)
class LoggedTags:
    """An item's language, themes and language versions as its submissions in the log stated
    them (by their policy labels), and the entry that stated them last."""

    language: str | None
    themes: tuple[str, ...]
    versions: tuple[str, ...]
    entry: int | None


def _tags(facts: Item | None, entry: int | None) -> LoggedTags | None:
    if facts is None or facts.submitted is None:
        return None
    shown = itemview.tags_of(facts.language, facts.themes)
    files = dict(facts.version_files)  # each version with the files the log links to it
    versions = tuple(
        itemview.language_label(code) + (f" ({', '.join(files[code])})" if code in files else "")
        for code in facts.languages
    )
    return LoggedTags(shown.language, shown.themes, versions, entry)


def logged_tags(item_id: str) -> LoggedTags | None:
    """The item's tags folded from all of its log entries (the reports' reading of them)."""
    with runtime().readers() as session:
        found = entries_at(session, seqs_for_item(session, item_id))
    stated = [e.seq for e in found if e.type == "item.submitted"]
    facts = item_facts(item_id, (e.as_dict() for e in found))
    return _tags(facts, stated[-1] if stated else None)


def submission_tags(shown: list[Entry]) -> dict[int, LoggedTags]:
    """For each ``item.submitted`` entry on a log page: the tags that entry states."""
    tags: dict[int, LoggedTags] = {}
    for entry in shown:
        if entry.type == "item.submitted" and entry.item:
            found = _tags(item_facts(entry.item, [entry.as_dict()]), entry.seq)
            if found is not None:
                tags[entry.seq] = found
    return tags
