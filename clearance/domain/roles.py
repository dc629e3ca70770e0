"""Product roles. Sign-off roles (unit_head, spokesperson, ...) are named by the policy."""

from __future__ import annotations

from enum import StrEnum

from clearance.errors import BadInput


class Role(StrEnum):
    AUTHOR = "author"
    APPROVER = "approver"
    AUDITOR = "auditor"
    ADMIN = "admin"


def parse_roles(raw: str | list[str] | tuple[str, ...]) -> frozenset[Role]:
    names = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    roles: set[Role] = set()
    for name in names:
        try:
            roles.add(Role(name.strip().lower()))
        except ValueError:
            allowed = ", ".join(r.value for r in Role)
            raise BadInput(
                f"unknown role {name!r}; use one of {allowed}",
                code="roles.unknown",
                params={"role": name, "allowed": allowed},
            ) from None
    if not roles:
        raise BadInput(
            "a user needs at least one role (author, approver, auditor or admin)", code="roles.none"
        )
    return frozenset(roles)


def format_roles(roles: frozenset[str] | set[str]) -> str:
    return " ".join(sorted(roles))
