"""The templates' output escape writes exactly what markupsafe's ``escape`` writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask, render_template_string
from flask_babel import lazy_gettext
from markupsafe import Markup, escape

from webapp.templating import output_escape


class Html:
    def __html__(self) -> str:
        return "<b>trusted</b>"


class Text(str):
    """A str subclass without ``__html__``: escaped as its text."""


class Plain:
    def __str__(self) -> str:
        return 'a <b> & "c"'


VALUES: list[object] = [
    "",
    "Lễ hội số 12",
    "Lễ hội <script>alert(\"x\")</script> & 'ngoặc'",
    "&amp; already escaped",
    "a>b",
    Markup("<em>safe</em>"),
    Markup("Tiêu đề"),
    Html(),
    Text("<i>sub</i> & co"),
    Plain(),
    12,
    3.5,
    None,
    True,
    datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__ + ":" + str(v)[:20])
def test_output_escape_writes_what_markupsafe_writes(value: object) -> None:
    assert str(output_escape(value)) == str(escape(value))


def test_lazy_strings_are_escaped_as_markupsafe_does(app: Flask) -> None:
    with app.test_request_context("/"):
        lazy = lazy_gettext("Title")
        assert str(output_escape(lazy)) == str(escape(lazy))


def test_templates_write_escaped_values_and_keep_markup(app: Flask) -> None:
    source = (
        "{{ hostile }}|{{ safe }}|{{ number }}|{{ nothing }}|"
        "{% set block %}<p>{{ hostile }}</p>{% endset %}{{ block }}|"
        "{% macro m(x) %}<i>{{ x }}</i>{% endmacro %}{{ m(hostile) }}|{{ m(safe) }}"
    )
    with app.test_request_context("/"):
        html = render_template_string(
            source, hostile='<script>"x"</script> & \'y\'', safe=Markup("<b>ok</b>"), number=7,
            nothing=None,
        )  # fmt: skip
    e = "&lt;script&gt;&#34;x&#34;&lt;/script&gt; &amp; &#39;y&#39;"
    assert html == f"{e}|<b>ok</b>|7|None|<p>{e}</p>|<i>{e}</i>|<i><b>ok</b></i>"


def test_the_app_compiles_templates_with_the_lean_escape(app: Flask) -> None:
    env = app.jinja_env
    source = env.loader.get_source(env, "_macros.html")[0]  # type: ignore[union-attr]
    code = env.compile(source, name="_macros.html", raw=True)
    assert "environment.output_escape(" in code
    assert " escape(" not in code
