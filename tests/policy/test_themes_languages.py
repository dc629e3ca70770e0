"""The policy's themes (chủ đề) and accepted languages: loaded with their labels, every mistake
reported with its field, and absent from older stored policies without breaking them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clearance.errors import BadInput, PolicyInvalid
from clearance.policy import load_policy, policy_from_document
from tests.policy.policy_support import DEFAULT, default_document, write_policy


def test_the_default_policy_declares_the_plan_themes_and_languages() -> None:
    policy = load_policy(DEFAULT)
    assert policy.themes["bien_dao"].label_vi == "Biển, đảo"
    assert policy.themes["cong_dong_asean"].label_vi == "Cộng đồng ASEAN"
    assert policy.themes["phan_bac_thong_tin_sai_lech"].label_en == "Countering false information"
    assert {"nhan_quyen", "bien_gioi_lanh_tho", "dan_chu_ton_giao", "quang_ba_tinh",
            "xuc_tien_dau_tu", "du_lich"} <= set(policy.themes)  # fmt: skip
    assert list(policy.languages) == ["vi", "en", "zh", "ko", "ja", "fr"]
    assert policy.default_language == "vi"
    assert policy.languages["ko"].label_vi == "Tiếng Hàn"


def test_checked_themes_come_back_in_the_policy_order_and_once() -> None:
    policy = load_policy(DEFAULT)
    assert policy.checked_themes(["du_lich", "bien_dao", "du_lich"]) == ("bien_dao", "du_lich")
    with pytest.raises(BadInput) as caught:
        policy.checked_themes(["bien_dao", "bong_da"])
    assert caught.value.code == "unknown_theme" and caught.value.params == {"theme": "bong_da"}
    assert "bong_da" in caught.value.message and "bien_dao" in caught.value.message
    with pytest.raises(BadInput) as refused:
        policy.checked_language("de")
    assert refused.value.code == "unknown_language"


def _problems(tmp_path: Path, document: dict[str, Any]) -> list[str]:
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(write_policy(tmp_path, document))
    return [f"{p.field}: expected {p.expected}, found {p.found}" for p in caught.value.problems]


@pytest.mark.parametrize(
    ("section", "value", "wanted"),
    [
        ("languages", [{"code": "vi", "label_vi": "Tiếng Việt"}, {"code": "eng", "label_vi": "Anh"}],
         "languages[1].code: expected an ISO 639-1 language code"),
        ("languages", [{"code": "VI", "label_vi": "Tiếng Việt"}],
         "languages[0].code: expected an ISO 639-1 language code in lowercase"),
        ("languages", [{"code": "vi", "label_vi": "Tiếng Việt"}, {"code": "vi", "label_vi": "X"}],
         "languages[1].code: expected a language code used once, found 'vi' again"),
        ("languages", [{"code": "en"}], "languages[0].label_vi: expected non-empty text"),
        ("languages", [], "languages: expected at least one entry, found an empty list"),
        ("languages", [{"code": "en", "label_vi": "Anh", "flag": "uk"}],
         "languages[0].flag: expected one of the keys code, label_vi, label_en"),
        ("themes", [{"id": "Biển đảo", "label_vi": "Biển, đảo"}],
         "themes[0].id: expected a name of lowercase letters"),
        ("themes", [{"id": "bien_dao", "label_vi": "A"}, {"id": "bien_dao", "label_vi": "B"}],
         "themes[1].id: expected a theme id used once, found 'bien_dao' again"),
        ("themes", [{"id": "bien_dao"}], "themes[0].label_vi: expected non-empty text"),
        ("themes", {"bien_dao": "Biển, đảo"}, "themes: expected a list, found a mapping"),
    ],
)  # fmt: skip
def test_bad_themes_and_languages_are_named(
    tmp_path: Path, section: str, value: Any, wanted: str
) -> None:
    document = default_document()
    document[section] = value
    problems = _problems(tmp_path, document)
    assert any(p.startswith(wanted) for p in problems), problems


def test_a_stored_policy_without_themes_still_loads_and_accepts_vietnamese() -> None:
    document = dict(load_policy(DEFAULT).document)
    del document["themes"], document["languages"]
    policy = policy_from_document(document)
    assert dict(policy.themes) == {}
    assert list(policy.languages) == ["vi"]
    with pytest.raises(BadInput):
        policy.checked_themes(["bien_dao"])


def test_themes_and_languages_are_part_of_the_policy_hash(tmp_path: Path) -> None:
    base = load_policy(DEFAULT)
    document = default_document()
    document["themes"][0]["label_vi"] = "Cộng đồng ASEAN (sửa)"
    assert load_policy(write_policy(tmp_path, document)).content_hash != base.content_hash
