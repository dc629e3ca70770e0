"""Core errors carry a stable code and params; the web UI says every code in Vietnamese.

The walk reads every ``code="..."`` an error is raised with in ``clearance/`` (and the web
adapter), with the ``params`` names given there, and renders each through ``user_message``
in Vietnamese and in English: a code without a Vietnamese message, or a message naming a
parameter the raise does not give, fails."""

from __future__ import annotations

import ast
from pathlib import Path

from flask import Flask, session

from clearance.errors import BadInput, ClearanceError
from tests.webapp.helpers import PASSWORD, browser
from tests.webapp.test_story import submit
from webapp.errors import ERROR_MESSAGES, user_message

ROOT = Path(__file__).resolve().parents[2]


def _error_classes() -> set[str]:
    import clearance.services.users  # noqa: F401 - defines LoginRefused

    names, todo = set(), [ClearanceError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def raised_codes() -> dict[str, tuple[set[str], str]]:
    """code -> (the params names it is raised with, where) for every coded error."""
    classes = _error_classes()
    found: dict[str, tuple[set[str], str]] = {}
    for package in ("clearance", "webapp"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name not in classes and name != "__init__":  # super().__init__ of an error
                    continue
                keywords = {k.arg: k.value for k in node.keywords if k.arg}
                code = keywords.get("code")
                if not (isinstance(code, ast.Constant) and isinstance(code.value, str)):
                    continue
                params = keywords.get("params")
                names = (
                    {k.value for k in params.keys if isinstance(k, ast.Constant)}
                    if isinstance(params, ast.Dict)
                    else set()
                )
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                previous = found.get(code.value)
                found[code.value] = (names & previous[0] if previous else names, where)
    return found


def test_the_walk_finds_the_user_facing_codes() -> None:
    codes = raised_codes()
    for expected in (
        "login.refused",
        "decision.reject_reason_required",
        "signoff.no_key",
        "setup.approver_and_admin",
        "item.title_empty",
        "roles.dual_control",
        "release.not_approved",  # a PolicyRefusal of the release point
        "release.channel_not_approved",
    ):
        assert expected in codes


def test_every_error_code_has_a_vietnamese_message(app: Flask) -> None:
    problems = []
    for code, (names, where) in sorted(raised_codes().items()):
        if code not in ERROR_MESSAGES:
            problems.append(f"{where}: no entry for {code!r} in webapp/errors.py")
            continue
        params: dict[str, str | int] = {name: f"<{name}>" for name in names}
        exc = ClearanceError(f"english text of {code}", code=code, params=params)
        shown: dict[str, str] = {}
        for lang in ("vi", "en"):
            with app.test_request_context():
                session["lang"] = lang
                shown[lang] = user_message(exc)
        if shown["vi"] == exc.message:
            problems.append(f"{where}: the message of {code!r} names params the raise lacks")
        elif shown["vi"] == shown["en"]:
            problems.append(f"{where}: no Vietnamese translation of {code!r} in the .po")
    assert not problems, problems


def test_the_english_message_stays_available() -> None:
    exc = BadInput("a rejection needs a reason", code="decision.reject_reason_required")
    assert str(exc) == "a rejection needs a reason" and exc.params == {}


def test_a_reason_less_rejection_reads_in_vietnamese(app: Flask) -> None:
    """Before the codes the approver read the core's English "a rejection needs a reason"."""
    item_id = submit(app)
    b = browser(app, "lanh.dao")
    page = b.get(f"/approvals/items/{item_id}").get_data(as_text=True)
    manifest = page.split('name="manifest_hash" type="hidden" value="')[1].split('"')[0]
    response = b.post(
        f"/approvals/items/{item_id}/decide",
        {"decision": "reject", "comment": "", "password": PASSWORD, "manifest_hash": manifest},
    )
    assert response.status_code == 422  # the form is shown again, the decision kept
    html = response.get_data(as_text=True)
    assert "Việc từ chối cần có lý do" in html
    assert "a rejection needs a reason" not in html


def test_params_naming_policy_ids_are_shown_by_their_labels(app: Flask) -> None:
    exc = ClearanceError(
        "you cannot sign stage security_review",
        code="signoff.stage_not_yours",
        params={"stage": "security_review", "missing": "security_officer"},
    )
    with app.test_request_context():
        session["lang"] = "vi"
        text = user_message(exc)
    assert "Cán bộ bảo mật xem xét phát hiện rà soát" in text and "security_review" not in text


def _verification_classes() -> set[str]:
    from clearance.errors import VerificationError

    names, todo = set(), [VerificationError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def uncoded_verification_errors() -> list[str]:
    """Where ``clearance/`` builds a VerificationError (or a subclass) without a ``code=``."""
    import clearance.storage.blobs  # noqa: F401 - defines BlobIntegrityError

    classes = _verification_classes()
    found = []
    for path in sorted((ROOT / "clearance").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in classes and not any(k.arg == "code" for k in node.keywords):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_verification_error_of_the_core_carries_a_code() -> None:
    """Each one is then walked above (a Vietnamese message for its code and params)."""
    assert not uncoded_verification_errors()
    assert "release.channel_type" in raised_codes()  # the walk sees them
