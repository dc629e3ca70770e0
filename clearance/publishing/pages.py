"""HTML and Atom for the static website (escaped, NFC, Vietnamese dates and numbers)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from clearance.publishing.release import Release, ReleasePart

#: Giờ Việt Nam (UTC+7, no daylight saving): dates on the site are local, as readers expect.
VIETNAM = timezone(timedelta(hours=7), "ICT")

# Vietnamese stacks several diacritics on one letter (ệ, ở, ữ): a generous line height keeps
# them from touching the line above; fonts listed all cover Vietnamese; no uppercase transforms
# (they break the reading of marks) and no automatic hyphenation (browsers have no Vietnamese
# patterns: Vietnamese words are single syllables separated by spaces).
#: the article's text and headings as the site sets them; the approver's page sets the text it
#: shows in the same typography (:func:`article_style`), so what is signed looks as published
TEXT_TYPOGRAPHY = """font-family: "Noto Serif", "Times New Roman", "Tinos", serif; font-size: 1.0625rem;
  line-height: 1.7; color: #1a1a1a;"""
TEXT_RENDERING = """text-rendering: optimizeLegibility;
  font-kerning: normal; hyphens: manual; overflow-wrap: break-word;"""
HEADING_TYPOGRAPHY = """font-family: "Noto Sans", "Arial", "Roboto", sans-serif; line-height: 1.35;
  font-weight: 700; text-transform: none; letter-spacing: 0;"""

STYLE = f"""
:root {{ color-scheme: light; }}
body {{ margin: 0 auto; max-width: 44rem; padding: 1.5rem;
  {TEXT_TYPOGRAPHY} background: #fff; {TEXT_RENDERING} }}
h1, h2 {{ {HEADING_TYPOGRAPHY} }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.15rem; margin-top: 2rem; }}
.meta, .proof {{ font-size: 0.9rem; color: #555; }}
code {{ font-size: 0.8rem; word-break: break-all; }}
a {{ color: #0b4f9c; }}
"""


def article_style(scope: str) -> str:
    """The site's article typography for the elements under the CSS selector ``scope``."""
    return (
        f"{scope} {{ max-width: 44rem; {TEXT_TYPOGRAPHY} {TEXT_RENDERING} }}\n"
        f"{scope} h1, {scope} h2, {scope} h3 {{ {HEADING_TYPOGRAPHY} }}\n"
        f"{scope} p {{ margin: 0 0 1rem; }}\n"
    )


def paragraph_lines(body: str) -> list[list[tuple[int, int]]]:
    """The site's paragraphs of ``body`` (already NFC): blocks between blank lines, each a list
    of its lines as (start, end) offsets into ``body``, blank blocks left out."""
    blocks: list[list[tuple[int, int]]] = []
    position = 0
    for raw in body.split("\n\n"):
        start = position + (len(raw) - len(raw.lstrip()))
        block = raw.strip()
        position += len(raw) + 2
        if not block:
            continue
        lines: list[tuple[int, int]] = []
        offset = start
        for line in block.splitlines(keepends=True):
            content = line.splitlines()[0]  # the line without its end (any of Python's)
            lines.append((offset, offset + len(content)))
            offset += len(line)
        blocks.append(lines)
    return blocks


def vn_datetime(moment: datetime) -> str:
    """``dd/mm/yyyy HH:MM`` in Vietnam time."""
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def vn_number(value: int) -> str:
    """Thousands separated by dots: 1.234.567."""
    return f"{value:,}".replace(",", ".")


DECISION_VI = {
    "approve": "duyệt",
    "approve_with_recommendations": "duyệt kèm góp ý",
    "request_changes": "yêu cầu chỉnh sửa",
    "reject": "từ chối",
}


def _text(value: str) -> str:
    return escape(unicodedata.normalize("NFC", value))


def _paragraphs(body: str) -> str:
    text = unicodedata.normalize("NFC", body)
    return "\n".join(
        "<p>" + "<br>\n".join(escape(text[start:end]) for start, end in block) + "</p>"
        for block in paragraph_lines(text)
    )


def _page(title: str, body: str, *, feed_href: str) -> str:
    return (
        '<!doctype html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_text(title)}</title>\n"
        f'<link rel="alternate" type="application/atom+xml" href="{feed_href}">\n'
        f"<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def render_item(
    release: Release, *, published_at: datetime, site_title: str, has_receipt: bool
) -> str:
    # the main text's files, then each version with its own files (published together)
    attachments = [p for p in release.parts if p.role == "attachment" and not p.language]

    def file_list(parts: Sequence[ReleasePart]) -> str:
        return "\n".join(
            f'<li><a href="files/{escape(p.name, quote=True)}">{_text(p.name)}</a> '
            f"({vn_number(len(p.data))} byte, {escape(p.mime)})</li>"
            for p in parts
        )

    def version_files(language: str | None) -> str:
        own = [p for p in release.parts if p.role == "attachment" and p.language == language]
        return f"<h3>Tệp đính kèm</h3>\n<ul>\n{file_list(own)}\n</ul>\n" if own else ""

    versions = "".join(
        f'<section lang="{escape(p.language or "", quote=True)}" '
        f'id="{escape(version_anchor(p.language or ""), quote=True)}">\n'
        f"<h2>{_text(p.title or '')}</h2>\n"
        f"{_paragraphs(p.data.decode('utf-8', errors='replace'))}\n"
        f"{version_files(p.language)}</section>\n"
        for p in release.parts
        if p.role == "version"
    )
    files = file_list(attachments)
    body_part = next((p for p in release.parts if p.role == "body"), None)
    approvals = "\n".join(
        f"<li>{_text(a.display_name)} ({_text(a.role_label or a.role)}, "
        f"{_text(a.stage_label or a.stage)}): "
        f"{escape(DECISION_VI.get(a.decision, a.decision))}, {vn_datetime(a.at)}</li>"
        for a in release.approvals
    )
    receipt = (
        '<li><a href="receipt.json">receipt.json</a>: bằng chứng trong nhật ký kiểm toán</li>'
        if has_receipt
        else ""
    )
    body = (
        f'<header><p class="meta"><a href="../../index.html">{_text(site_title)}</a></p></header>\n'
        f"<main>\n<article>\n<h1>{_text(release.title)}</h1>\n"
        f'<p class="meta">Đăng ngày {vn_datetime(published_at)}</p>\n'
        f"{_paragraphs(release.body_text or '')}\n"
        f"{versions}"
        + (f"<h2>Tệp đính kèm</h2>\n<ul>\n{files}\n</ul>\n" if attachments else "")
        + (
            f'<p class="meta"><a href="files/{escape(body_part.name, quote=True)}">'
            "Văn bản gốc đã duyệt</a></p>\n"
            if body_part
            else ""
        )
        + '<section class="proof">\n<h2>Xác minh</h2>\n'
        f"<p>Mã băm của bản được duyệt (SHA-256): <code>{release.manifest_hash}</code></p>\n"
        f"<p>Người duyệt:</p>\n<ul>\n{approvals}\n</ul>\n"
        '<ul>\n<li><a href="manifest.json">manifest.json</a>: danh mục tệp và mã băm</li>\n'
        '<li><a href="approvals.json">approvals.json</a>: các chữ ký số phê duyệt</li>\n'
        f"{receipt}\n</ul>\n"
        "<p>Kiểm tra ngoại tuyến: <code>clearance audit verify-receipt receipt.json "
        "--vkey ../../log.vkey</code></p>\n</section>\n</article>\n</main>"
    )
    return _page(release.title, body, feed_href="../../feed.atom")


def render_index(entries: Sequence[Mapping[str, Any]], site_title: str) -> str:
    rows = "\n".join(
        f'<li><a href="items/{escape(str(e["item"]), quote=True)}/index.html">'
        f"{_text(str(e.get('title', '')))}</a> "
        f'<span class="meta">{vn_datetime(datetime.fromisoformat(str(e["published_at"])))}</span>'
        "</li>"
        for e in entries
    )
    body = (
        f"<main>\n<h1>{_text(site_title)}</h1>\n"
        + (f"<ul>\n{rows}\n</ul>" if rows else "<p>Chưa có tin bài nào được đăng.</p>")
        + '\n<p class="meta"><a href="feed.atom">Atom</a> · <a href="log.vkey">log.vkey</a></p>'
        "\n</main>"
    )
    return _page(site_title, body, feed_href="feed.atom")


def version_anchor(language: str) -> str:
    """The id of a language version's section on the item's page (the feed links to it)."""
    return f"version-{language}"


def _attr(value: object) -> str:
    return xml_escape(unicodedata.normalize("NFC", str(value)), {'"': "&quot;"})


def _feed_entry(e: Mapping[str, Any], base: str) -> str:
    """One release: its page as the alternate in the main text's language, each version as an
    alternate in its own (``hreflang``, its title, the version's section), each file an
    enclosure in the language of the text it goes with, and a content listing the main text's
    files then each version with its own under it (``xml:lang``), as the page does."""
    page = f"{base}/items/{e['item']}/"
    main = e.get("language")
    versions = [v for v in e.get("versions") or () if isinstance(v, Mapping)]
    files = [f for f in e.get("files") or () if isinstance(f, Mapping)]

    def lang(value: object) -> str:
        return f' hreflang="{_attr(value)}"' if value else ""

    links = [f'<link rel="alternate" type="text/html"{lang(main)} href="{_attr(page)}"/>']
    links += [
        f'<link rel="alternate" type="text/html"{lang(v.get("language"))} '
        f'title="{_attr(v.get("title", ""))}" '
        f'href="{_attr(page + "#" + version_anchor(str(v.get("language"))))}"/>'
        for v in versions
    ]
    links += [
        f'<link rel="enclosure" type="{_attr(f.get("mime", ""))}" '
        f'length="{int(f.get("length", 0))}"{lang(f.get("language"))} '
        f'title="{_attr(f.get("title", ""))}" href="{_attr(page + "files/" + str(f["name"]))}"/>'
        for f in files
    ]

    def file_list(version: object) -> str:
        own = [f for f in files if f.get("version") == version]
        rows = "".join(
            f'<li><a href="{_attr(page + "files/" + str(f["name"]))}">{_attr(f["name"])}</a></li>'
            for f in own
        )
        return f"<ul>{rows}</ul>" if own else ""

    sections = "".join(
        f'<div xml:lang="{_attr(v.get("language"))}" lang="{_attr(v.get("language"))}">'
        f"<h2>{_attr(v.get('title', ''))}</h2>{file_list(v.get('language'))}</div>"
        for v in versions
    )
    content = (
        f'<content type="xhtml"{f" xml:lang={chr(34)}{_attr(main)}{chr(34)}" if main else ""}>'
        f'<div xmlns="http://www.w3.org/1999/xhtml">{file_list(None)}{sections}</div>'
        "</content>\n"
        if versions or files
        else ""
    )
    return (
        "<entry>\n"
        f"<id>urn:clearance:{xml_escape(str(e['item']))}:{xml_escape(str(e['manifest']))}</id>\n"
        f"<title>{_attr(e.get('title', ''))}</title>\n" + "\n".join(links) + "\n"
        f"<updated>{xml_escape(str(e['published_at']))}</updated>\n"
        f"<summary>{_attr(e.get('summary', ''))}</summary>\n"
        f"{content}</entry>\n"
    )


def render_feed(entries: Sequence[Mapping[str, Any]], *, title: str, base_url: str) -> str:
    base = base_url.rstrip("/")
    updated = str(entries[0]["published_at"]) if entries else "1970-01-01T00:00:00+00:00"
    items = "".join(_feed_entry(e, base) for e in entries)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="vi">\n'
        f"<id>{xml_escape(base)}/</id>\n<title>{xml_escape(title)}</title>\n"
        f"<updated>{xml_escape(updated)}</updated>\n"
        f'<link rel="self" href="{xml_escape(base)}/feed.atom"/>\n'
        f'<link href="{xml_escape(base)}/"/>\n'
        "<author><name>Clearance</name></author>\n"
        f"{items}</feed>\n"
    )
