"""The verifier's reading of who holds which sign-off role and key, through every entry that
grants them (a role change, the first-run roster, a key rotation) and of who authored a revision
(the submitter on someone's behalf): each guard has a log here that tells it apart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clearance.auditlog.entry import GENESIS_PREV, Entry, format_time
from clearance.auditlog.note import Signer, Verifier
from clearance.auditlog.workflow import SignedOff, Workflow

M = "11" * 32
T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
OLD = Signer.generate("lan").verifier
NEW = Signer.generate("lan").verifier
OTHER = Signer.generate("minh").verifier


def _entry(type_: str, actor: str | None, body: dict[str, Any], **fields: Any) -> Entry:
    return Entry(
        "clearance.test/log", 0, GENESIS_PREV, format_time(T0), type_, actor,
        fields.get("item"), fields.get("revision"), fields.get("manifest"), None, body,
    )  # fmt: skip


def _findings(*entries: Entry, signer: str = "lan", key: Verifier = OLD) -> list[str]:
    """The verifier's finding codes once ``signer`` signs off (role ``a``) on revision 1."""
    flow = Workflow()
    log = [
        *entries,
        _entry("item.submitted", "minh", {"author": "minh"}, item="itm", revision=1, manifest=M),
    ]
    for entry in log:
        flow.apply(0, entry)
    read = SignedOff(
        "itm", 1, M, "approve", "a", "s1", signer, format_time(T0), 0, b"\0" * 32, b"",
        ((signer, key.key_id, b"sig"),),
    )  # fmt: skip
    flow.signed_off(1, read)
    return [f.code for f in flow.findings]


def _registered(roles: list[str], vkey: str = OLD.vkey) -> list[Entry]:
    return [
        _entry(
            "user.registered", "admin", {"username": "lan", "signoff_roles": roles, "unit": "u"}
        ),
        _entry("key.registered", "admin", {"username": "lan", "vkey": vkey}),
    ]


def test_a_role_change_grants_and_withdraws_the_role() -> None:
    assert _findings(*_registered([])) == ["unauthorised-approver"]
    granted = _entry("user.roles_changed", "admin",
                     {"username": "lan", "after": {"signoff_roles": ["a"]}})  # fmt: skip
    assert _findings(*_registered([]), granted) == []
    withdrawn = _entry("user.roles_changed", "admin",
                       {"username": "lan", "after": {"signoff_roles": []}})  # fmt: skip
    assert _findings(*_registered(["a"]), withdrawn) == ["unauthorised-approver"]


def test_the_first_run_roster_grants_roles() -> None:
    roster = _entry("admin.roster_set_up", "admin", {"users": [
        "not a person", {"username": "lan", "signoff_roles": ["a"], "unit": "u"}]})  # fmt: skip
    key = _entry("key.registered", "admin", {"username": "lan", "vkey": OLD.vkey})
    assert _findings(roster, key) == []
    assert _findings(key) == ["unauthorised-approver"]


def test_a_rotation_must_name_the_active_key() -> None:
    rotated = _entry("key.rotated", "lan",
                     {"username": "lan", "old_vkey": OLD.vkey, "new_vkey": NEW.vkey})  # fmt: skip
    assert _findings(*_registered(["a"]), rotated, key=NEW) == []
    assert _findings(*_registered(["a"]), rotated, key=OLD) == ["signoff-signature"]
    wrong = _entry("key.rotated", "lan",
                   {"username": "lan", "old_vkey": OTHER.vkey, "new_vkey": NEW.vkey})  # fmt: skip
    assert _findings(*_registered(["a"]), wrong, key=NEW) == ["bad-key", "signoff-signature"]


def test_the_author_named_in_the_submission_cannot_sign_though_another_submitted() -> None:
    flow = Workflow()
    for entry in [
        *_registered(["a"]),
        _entry("item.submitted", "minh", {"author": "lan"}, item="itm", revision=1, manifest=M),
    ]:
        flow.apply(0, entry)
    read = SignedOff("itm", 1, M, "approve", "a", "s1", "lan", format_time(T0), 0, b"\0" * 32,
                     b"", (("lan", OLD.key_id, b"sig"),))  # fmt: skip
    flow.signed_off(1, read)
    assert [f.code for f in flow.findings] == ["self-approval"]
