"""Findings read as Vietnamese sentences (what was found, where, why, what to do), the rule id in
a ``<code>`` element: every rule id the screening and the pre-check can emit has its own
explanation, translated in the catalogue."""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale

from clearance.screening.rules import load_screening_rules
from clearance.settings import DEFAULT_SCREENING
from tests.webapp.helpers import browser
from tests.webapp.test_no_raw_ids import visible_text
from tests.webapp.test_story import submit
from webapp.findings import EXPLANATIONS, emitted_rules, explanation


def test_every_rule_the_screening_can_emit_is_explained_in_vietnamese(app: Flask) -> None:
    emitted = emitted_rules(load_screening_rules(DEFAULT_SCREENING))
    assert len(emitted) > 30  # the walk is not vacuous: the policy's rules and the engine's
    unexplained = [r for r in emitted if r.removesuffix(".metadata") not in EXPLANATIONS]
    assert not unexplained, unexplained
    untranslated = []
    with app.test_request_context("/"):
        for rule in emitted:
            vietnamese = explanation(rule)
            with force_locale("en"):
                english = str(EXPLANATIONS[rule.removesuffix(".metadata")])
            if english in vietnamese:
                untranslated.append(rule)
    assert not untranslated, untranslated


def test_the_policy_lists_every_rule_it_defines() -> None:
    """``rule_ids`` walks the policy's own sections: a marking gives its metadata variant too."""
    rules = load_screening_rules(DEFAULT_SCREENING)
    ids = rules.rule_ids()
    sections = (*rules.markings, *rules.keyword_lists, *rules.identifiers, *rules.metadata)
    assert {s.id for s in sections} <= set(ids)
    assert {f"{m.id}.metadata" for m in rules.markings} <= set(ids)


def test_a_finding_is_a_vietnamese_sentence_with_its_rule_in_code(app: Flask) -> None:
    body = "Điểm tập kết tại tọa độ 16.0544, 108.2022 theo kế hoạch.\nMời đồng bào tham dự."
    item_id = submit(app, body=body)
    html = browser(app, "tac.gia").get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "<code>geo.coordinates</code>" in html
    text = visible_text(html)
    assert "tọa độ bản đồ" in text  # the explanation, in Vietnamese
    assert "Vị trí: nội dung, dòng 1." in text  # where, in words
    assert "coordinates" not in text  # neither the English message nor the bare id
