"""What every item page shows, assembled from the core: text, parts, findings, diff, decisions."""

from __future__ import annotations

import difflib
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import Flask, Response, g
from flask_babel import lazy_gettext as _l

from clearance.publishing.pages import article_style, paragraph_lines
from clearance.readmodels.decisions import DecisionRecord, item_decisions
from clearance.screening import filetype
from clearance.screening.sanitise import removed_metadata as left_out
from clearance.services.previews import PAGED_TYPES, rendered_entry
from clearance.services.queries import (
    ItemDetail,
    ItemSnapshot,
    PartView,
    RevisionView,
    load_item_snapshot,
)
from clearance.services.review import TITLE_PART
from clearance.services.sheetdiff import SheetDiff, SheetUnreadable, diff_sheets
from clearance.services.uploads import BODY_NAME
from webapp.context import read_connection, runtime
from webapp.i18n import language
from webapp.preview import CACHE as PREVIEWS
from webapp.preview import Preview

MAX_INLINE_TEXT = 2 * 1024 * 1024

#: the published site's article typography, for the text the item pages show as published
PUBLISHED_CSS = article_style(".published")


def published_css() -> Response:
    """The stylesheet of ``.published``: the site's own typography (one place: its pages)."""
    return Response(PUBLISHED_CSS, mimetype="text/css")


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    finding: int | None  # index into the findings list when this piece is highlighted


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a diff: unchanged, added, deleted, changed (with the words that changed in
    ``pieces``), or a gap before the next changed lines (``text``: the line number, new side)."""

    kind: str  # same | add | del | change | gap
    text: str
    pieces: tuple[tuple[str, str], ...] = ()  # change: (same | add | del, text), in order


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """A recorded decision as the page lists it: the core's record, and whether it was made on
    another manifest than the current release manifest (stale)."""

    record: DecisionRecord
    superseded: bool


def findings_of(screening: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every finding in a stored screening result, whatever its nesting (files, parts). The
    title's findings (the result under ``TITLE_PART``) carry ``title`` (the page labels them
    with the word for a title, not the part's id)."""
    found: list[dict[str, Any]] = []

    def walk(value: Any, part: str | None) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "findings" and isinstance(inner, list):
                    for f in inner:
                        if isinstance(f, dict) and "rule" in f:
                            found.append({"file": part, **f})
                elif part is None and key == TITLE_PART and isinstance(inner, dict):
                    for f in inner.get("findings") or []:
                        if isinstance(f, dict) and "rule" in f:
                            found.append({**f, "file": None, "part": None, "title": True})
                else:
                    walk(
                        inner, str(key) if part is None and key not in ("files", "parts") else part
                    )
        elif isinstance(value, list):
            for inner in value:
                name = inner.get("name") if isinstance(inner, dict) else None
                walk(inner, str(name) if name else part)

    walk(screening or {}, None)
    return found


#: the screener's words for places inside a part, in the UI language
_PLACES = (
    (re.compile(r"\bline (\d+)"), _l("line %(number)s")),
    (re.compile(r"\bpage (\d+)"), _l("page %(number)s")),
    (re.compile(r"\bsheet (\S+)"), _l("sheet %(number)s")),
    (re.compile(r"\bcell (\S+)"), _l("cell %(number)s")),
    (re.compile(r"\brow (\d+)"), _l("row %(number)s")),
    (re.compile(r"\bcolumn (\S+)"), _l("column %(number)s")),
)


def location_label(location: str | None) -> str:
    """Where in a part a finding is, as the page shows it: lines, pages, sheets, cells, rows
    and columns in the UI language (boxes and other places as the screener names them)."""
    if not location:
        return ""
    for pattern, words in _PLACES:
        location = pattern.sub(lambda m, w=words: str(w) % {"number": m.group(1)}, location)  # type: ignore[misc]
    return location


def _span(text: str, finding: dict[str, Any]) -> tuple[int, int] | None:
    """Where ``finding`` is in ``text``: at the offsets the screening recorded when they fit
    the text, else the first place its excerpt (or match) appears."""
    start, end = finding.get("start"), finding.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return start, end
    excerpt = str(finding.get("excerpt") or "").strip()
    for needle in (excerpt, str(finding.get("match") or "")):
        if needle and (found := text.find(needle)) >= 0:
            return found, found + len(needle)
    return None


def highlight(text: str, findings: list[dict[str, Any]]) -> list[Segment]:
    """Split ``text`` so that each finding's place is its own highlighted segment."""
    spans: list[tuple[int, int, int]] = []
    for index, finding in enumerate(findings):
        span = _span(text, finding)
        if span is not None:
            spans.append((span[0], span[1], index))
    spans.sort()
    segments: list[Segment] = []
    cursor = 0
    for start, end, index in spans:
        if start < cursor:
            continue
        if start > cursor:
            segments.append(Segment(text[cursor:start], None))
        segments.append(Segment(text[start:end], index))
        cursor = end
    if cursor < len(text):
        segments.append(Segment(text[cursor:], None))
    return segments


def published_paragraphs(
    text: str, findings: list[dict[str, Any]], *, part: str = BODY_NAME
) -> list[list[list[Segment]]]:
    """``text`` as the site sets it (NFC, paragraphs between blank lines, lines kept: the
    site's own :func:`paragraph_lines`), each line in segments with ``part``'s findings
    marked at their places. The indices are into ``findings`` (the page's findings table)."""
    shown = unicodedata.normalize("NFC", text)
    fits = len(shown) == len(text)  # offsets into the text as screened apply to it
    own = [
        (f if fits else {k: v for k, v in f.items() if k not in ("start", "end")})
        if f.get("file") == part
        else {}
        for f in findings
    ]
    segments = highlight(shown, own)
    placed: list[tuple[int, Segment]] = []
    at = 0
    for segment in segments:
        placed.append((at, segment))
        at += len(segment.text)
    paragraphs: list[list[list[Segment]]] = []
    for block in paragraph_lines(shown):
        lines: list[list[Segment]] = []
        for start, end in block:
            line = [
                Segment(shown[max(start, s) : min(end, s + len(seg.text))], seg.finding)
                for s, seg in placed
                if s < end and s + len(seg.text) > start
            ]
            lines.append(line)
        paragraphs.append(lines)
    return paragraphs


_WORDS = re.compile(r"\s+|\w+|[^\w\s]")
#: lines longer than this are shown deleted and added whole, not word by word
MAX_WORD_DIFF = 5_000


def word_pieces(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """``new`` against ``old`` word by word: the unchanged, deleted and added runs in order."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("add", "".join(b[j1:j2])))
    return tuple(pieces)


def diff_lines(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """The changed lines of ``new`` against ``old`` with ``context`` lines around them; a line
    replaced by another is one ``change`` line with its changed words marked."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        lines.append(DiffLine("gap", str(group[0][3] + 1)))
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                lines.extend(DiffLine("same", line) for line in b[j1:j2])
                continue
            paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
            for k in range(paired):
                was, now = a[i1 + k], b[j1 + k]
                if len(was) + len(now) > MAX_WORD_DIFF:
                    lines.extend((DiffLine("del", was), DiffLine("add", now)))
                else:
                    lines.append(DiffLine("change", now, word_pieces(was, now)))
            lines.extend(DiffLine("del", line) for line in a[i1 + paired : i2])
            lines.extend(DiffLine("add", line) for line in b[j1 + paired : j2])
    return lines


def part_text(part: PartView, *, sanitized: bool) -> str | None:
    """The text of a text part (sanitized bytes when asked and present), else None."""
    digest = part.sanitized_sha256 if sanitized and part.sanitized_sha256 else part.sha256
    mime = (part.sanitized_mime if sanitized and part.sanitized_sha256 else part.mime) or ""
    if not mime.startswith("text/") or part.size > MAX_INLINE_TEXT:
        return None
    try:
        return runtime().blobs.read(digest).decode("utf-8", errors="replace")
    except Exception:
        return None


def body_text(revision: RevisionView, *, sanitized: bool = False) -> str:
    for part in revision.parts:
        if part.role == "body":
            return part_text(part, sanitized=sanitized) or ""
    return ""


def revision_text(revision: RevisionView) -> str:
    """Title, language, themes, body, language versions and the attachments' names, for the
    text diff between revisions (what changed inside an attachment: :func:`file_changes`)."""
    names = ", ".join(p.name for _i, p in iter_attachments(revision))
    versions = "".join(
        f"\n\n[{p.language}] {p.title}\n\n{part_text(p, sanitized=False) or ''}"
        for p in revision.versions
    )
    themes = ", ".join(revision.themes)
    return (
        f"{revision.title}\n[{revision.language or ''}] {themes}\n\n{body_text(revision)}"
        f"{versions}\n\n{names}"
    )


def revision_diff(detail: ItemDetail, number: int) -> list[DiffLine]:
    by_number = {r.number: r for r in detail.revisions}
    if number not in by_number or number - 1 not in by_number:
        return []
    return diff_lines(revision_text(by_number[number - 1]), revision_text(by_number[number]))


def decision_records(item_id: str) -> tuple[DecisionRecord, ...]:
    """Every decision on every revision of the item, oldest first (one query per request)."""
    memo: dict[str, tuple[DecisionRecord, ...]] = g.setdefault("clearance_decisions", {})
    if item_id not in memo:
        memo[item_id] = item_decisions(read_connection(), item_id)
    return memo[item_id]


def decisions(item_id: str, current_manifest: str | None) -> list[DecisionRow]:
    """Every decision on every revision; those not on the current release manifest are stale."""
    return [DecisionRow(d, d.manifest_hash != current_manifest) for d in decision_records(item_id)]


def snapshot(item_id: str, *, since: int = 1, history: bool = True) -> ItemSnapshot:
    """The item on this request's reader session, loaded once per request: revisions from
    ``since`` on (the current one always) and, when asked, the history. A snapshot loaded
    earlier in the request with at least that much is reused."""
    memo: dict[str, ItemSnapshot] = g.setdefault("clearance_snapshots", {})
    known = memo.get(item_id)
    if known is not None and (known.detail.history or not history):
        first = known.detail.revisions[0].number
        if first <= since or first == 1:
            return known
    loaded = load_item_snapshot(read_connection(), item_id, since=since, history=history)
    memo[item_id] = loaded
    return loaded


def load(item_id: str) -> ItemDetail:
    """The item's full detail (every revision, the history) on this request's reader."""
    return snapshot(item_id).detail


def current(detail: ItemDetail) -> RevisionView:
    return detail.revisions[-1]


def iter_attachments(revision: RevisionView) -> Iterator[tuple[int, PartView]]:
    for index, part in enumerate(revision.parts):
        if part.role == "attachment":
            yield index, part


@dataclass(frozen=True, slots=True)
class VersionView:
    """A language version as the item pages show it (the published text)."""

    language: str
    language_label: str
    title: str
    text: str
    #: the names of the version's own files (listed, with their previews, among the files)
    files: tuple[str, ...] = ()


def versions(revision: RevisionView, *, sanitized: bool = True) -> list[VersionView]:
    """The language versions (their published, sanitized text unless asked otherwise)."""
    policy = runtime().policy
    return [
        VersionView(
            language=p.language or "",
            language_label=policy.language_label(p.language or ""),
            title=p.title or "",
            text=part_text(p, sanitized=sanitized) or "",
            files=tuple(
                f.name
                for f in revision.parts
                if f.role == "attachment" and f.language == p.language
            ),
        )
        for p in revision.versions
    ]


@dataclass(frozen=True, slots=True)
class Tags:
    """A revision's language and themes by their policy labels (None: made before languages)."""

    language: str | None
    themes: tuple[str, ...]


def tags(revision: RevisionView) -> Tags:
    return tags_of(revision.language, revision.themes)


def tags_of(spoken: str | None, themes: Iterable[str]) -> Tags:
    """A language code and theme ids by their policy labels."""
    return Tags(language_label(spoken) if spoken else None, tuple(theme_label(t) for t in themes))


def theme_label(name: str) -> str:
    found = runtime().policy.themes.get(name)
    if found is None:
        return name
    return (found.label_en if language() == "en" else None) or found.label_vi


def language_label(code: str) -> str:
    found = runtime().policy.languages.get(code)
    if found is None:
        return code
    return (found.label_en if language() == "en" else None) or found.label_vi


INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass(frozen=True, slots=True)
class AttachmentView:
    """One attachment as it will be published: the image inline, the text, or a preview."""

    index: int
    part: PartView
    mime: str  # of the bytes shown (the sanitized ones when there are)
    image: bool
    text: str | None
    preview: Preview | None
    pages: tuple[str, ...] = ()  # the PNG digests of the derivative's pages, drawn at review
    removed: tuple[str, ...] = ()  # the metadata kinds the derivative leaves out
    #: the derivative has pages but none are drawn yet: the background backfill draws them
    #: (clearance.services.previews.backfill_pages), never this request
    pages_pending: bool = False


def _screening_entry(revision: RevisionView, part: PartView) -> dict[str, Any] | None:
    """The stored screening entry of ``part``'s derivative (None without a derivative)."""
    if not part.sanitized_sha256:
        return None
    entries = (revision.screening or {}).get("parts")
    for entry in entries if isinstance(entries, list) else ():
        if (
            isinstance(entry, dict)
            and entry.get("name") == part.name
            and entry.get("sanitized_sha256") == part.sanitized_sha256
        ):
            return entry
    return None


def page_images(revision: RevisionView, part: PartView) -> tuple[str, ...]:
    """The digests of the page images the review drew for ``part``'s derivative (the published
    bytes), in page order; none when the part has none, or when they were drawn from other
    bytes than the derivative (older reviews drew the upload: never shown as what is published)."""
    entry = _screening_entry(revision, part)
    rendered = entry.get("rendered") if entry else None
    if isinstance(rendered, dict) and rendered.get("of") == part.sanitized_sha256:
        pages = rendered.get("page_png_sha256")
        if isinstance(pages, list) and all(isinstance(p, str) for p in pages):
            return tuple(pages)
    return ()


def pages_pending(revision: RevisionView, part: PartView) -> bool:
    """Whether ``part``'s derivative gets page images that are not drawn yet (reviewed before
    page images existed): the backfill has neither drawn them nor found it cannot."""
    entry = _screening_entry(revision, part)
    return (
        entry is not None
        and part.sanitized_sha256 is not None
        and part.sanitized_mime in PAGED_TYPES
        and not rendered_entry(entry, part.sanitized_sha256)
    )


def removed_metadata(revision: RevisionView, part: PartView) -> tuple[str, ...]:
    """The kinds of metadata the upload of ``part`` carried that its derivative leaves out."""
    entry = _screening_entry(revision, part)
    if entry is None or part.sanitized_sha256 == part.sha256:
        return ()
    findings = entry.get("findings")
    if not isinstance(findings, list):
        return ()
    found = [f for f in findings if isinstance(f, dict)]
    return tuple(str(kind) for kind in left_out(runtime().policy.screening, found))


def release_attachments(revision: RevisionView) -> list[AttachmentView]:
    """Every attachment of ``revision`` from its sanitized bytes (the published ones)."""
    blobs = runtime().blobs
    views: list[AttachmentView] = []
    for index, part in iter_attachments(revision):
        digest = part.sanitized_sha256 or part.sha256
        mime = (part.sanitized_mime if part.sanitized_sha256 else part.mime) or part.mime
        views.append(
            AttachmentView(
                index=index,
                part=part,
                mime=mime,
                image=mime in INLINE_IMAGES,
                text=part_text(part, sanitized=True),
                preview=PREVIEWS.get(digest, mime, partial(blobs.read, digest)),
                pages=page_images(revision, part),
                removed=removed_metadata(revision, part),
                pages_pending=pages_pending(revision, part),
            )
        )
    return views


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(location_label=location_label)


@dataclass(frozen=True, slots=True)
class FileSide:
    """An attachment in one revision: where to link it, its published size and page images."""

    number: int
    index: int
    size: int
    pages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FileChange:
    """An attachment compared with the previous revision (by name): what became of it and,
    for a changed document, its pages side by side; for a changed spreadsheet, its cells."""

    name: str
    status: str  # added | removed | changed | same
    old: FileSide | None
    new: FileSide | None
    sheet: SheetDiff | None = None
    sheet_unreadable: bool = False

    @property
    def page_pairs(self) -> list[tuple[int, bool, bool]]:
        """(page number, in the old, in the new) for the pages shown side by side."""
        old = len(self.old.pages) if self.old else 0
        new = len(self.new.pages) if self.new else 0
        return [(n, n <= old, n <= new) for n in range(1, min(max(old, new), MAX_PAGE_PAIRS) + 1)]


#: pages shown side by side per document at most (the downloads have the rest)
MAX_PAGE_PAIRS = 30
_SHEET_DIFFS: OrderedDict[tuple[str, str], SheetDiff | None] = OrderedDict()
_SHEET_LOCK = threading.Lock()


def sheet_diff(old_digest: str, new_digest: str) -> SheetDiff | None:
    """The cell diff of two published workbooks (None when one cannot be read), computed once
    per pair of digests: blobs are content-addressed, so it never changes."""
    key = (old_digest, new_digest)
    with _SHEET_LOCK:
        if key in _SHEET_DIFFS:
            _SHEET_DIFFS.move_to_end(key)
            return _SHEET_DIFFS[key]
    blobs = runtime().blobs
    try:
        found: SheetDiff | None = diff_sheets(blobs.read(old_digest), blobs.read(new_digest))
    except SheetUnreadable:
        found = None
    with _SHEET_LOCK:
        _SHEET_DIFFS[key] = found
        while len(_SHEET_DIFFS) > 64:
            _SHEET_DIFFS.popitem(last=False)
    return found


def _published(part: PartView) -> tuple[str, str]:
    if part.sanitized_sha256:
        return part.sanitized_sha256, part.sanitized_mime or part.mime
    return part.sha256, part.mime


def file_changes(detail: ItemDetail, number: int) -> list[FileChange]:
    """Each attachment of revision ``number`` and of the one before, matched by name, compared
    by their published bytes."""
    by_number = {r.number: r for r in detail.revisions}
    if number not in by_number or number - 1 not in by_number:
        return []
    before, now = by_number[number - 1], by_number[number]

    def sides(revision: RevisionView) -> dict[str, tuple[FileSide, PartView]]:
        return {
            part.name: (
                FileSide(revision.number, index, part.published_size, page_images(revision, part)),
                part,
            )
            for index, part in iter_attachments(revision)
        }

    old_files, new_files = sides(before), sides(now)
    changes: list[FileChange] = []
    for name, (side, part) in new_files.items():
        if name not in old_files:
            changes.append(FileChange(name, "added", None, side))
            continue
        old_side, old_part = old_files[name]
        (old_digest, _old_mime), (new_digest, new_mime) = _published(old_part), _published(part)
        if old_digest == new_digest:
            changes.append(FileChange(name, "same", old_side, side))
            continue
        sheet = None
        unreadable = False
        if new_mime == filetype.XLSX and _published(old_part)[1] == filetype.XLSX:
            sheet = sheet_diff(old_digest, new_digest)
            unreadable = sheet is None
        changes.append(FileChange(name, "changed", old_side, side, sheet, unreadable))
    changes.extend(
        FileChange(name, "removed", side, None)
        for name, (side, _part) in old_files.items()
        if name not in new_files
    )
    return changes
