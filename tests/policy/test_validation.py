"""Every mistake an administrator could make is reported with file, line, field, expected, found."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clearance.errors import PolicyInvalid, Problem
from clearance.policy import load_policy
from tests.policy.policy_support import SCREENING, Edit

Doc = dict[str, Any]


def _stage(doc: Doc, chain: str, index: int) -> Doc:
    stage = doc["chains"][chain]["stages"][index]
    assert isinstance(stage, dict)
    return stage


def _set(path: str, value: Any) -> Edit:
    """An edit that sets a dotted path (list indexes as numbers)."""

    def edit(doc: Doc) -> None:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
        target: Any = doc
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return edit


def _drop(path: str) -> Edit:
    def edit(doc: Doc) -> None:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
        target: Any = doc
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return edit


def _swap_levels(a: int, b: int) -> Edit:
    def edit(doc: Doc) -> None:
        doc["levels"][a], doc["levels"][b] = doc["levels"][b], doc["levels"][a]

    return edit


def _duplicate_stage_id(doc: Doc) -> None:
    _stage(doc, "public_release", 2)["id"] = "unit_review"


def _duplicate_level(doc: Doc) -> None:
    doc["levels"].insert(1, dict(doc["levels"][0]))


def _duplicate_reference(doc: Doc) -> None:
    doc["references"].append(dict(doc["references"][0]))


def _replace_requirement(**requirement: Any) -> Edit:
    def edit(doc: Doc) -> None:
        stage = _stage(doc, "public_release", 1)
        for key in ("roles", "same_unit", "quorum", "units", "of", "all_of", "any_of"):
            stage.pop(key, None)
        stage.update(requirement)

    return edit


def _only_conditional(doc: Doc) -> None:
    for stage in doc["chains"]["internal_release"]["stages"]:
        stage["when"] = "held_for_review"


# (id, edit, field, expected contains, found contains)
CASES: list[tuple[str, Edit, str, str, str]] = [
    (
        "unknown level in a channel",
        _set("channels.website.levels", ["cong_khai", "bi_mat"]),
        "channels.website.levels[1]",
        "a level defined under levels",
        "'bi_mat'",
    ),
    (
        "unknown chain in a level",
        _set("levels.0.chain", "fast_track"),
        "levels[0].chain",
        "a chain defined under chains",
        "'fast_track'",
    ),
    (
        "empty chain",
        _set("chains.public_release.stages", []),
        "chains.public_release.stages",
        "at least one entry",
        "an empty list",
    ),
    (
        "quorum larger than the stage",
        _replace_requirement(roles=["provincial_leader"], quorum=3, of=2),
        "chains.public_release.stages[1].quorum",
        "a quorum no larger than the stage (2)",
        "the integer 3",
    ),
    (
        "quorum zero",
        _set("chains.public_release.stages.1.quorum", 0),
        "chains.public_release.stages[1].quorum",
        "a positive integer or all",
        "the integer 0",
    ),
    (
        "quorum as words",
        _set("chains.public_release.stages.1.quorum", "most"),
        "chains.public_release.stages[1].quorum",
        "a positive integer or all",
        "the text 'most'",
    ),
    (
        "of beside quorum all",
        _replace_requirement(roles=["provincial_leader"], quorum="all", of=2),
        "chains.public_release.stages[1].of",
        "no 'of' with quorum all",
        "the integer 2",
    ),
    (
        "stage size not a number",
        _replace_requirement(roles=["provincial_leader"], quorum=1, of="three"),
        "chains.public_release.stages[1].of",
        "a positive integer (the size of the stage)",
        "the text 'three'",
    ),
    (
        "duplicate stage id",
        _duplicate_stage_id,
        "chains.public_release.stages[2].id",
        "a stage id used once in the chain",
        "'unit_review' again",
    ),
    (
        "duplicate level",
        _duplicate_level,
        "levels[1].name",
        "a level name used once",
        "'cong_khai' again",
    ),
    (
        "duplicate reference id",
        _duplicate_reference,
        "references[5].id",
        "a reference id used once",
        "'law_117_2025' again",
    ),
    (
        "unknown role",
        _set("chains.public_release.stages.1.roles", ["unit_head", "chairman"]),
        "chains.public_release.stages[1].roles[1]",
        "a sign-off role (",
        "'chairman'",
    ),
    (
        "role listed twice",
        _set("chains.public_release.stages.1.roles", ["unit_head", "unit_head"]),
        "chains.public_release.stages[1].roles[1]",
        "each entry once",
        "'unit_head' again",
    ),
    (
        "product role as sign-off role",
        _set("signoff_roles.approver", {"label_vi": "Người duyệt"}),
        "signoff_roles.approver",
        "a sign-off role (product roles",
        "'approver'",
    ),
    (
        "state secret made publishable",
        _set("levels.3.publishable", True),
        "levels[3].publishable",
        "false (state secrets are never published",
        "true",
    ),
    (
        "state secret flag removed",
        _set("levels.4.state_secret", False),
        "levels[4].state_secret",
        "true for a state-secret level",
        "false",
    ),
    (
        "state secret flag on another level",
        _set("levels.1.state_secret", True),
        "levels[1].state_secret",
        "state_secret only on mat, toi_mat, tuyet_mat",
        "state_secret on 'noi_bo'",
    ),
    (
        "state-secret level missing",
        _drop("levels.5"),
        "levels",
        "the state-secret levels mat, toi_mat, tuyet_mat",
        "no tuyet_mat",
    ),
    (
        "state-secret levels out of order",
        _swap_levels(3, 4),
        "levels",
        "the state-secret levels last, in the order mat < toi_mat < tuyet_mat",
        "toi_mat < mat",
    ),
    (
        "publishable level without chain",
        _drop("levels.0.chain"),
        "levels[0].chain",
        "a sign-off chain for a publishable level",
        "nothing",
    ),
    (
        "never-published level with a chain",
        _set("levels.3.chain", "public_release"),
        "levels[3].chain",
        "no chain for a level never published",
        "'public_release'",
    ),
    (
        "channel allows a state-secret level",
        _set("channels.press.levels", ["cong_khai", "mat"]),
        "channels.press.levels[1]",
        "a publishable level",
        "'mat', never published",
    ),
    (
        "invalid MIME type",
        _set("channels.website.file_types", ["application/pdf", "pdf"]),
        "channels.website.file_types[1]",
        "a MIME type such as application/pdf",
        "the text 'pdf'",
    ),
    (
        "unknown publisher adapter",
        _set("channels.social.publisher.adapter", "facebook"),
        "channels.social.publisher.adapter",
        "one of directory, webhook, website",
        "the text 'facebook'",
    ),
    (
        "secret in publisher settings",
        _set("channels.social.publisher.settings.hmac_key", "s3cr3t"),
        "channels.social.publisher.settings.hmac_key",
        "no secrets in the policy",
        "'hmac_key'",
    ),
    (
        "channel floor above what it allows",
        _set("channels.website.implies_level", "han_che"),
        "channels.website.implies_level",
        "a level at or below the highest level the channel allows",
        "'han_che'",
    ),
    (
        "misspelt key",
        _set("chains.public_release.stages.1.qourum", 1),
        "chains.public_release.stages[1].qourum",
        "one of the keys id, label_vi",
        "'qourum'",
    ),
    (
        "empty all_of",
        _replace_requirement(all_of=[]),
        "chains.public_release.stages[1].all_of",
        "at least one part (an empty all_of is refused)",
        "an empty list",
    ),
    (
        "empty any_of",
        _replace_requirement(any_of=[]),
        "chains.public_release.stages[1].any_of",
        "at least one part (an empty any_of is refused)",
        "an empty list",
    ),
    (
        "roles beside any_of",
        _replace_requirement(
            roles=["unit_head"], quorum=1, any_of=[{"roles": ["unit_head"], "quorum": 1}]
        ),
        "chains.public_release.stages[1]",
        "exactly one of roles (with quorum), all_of or any_of",
        "roles, any_of",
    ),
    (
        "no requirement at all",
        _replace_requirement(),
        "chains.public_release.stages[1]",
        "exactly one of roles (with quorum), all_of or any_of",
        "none of them",
    ),
    (
        "quorum beside all_of",
        _replace_requirement(quorum=2, all_of=[{"roles": ["unit_head"], "quorum": 1}]),
        "chains.public_release.stages[1].quorum",
        "no quorum beside all_of",
        "quorum",
    ),
    (
        "only conditional stages",
        _only_conditional,
        "chains.internal_release.stages",
        "at least one stage that always applies",
        "only conditional stages",
    ),
    (
        "unknown condition",
        _set("chains.public_release.stages.0.when", "sometimes"),
        "chains.public_release.stages[0].when",
        "one of always, held_for_review",
        "the text 'sometimes'",
    ),
    (
        "deadline zero",
        _set("chains.public_release.stages.1.deadline_hours", 0),
        "chains.public_release.stages[1].deadline_hours",
        "an integer from 1 to 8760",
        "the integer 0",
    ),
    (
        "deadline as a float",
        _set("chains.public_release.stages.1.deadline_hours", 1.5),
        "chains.public_release.stages[1].deadline_hours",
        "text, an integer, a boolean or a date",
        "a float",
    ),
    (
        "unknown reference",
        _set("levels.0.reference", "decree_999"),
        "levels[0].reference",
        "a reference id (",
        "the text 'decree_999'",
    ),
    (
        "unverified reference without a note",
        _drop("references.0.note"),
        "references[0].note",
        "a note saying what could not be verified",
        "nothing",
    ),
    (
        "reference without verified flag",
        _drop("references.0.verified"),
        "references[0].verified",
        "true or false",
        "nothing",
    ),
    (
        "legal basis names an unknown reference",
        _set("metadata.legal_basis", ["law_117_2025", "law_1_1990"]),
        "metadata.legal_basis[1]",
        "a reference id (",
        "'law_1_1990'",
    ),
    (
        "effective date in the wrong format",
        _set("metadata.effective_date", "01/03/2026"),
        "metadata.effective_date",
        "a date (YYYY-MM-DD)",
        "the text '01/03/2026'",
    ),
    (
        "missing version",
        _drop("metadata.version"),
        "metadata.version",
        "non-empty text",
        "nothing",
    ),
    (
        "missing section",
        _drop("channels"),
        "channels",
        "a channels section",
        "nothing",
    ),
    (
        "unknown top-level key",
        _set("workflow", {}),
        "workflow",
        "one of the keys metadata",
        "'workflow'",
    ),
    (
        "bad level name",
        _set("levels.0.name", "Công khai"),
        "levels[0].name",
        "a name of lowercase letters",
        "the text 'Công khai'",
    ),
    (
        "include outside the policy folder",
        _set("screening", {"include": "../screening.yaml"}),
        "screening.include",
        "a path inside the policy file's folder",
        "the text '../screening.yaml'",
    ),
    (
        "include of a non-YAML file",
        _set("screening", {"include": "/etc/passwd"}),
        "screening.include",
        "a relative path to a .yaml file",
        "the text '/etc/passwd'",
    ),
    (
        "include beside other keys",
        _set("screening", {"include": "screening.yaml", "markings": []}),
        "screening",
        "only the include key beside include",
        "other keys too",
    ),
    (
        "missing screening section",
        _drop("screening"),
        "screening",
        "a screening section",
        "nothing",
    ),
]


def _problems(path: Path) -> list[Problem]:
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(path)
    return caught.value.problems


@pytest.mark.parametrize(
    ("edit", "field", "expected", "found"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_mistake_is_reported(
    edited: Callable[[Edit], Path], edit: Edit, field: str, expected: str, found: str
) -> None:
    path = edited(edit)
    problems = _problems(path)
    matching = [p for p in problems if p.field == field]
    assert matching, f"no problem at {field}; got {[str(p) for p in problems]}"
    problem = matching[0]
    assert expected in problem.expected
    assert found in problem.found
    assert problem.file == str(path)
    assert problem.line is not None
    assert str(problem).startswith(f"{path}:{problem.line}: {field}: expected ")


def test_all_problems_are_reported_at_once(edited: Callable[[Edit], Path]) -> None:
    chosen = {
        "unknown level in a channel",
        "unknown chain in a level",
        "quorum zero",
        "invalid MIME type",
        "unknown publisher adapter",
    }

    def many(doc: Doc) -> None:
        for case in CASES:
            if case[0] in chosen:
                case[1](doc)

    assert len(_problems(edited(many))) == len(chosen)


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "screening.yaml").write_bytes(SCREENING.read_bytes())
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


SOURCE_CASES = [
    ("syntax error", "metadata: [unclosed\n", "(file)", "valid YAML", 2),
    ("empty file", "", "(file)", "a YAML mapping", 1),
    ("duplicate key", "metadata: {}\nlevels: []\nmetadata: {}\n", "metadata", "each key once", 3),
    ("alias", "a: &x [1]\nb: *x\n", "b", "no YAML anchors or aliases", 2),
    ("non-text key", "1: one\n", "(root)", "text keys", 1),
    ("list at the top", "- a\n- b\n", "(root)", "a mapping", 1),
]


@pytest.mark.parametrize(
    ("text", "field", "expected", "line"),
    [case[1:] for case in SOURCE_CASES],
    ids=[case[0] for case in SOURCE_CASES],
)
def test_malformed_yaml_is_reported_with_its_line(
    tmp_path: Path, text: str, field: str, expected: str, line: int
) -> None:
    problems = _problems(_write(tmp_path, text))
    matching = [p for p in problems if p.field == field and expected in p.expected]
    assert matching, [str(p) for p in problems]
    assert matching[0].line == line


def test_line_numbers_point_at_the_mistake(tmp_path: Path) -> None:
    text = (Path(SCREENING).parent / "default.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    target = next(i for i, line in enumerate(lines) if "deadline_hours: 48" in line)
    lines[target] = lines[target].replace("48", "-1")
    problems = _problems(_write(tmp_path, "\n".join(lines) + "\n"))
    assert [p.line for p in problems] == [target + 1]


def test_problems_in_the_included_file_name_that_file(tmp_path: Path) -> None:
    screening = SCREENING.read_text(encoding="utf-8").replace(
        "levels: [han_che, mat, toi_mat, tuyet_mat]", "levels: [han_che, mat, toi_mat, bi_mat]"
    )
    policy_text = (Path(SCREENING).parent / "default.yaml").read_text(encoding="utf-8")
    path = _write(tmp_path, policy_text)
    (tmp_path / "screening.yaml").write_text(screening, encoding="utf-8")
    problems = _problems(path)
    levels = [p for p in problems if p.field == "screening.levels[3]"]
    assert levels and "a level defined under levels" in levels[0].expected
    assert any(p.file.endswith("screening.yaml") and p.line is not None for p in problems)


def test_missing_include_is_reported(edited: Callable[[Edit], Path]) -> None:
    path = edited(_set("screening", {"include": "other.yaml"}))
    problems = _problems(path)
    assert any(p.file.endswith("other.yaml") and p.expected == "a readable file" for p in problems)


def test_inline_screening_section_is_accepted(edited: Callable[[Edit], Path]) -> None:
    import yaml

    inline = yaml.safe_load(SCREENING.read_text(encoding="utf-8"))
    policy = load_policy(edited(_set("screening", inline)))
    assert policy.screening.markings
