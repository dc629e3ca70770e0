"""HTML (standard-library ``html.parser``, which never fetches or executes anything) and SVG
(``defusedxml``, which refuses DTDs, entity expansion and external entities).

Everything a reader or a crawler could see is text to scan: visible text, hidden elements
(``hidden``, ``display:none``, ``visibility:hidden``), comments, attribute values (title, alt,
content, value, placeholder, aria-label, data-*), script bodies. Scripts, event handlers and
``javascript:`` URLs are active content; references to other hosts are external references.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import defusedxml.ElementTree as DET

from clearance.screening.extract.base import Extraction
from clearance.screening.extract.text import decode_text
from clearance.screening.limits import Budget
from clearance.screening.rules import MetadataKind

_BLOCK = {
    "p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "title",
    "section", "article", "header", "footer", "table", "ul", "ol", "blockquote", "pre", "hr",
}  # fmt: skip
_TEXT_ATTRIBUTES = {"title", "alt", "content", "value", "placeholder", "aria-label", "label"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0")
_EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "source", "wbr"}


class _Collector(HTMLParser):
    def __init__(self, out: Extraction) -> None:
        super().__init__(convert_charrefs=True)
        self.out = out
        self.body: list[str] = []
        self.hidden: list[str] = []
        self.attributes: list[str] = []
        self.scripts: list[str] = []
        self.comments: list[str] = []
        self.stack: list[tuple[str, bool]] = []
        self.in_script = False

    def _hidden_now(self) -> bool:
        return any(hidden for _tag, hidden in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        hidden = "hidden" in values or bool(_HIDDEN_STYLE.search(values.get("style", "").lower()))
        if tag in ("script", "noscript") or tag == "template":
            self.in_script = tag == "script"
        for name, value in values.items():
            if name.startswith("on") or value.strip().lower().startswith("javascript:"):
                self.out.observe(MetadataKind.ACTIVE_CONTENT, "html", f"<{tag} {name}=...>")
                self.scripts.append(value)
            elif name in ("src", "href", "action", "data", "poster") and _EXTERNAL.match(value):
                self.out.observe(MetadataKind.EXTERNAL_REFERENCES, "html", f"<{tag}> -> {value}")
            if name in _TEXT_ATTRIBUTES or name.startswith("data-"):
                self.attributes.append(value)
        if tag == "script":
            self.out.observe(MetadataKind.ACTIVE_CONTENT, "html", "<script> element")
        if tag in ("iframe", "object", "embed"):
            self.out.observe(MetadataKind.ACTIVE_CONTENT, "html", f"<{tag}> element")
        if hidden:
            self.out.observe(MetadataKind.HIDDEN_CONTENT, "html", f"hidden <{tag}> element")
        if tag in _BLOCK:
            self.body.append("\n")
        if tag not in _VOID:
            self.stack.append((tag, hidden))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break
        if tag in _BLOCK:
            self.body.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.scripts.append(data)
        elif self._hidden_now():
            self.hidden.append(data + "\n")
        else:
            self.body.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)
        self.out.observe(MetadataKind.COMMENTS, "html comments", "HTML comment")


_FEED = 64 * 1024


def extract_html(data: bytes, budget: Budget | None = None) -> Extraction:
    """Fed in slices with a deadline check between them: ``html.parser`` re-scans an unclosed
    construct on every feed, so hostile markup is slow, but it stops at the budget's deadline
    (``screen_file_isolated`` is the hard guard for a single slow call)."""
    out = Extraction()
    collector = _Collector(out)
    text = decode_text(data)
    for start in range(0, len(text), _FEED):
        if budget is not None:
            budget.check()
        collector.feed(text[start : start + _FEED])
    collector.close()
    out.text("html", "".join(collector.body))
    out.text("html hidden elements", "".join(collector.hidden))
    out.text("html attributes", "\n".join(collector.attributes))
    out.text("html comments", "\n".join(collector.comments))
    out.text("html scripts", "\n".join(collector.scripts))
    return out


_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)


def extract_svg(data: bytes) -> Extraction:
    out = Extraction()
    text = decode_text(data)
    root = DET.fromstring(text.encode("utf-8"), forbid_dtd=True)
    body: list[str] = []
    attributes: list[str] = []
    scripts: list[str] = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower() if isinstance(element.tag, str) else ""
        content = "".join(element.itertext()) if tag in ("script", "style") else element.text
        if tag == "script":
            out.observe(MetadataKind.ACTIVE_CONTENT, "svg", "<script> element")
            scripts.append(content or "")
        elif tag == "foreignobject":
            out.observe(MetadataKind.ACTIVE_CONTENT, "svg", "<foreignObject> (embedded HTML)")
        elif tag in ("title", "desc", "metadata"):
            out.observe(MetadataKind.DESCRIPTION, "svg", f"<{tag}> element")
        if content and tag not in ("script", "style"):
            body.append(content.strip())
        if element.tail and element.tail.strip():
            body.append(element.tail.strip())
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or value.strip().lower().startswith("javascript:"):
                out.observe(MetadataKind.ACTIVE_CONTENT, "svg", f"<{tag} {local}=...>")
                scripts.append(value)
            elif local == "href" and not value.startswith("#"):
                out.observe(MetadataKind.EXTERNAL_REFERENCES, "svg", f"<{tag}> -> {value[:80]}")
            if local in _TEXT_ATTRIBUTES or local.startswith("data-"):
                attributes.append(value)
    out.text("svg", "\n".join(body))
    out.text("svg attributes", "\n".join(attributes))
    out.text("svg scripts", "\n".join(scripts))
    comments = _COMMENT.findall(text)
    if comments:
        out.observe(MetadataKind.COMMENTS, "svg comments", "XML comment")
        out.text("svg comments", "\n".join(comments))
    return out
