"""WCAG contrast of every colour the stylesheets set, beyond what axe sees on the pages it walks:
the UI's stylesheet (``webapp/static/app.css``), the published site's and the approver's
published-typography sheet. Each rule's text colour is measured against its own background,
else against the background of the rule its selector sits in (``header.top a`` in
``header.top``), else against every light surface the sheet paints (a class like ``.muted`` can
land on any of them). Text needs 4.5:1 (WCAG 1.4.3, body text; nothing here is only large
text), the borders of controls and the focus ring 3:1 (WCAG 1.4.11)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from clearance.publishing.pages import STYLE
from webapp.itemview import PUBLISHED_CSS

APP_CSS = Path(__file__).resolve().parents[2] / "webapp" / "static" / "app.css"
TEXT = 4.5
NON_TEXT = 3.0
#: elements whose border tells a user where a control is (WCAG 1.4.11)
CONTROLS = re.compile(r"(^|[\s,>])(input|select|textarea|button)\b|\.button\b")
#: highlights of a few words (their own text is the only thing on them): not surfaces
INLINE_MARKS = re.compile(r"(^|[\s,>])(mark|ins|del)(\W.*)?$")
_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
_RGBA = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:[,\s/]+([\d.]+))?\s*\)")
_VAR = re.compile(r"var\(\s*(--[\w-]+)\s*\)")

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Rule:
    selector: str
    declarations: dict[str, str]


def rules(css: str) -> list[Rule]:
    """Every style rule of ``css`` (those inside @media blocks too), one per selector."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found: list[Rule] = []
    depth_selectors: list[str] = []
    buffer = ""
    for char in css:
        if char == "{":
            depth_selectors.append(buffer.strip())
            buffer = ""
        elif char == "}":
            selector = depth_selectors.pop() if depth_selectors else ""
            body = buffer.strip()
            buffer = ""
            if selector.startswith("@") or not body:
                continue
            declarations: dict[str, str] = {}
            for part in body.split(";"):
                if ":" in part:
                    name, value = part.split(":", 1)
                    declarations[name.strip().lower()] = value.strip()
            for one in selector.split(","):
                found.append(Rule(" ".join(one.split()), declarations))
        else:
            buffer += char
    return found


def custom_properties(all_rules: list[Rule]) -> dict[str, str]:
    return {
        name: value
        for rule in all_rules
        if rule.selector == ":root"
        for name, value in rule.declarations.items()
        if name.startswith("--")
    }


def colour(value: str, props: dict[str, str], under: RGB = (255, 255, 255)) -> RGB | None:
    """The first colour in a declaration's value (a background shorthand too), custom
    properties resolved, a translucent one composited over ``under``; None when it has none."""
    value = _VAR.sub(lambda m: props.get(m.group(1), m.group(0)), value)
    hex_match, rgba_match = _HEX.search(value), _RGBA.search(value)
    if hex_match and (not rgba_match or hex_match.start() < rgba_match.start()):
        digits = hex_match.group(1)
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    if rgba_match:
        r, g, b = (float(rgba_match.group(i)) for i in (1, 2, 3))
        alpha = float(rgba_match.group(4) or 1)
        return tuple(alpha * c + (1 - alpha) * u for c, u in zip((r, g, b), under, strict=True))  # type: ignore[return-value]
    if re.search(r"\bwhite\b", value):
        return (255, 255, 255)
    if re.search(r"\bblack\b", value):
        return (0, 0, 0)
    return None


def luminance(rgb: RGB) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def background_of(rule: Rule, props: dict[str, str]) -> RGB | None:
    for name in ("background-color", "background"):
        if name in rule.declarations:
            return colour(rule.declarations[name], props)
    return None


class Sheet:
    def __init__(self, css: str, page: RGB) -> None:
        self.rules = rules(css)
        self.props = custom_properties(self.rules)
        self.page = page
        #: every light surface a rule without its own text colour paints
        self.surfaces = {page}
        for rule in self.rules:
            bg = background_of(rule, self.props)
            inline_mark = INLINE_MARKS.search(rule.selector)
            if bg and "color" not in rule.declarations and luminance(bg) > 0.5 and not inline_mark:
                self.surfaces.add(bg)

    def backgrounds(self, rule: Rule) -> set[RGB]:
        """Where the rule's text can sit: its own background, the background of the rule its
        selector is inside, else every light surface."""
        own = background_of(rule, self.props)
        if own:
            return {own}
        parts = re.split(r"\s+|(?<=\S)(?=:)", rule.selector)
        for end in range(len(parts) - 1, 0, -1):
            prefix = " ".join(parts[:end])
            for other in self.rules:
                if other.selector == prefix:
                    bg = background_of(other, self.props)
                    if bg:
                        return {bg}
        return self.surfaces

    def failures(self) -> list[str]:
        found: list[str] = []
        for rule in self.rules:
            grounds = self.backgrounds(rule)
            checks: list[tuple[str, float]] = []
            if "color" in rule.declarations:
                checks.append((rule.declarations["color"], TEXT))
            if CONTROLS.search(rule.selector) and not rule.selector.startswith("button.link"):
                for name in ("border", "border-color"):
                    if name in rule.declarations and rule.declarations[name] not in ("0", "none"):
                        checks.append((rule.declarations[name], NON_TEXT))
            if ":focus" in rule.selector:
                for name in ("outline", "outline-color"):
                    if name in rule.declarations and rule.declarations[name] != "none":
                        checks.append((rule.declarations[name], NON_TEXT))
            for value, need in checks:
                for ground in grounds:
                    ink = colour(value, self.props, under=ground)
                    if ink is None:
                        continue
                    ratio = contrast(ink, ground)
                    if ratio < need:
                        shade = "".join(f"{round(c):02x}" for c in ground)
                        found.append(
                            f"{rule.selector} {{{value}}} on #{shade}: {ratio:.2f}:1 < {need}:1"
                        )
        return found


def test_contrast_arithmetic_matches_wcag() -> None:
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast((255, 255, 255), (255, 255, 255)) == pytest.approx(1)
    assert contrast((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


def test_the_checker_finds_a_pale_colour_and_follows_the_rule_it_sits_in() -> None:
    sheet = Sheet(
        ":root { --pale:#aaaaaa; }\n.hint { color:var(--pale); }\n"
        "header.top { background:#0f2740; color:#fff; }\nheader.top a { color:#fff; }\n"
        "@media (max-width: 640px) { input { border:1px solid #eeeeee; } }\n"
        ":focus-visible { outline:3px solid #ffe08a; }",
        page=(255, 255, 255),
    )
    found = sheet.failures()
    assert any(f.startswith(".hint {var(--pale)} on #ffffff: 2.32:1") for f in found), found
    assert not any(f.startswith("header.top") for f in found), found  # white on the header
    assert any(f.startswith("input {1px solid #eeeeee}") for f in found), found
    assert any(f.startswith(":focus-visible") for f in found), found


@pytest.mark.parametrize(
    ("name", "css", "page"),
    [
        ("app.css", APP_CSS.read_text(encoding="utf-8"), "var(--bg)"),
        ("site", STYLE, "#fff"),
        ("published.css", PUBLISHED_CSS, "#fff"),
    ],
)
def test_every_colour_pair_of_the_stylesheets_is_readable(name: str, css: str, page: str) -> None:
    sheet = Sheet(css, page=(255, 255, 255))
    ground = colour(page, sheet.props)
    assert ground is not None
    sheet.surfaces |= {ground}
    failures = sheet.failures()
    assert not failures, f"{name}:\n" + "\n".join(failures)
    assert len(sheet.rules) > 3  # the sheet was parsed


def test_the_focus_ring_is_drawn_and_visible_on_every_surface() -> None:
    sheet = Sheet(APP_CSS.read_text(encoding="utf-8"), page=(255, 255, 255))
    rings = [r for r in sheet.rules if r.selector.endswith(":focus-visible")]
    assert rings, "no :focus-visible rule: the browser's default ring is all there is"
    default = next(r for r in rings if r.selector == ":focus-visible")
    assert re.search(r"\b[2-9]px solid\b", default.declarations["outline"]), default
