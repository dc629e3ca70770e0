"""HTML and SVG derivatives built from an allow list, never by deleting what looks bad.

HTML: the standard-library parser tokenises the page and only allowed elements and attributes
are written back, every text and attribute value escaped, so the output is well-formed whatever
the input was. Dropped with their content: scripts, styles, embedded objects, frames, templates,
forms, inline SVG/MathML, the head's meta/link/base, and hidden elements (``hidden``,
``display:none``, ``visibility:hidden``). Dropped: comments, every ``on*`` handler, ``style``
attributes (CSS can load URLs), and any URL that is not relative or a fragment (``javascript:``,
``data:``, other hosts): external references are removed, links become plain text.

SVG: parsed with ``defusedxml`` (comments and processing instructions are not kept) and rebuilt
with only drawing elements and presentation attributes; ``href`` may only point inside the
document (``#id``). Scripts, ``foreignObject``, animations (they can rewrite links), ``style``,
``title``/``desc``/``metadata`` and event handlers are dropped.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import defusedxml.ElementTree as DET

from clearance.screening.extract.text import decode_text

_HTML_KEEP = {
    "html", "head", "body", "title", "p", "div", "span", "br", "hr", "h1", "h2", "h3", "h4", "h5",
    "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
    "caption", "strong", "em", "b", "i", "u", "s", "sub", "sup", "small", "blockquote", "q", "pre",
    "code", "figure", "figcaption", "img", "a", "section", "article", "header", "footer", "main",
    "nav", "aside", "time", "abbr", "mark",
}  # fmt: skip
_HTML_DROP_WITH_CONTENT = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "template",
    "noscript", "form", "textarea", "select", "button", "svg", "math", "canvas", "audio",
    "video", "link", "meta", "base",
}  # fmt: skip
_HTML_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "source", "wbr"}
_HTML_ATTRIBUTES = {"alt", "title", "colspan", "rowspan", "lang", "dir", "datetime", "href", "src"}
_URL_ATTRIBUTES = {"href", "src"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0")
_SAFE_URL = re.compile(r"^(?![a-z][a-z0-9+.\-]*:|//|\\)[^\s\x00-\x1f]*$", re.IGNORECASE)


def _safe_url(value: str) -> bool:
    """Relative paths and fragments only: no scheme (javascript:, data:, http:), no host."""
    return bool(_SAFE_URL.match(value.strip())) and "\\" not in value


class _Writer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip: list[str] = []  # open elements whose content is dropped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        hidden = "hidden" in values or bool(_HIDDEN_STYLE.search(values.get("style", "").lower()))
        if self.skip or tag in _HTML_DROP_WITH_CONTENT or hidden:
            if tag not in _HTML_VOID:
                self.skip.append(tag)
            return
        if tag not in _HTML_KEEP:
            return
        kept = [
            f' {name}="{html.escape(value, quote=True)}"'
            for name, value in values.items()
            if name in _HTML_ATTRIBUTES and (name not in _URL_ATTRIBUTES or _safe_url(value))
        ]
        if tag == "img" and not any(part.startswith(" src=") for part in kept):
            return
        self.out.append(f"<{tag}{''.join(kept)}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_VOID:
            self.handle_starttag(tag, attrs)
        elif not self.skip and tag in _HTML_KEEP:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag in self.skip:
                del self.skip[len(self.skip) - 1 - self.skip[::-1].index(tag) :]
            return
        if tag in _HTML_KEEP and tag not in _HTML_VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(html.escape(data, quote=False))

    # Comments, declarations, processing instructions: dropped (the doctype is written anew).


def sanitise_html(data: bytes) -> bytes:
    writer = _Writer()
    writer.feed(decode_text(data))
    writer.close()
    return ("<!DOCTYPE html>\n" + "".join(writer.out)).encode("utf-8")


SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_SVG_KEEP = {
    "svg", "g", "defs", "symbol", "use", "path", "rect", "circle", "ellipse", "line", "polyline",
    "polygon", "text", "tspan", "textPath", "linearGradient", "radialGradient", "stop",
    "clipPath", "mask", "pattern", "marker", "image",
}  # fmt: skip
_SVG_ATTRIBUTES = {
    "id", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "width", "height", "d",
    "points", "transform", "viewBox", "preserveAspectRatio", "fill", "fill-opacity", "fill-rule",
    "stroke", "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin",
    "stroke-dasharray", "opacity", "font-family", "font-size", "font-weight", "text-anchor",
    "dx", "dy", "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform",
    "clip-path", "mask", "marker-start", "marker-end", "markerWidth", "markerHeight", "refX",
    "refY", "orient", "patternUnits", "version", "href",
}  # fmt: skip
_LOCAL_URL = re.compile(r"^\s*#[\w\-.:]*\s*$")
_URL_FUNCTION = re.compile(r"url\s*\(\s*['\"]?\s*(?!#)", re.IGNORECASE)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _clean_svg(element: ET.Element) -> ET.Element:
    tag = _local(element.tag)
    clean = ET.Element(f"{{{SVG_NS}}}{tag}")
    for name, value in element.attrib.items():
        local = _local(name)
        if local not in _SVG_ATTRIBUTES or _URL_FUNCTION.search(value):
            continue
        if local == "href" and not _LOCAL_URL.match(value):
            continue
        clean.set(f"{{{XLINK_NS}}}href" if local == "href" else local, value)
    clean.text = element.text if tag in ("text", "tspan", "textPath") else None
    for child in element:
        if isinstance(child.tag, str) and _local(child.tag) in _SVG_KEEP:
            kept = _clean_svg(child)
            kept.tail = child.tail if tag in ("text", "tspan", "textPath") else None
            clean.append(kept)
    return clean


def sanitise_svg(data: bytes) -> bytes:
    root = DET.fromstring(decode_text(data).encode("utf-8"), forbid_dtd=True)
    if _local(root.tag) != "svg":
        raise ValueError("the SVG's root element is not <svg>")
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    clean: bytes = ET.tostring(_clean_svg(root), encoding="utf-8", xml_declaration=True)
    return clean
