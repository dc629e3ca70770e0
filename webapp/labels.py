"""Policy ids shown by their labels: levels, channels, sign-off roles, stages (the policy file
has them). In Vietnamese the ``label_vi``; in English the ``label_en`` where the policy has one,
else the id. Templates call these as globals; an unknown id is shown as it is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask
from flask_babel import gettext as _
from markupsafe import Markup, escape

from clearance.approval.rules import Eligibility, Rule
from clearance.policy.values import Policy
from webapp.context import runtime
from webapp.i18n import ROLE_LABELS, label, language


def _policy() -> Policy:
    return runtime().policy


class Names(dict[str, str]):
    """Labels by id; an id without one is shown as it is (``names[id]`` never fails, so a
    template looks a row's labels up by subscript, without a call per row)."""

    def __missing__(self, key: str) -> str:
        return key


class ChannelLists(dict[tuple[str, ...], str]):
    """A row's channels (a tuple of ids) as one text, the labels joined by commas, built once
    per distinct list (a page of fifty rows has few) instead of a loop per row."""

    def __init__(self, channels: Names) -> None:
        super().__init__()
        self.channels = channels

    def __missing__(self, key: tuple[str, ...]) -> str:
        text = ", ".join(self.channels[c] for c in key)
        if len(self) < 1024:  # the lists the policy's channels can form; keep it bounded
            self[key] = text
        return text


@dataclass(frozen=True, slots=True)
class LabelTable:
    """The policy's labels in one language: levels, channels and stages by id, and lists of
    channels as one text."""

    levels: Names
    channels: Names
    stages: Names
    channel_lists: ChannelLists


#: (id of the policy, language) -> (the policy, its labels): built once per policy in force
_TABLES: dict[tuple[int, str], tuple[Policy, LabelTable]] = {}


def _table_of(policy: Policy, lang: str) -> LabelTable:
    vi = lang == "vi"
    stages = Names()
    if vi:  # the policy's rule for a stage's label (Policy.stage_label), once per stage id
        for chain_ in policy.chains.values():
            for found in chain_.stages:
                stages.setdefault(found.id, policy.stage_label(found.id))
    channels = Names({name: ch.label_vi for name, ch in policy.channels.items()} if vi else {})
    return LabelTable(
        levels=Names({lv.name: lv.label_vi if vi else lv.label_en for lv in policy.levels}),
        channels=channels,
        stages=stages,
        channel_lists=ChannelLists(channels),
    )


def labels() -> LabelTable:
    """The labels of the policy in force in the request's language (the one place the
    label rules live; ``level``, ``channel`` and ``stage`` read it)."""
    policy = _policy()
    lang = language()
    key = (id(policy), lang)
    hit = _TABLES.get(key)
    if hit is not None and hit[0] is policy:
        return hit[1]
    table = _table_of(policy, lang)
    if len(_TABLES) > 16:  # policies replaced over a long life: keep only the recent ones
        _TABLES.clear()
    _TABLES[key] = (policy, table)
    return table


def level(name: str | None) -> str:
    if not name:
        return "—"
    return labels().levels[name]


def channel(name: str | None) -> str:
    if not name:
        return "—"
    return labels().channels[name]


def signoff_role(name: str | None) -> str:
    if not name:
        return "—"
    return _policy().signoff_role_label(name) if language() == "vi" else name


def any_role(name: str | None) -> str:
    """A product role (author, approver…) or a sign-off role of the policy."""
    if name in ROLE_LABELS:
        return label(ROLE_LABELS, name)
    return signoff_role(name)


def stage(stage_id: str | None) -> str:
    """A stage by its label (stage ids are shared by the chains; the first label found)."""
    if not stage_id:
        return "—"
    return labels().stages[stage_id]


def _signers(eligibility: Eligibility) -> str:
    """Who may sign: the roles by their labels, and the units they must belong to."""
    roles = _(" or ").join(signoff_role(r) for r in sorted(eligibility.roles))
    if eligibility.units is not None:
        roles = _("%(roles)s of the unit %(units)s", roles=roles,
                  units=_(" or ").join(sorted(eligibility.units)))  # fmt: skip
    if eligibility.same_unit:
        roles = _("%(roles)s of the drafting unit", roles=roles)
    return str(roles)


def need(eligibility: Eligibility, count: int) -> str:
    """One open part of a stage, as a sentence: how many more sign-offs, from which roles."""
    return str(
        _("%(count)s more sign-off from: %(roles)s", count=count, roles=_signers(eligibility))
    )


def rule(requirement: Rule) -> str:
    """A stage's sign-off rule as words: each way to satisfy it, how many sign-offs from whom."""
    ways = []
    for alternative in requirement.alternatives():
        counts = Counter(alternative)
        ways.append(
            _(" and ").join(
                str(_("%(count)s sign-off from: %(roles)s", count=n, roles=_signers(e)))
                for e, n in counts.items()
            )
        )
    return str(_("; or ").join(ways))


def chain(name: str | None) -> str:
    """A sign-off chain by its label (the id where the policy gives none)."""
    if not name:
        return "—"
    found = _policy().chains.get(name)
    return found.label_vi if found is not None and found.label_vi and language() == "vi" else name


def classification_reason(reason: Mapping[str, object]) -> Markup:
    """One recorded reason of the classification (kind, level, rule, where) as a sentence,
    the rule id in a code element."""
    kind = str(reason.get("kind", ""))
    shown = level(str(reason.get("level") or ""))
    rule = Markup("<code>%s</code>") % str(reason.get("rule", ""))
    if kind == "declared":
        return escape(_("The author declared the level %(level)s.", level=shown))
    if kind == "channel":
        return escape(_("A chosen channel requires at least %(level)s.", level=shown))
    if kind == "screening":
        text = escape(_("A screening finding requires %(level)s:", level=shown))
        return Markup("%s %s") % (text, rule)
    return Markup("%s %s") % (shown, rule)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        labels=labels,
        level_label=level,
        channel_label=channel,
        signoff_role_label=signoff_role,
        stage_label=stage,
        need_label=need,
        rule_label=rule,
        chain_label=chain,
        classification_reason=classification_reason,
    )
