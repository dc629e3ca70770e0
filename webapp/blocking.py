"""Why an item was blocked, in the user's language: each coded reason of the core
(``clearance.domain.blocking``) as a sentence, policy ids by their labels, rule ids, file
names and types in code elements. A reason stored before the codes keeps its English line,
shown in a code element after the lead-in."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from clearance.domain.blocking import BlockReason
from webapp import labels
from webapp.findings import finding_rule_name

#: every code of ``clearance.domain.blocking.CODES`` -> its sentence (the same params)
BLOCK_MESSAGES: dict[str, LazyString] = {
    "blocked.title_rules": lazy_gettext("The title contains what the screening blocks: %(rules)s."),
    "blocked.part_rules": lazy_gettext("%(part)s contains what the screening blocks: %(rules)s."),
    "blocked.part_held": lazy_gettext("%(part)s could not be fully inspected: %(reason)s"),
    "blocked.part": lazy_gettext("The screening blocked %(part)s."),
    "blocked.level_unpublishable": lazy_gettext("The level “%(level)s” can never be published."),
    "blocked.channel_level": lazy_gettext(
        "The channel %(channel)s does not accept the level “%(level)s”."
    ),
    "blocked.no_channel": lazy_gettext("No target channel was chosen."),
    "blocked.channel_type": lazy_gettext(
        "The channel %(channel)s does not accept files of type %(mime)s (%(part)s)."
    ),
}


def _code(value: str) -> Markup:
    return Markup("<code>%s</code>") % value


def _rules(value: str) -> Markup:
    rules = [r.strip() for r in value.split(",") if r.strip()]
    return Markup(", ").join(Markup("%s %s") % (finding_rule_name(r), _code(r)) for r in rules)


#: how each parameter is shown
_SHOWN: dict[str, Callable[[str], object]] = {
    "rules": _rules,
    "part": _code,
    "mime": _code,
    "reason": _code,
    "channel": labels.channel,
    "level": labels.level,
}


def block_reason(reason: BlockReason) -> Markup:
    """The reason as a sentence (an uncoded old one: its English line in a code element)."""
    template = BLOCK_MESSAGES.get(reason.code or "")
    if template is None:
        return _code(reason.text)
    params = {k: _SHOWN[k](v) if k in _SHOWN else v for k, v in reason.params.items()}
    return escape(str(template)) % params  # the translation escaped, then its params


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(block_reason=block_reason)
