"""The flask-login user: a read-only view of the account, keyed so a password change ends
every other session."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from clearance.services.users import UserView
from clearance.storage.models import User


def session_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class WebUser:
    view: UserView
    fingerprint: str

    # flask-login protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.view.id}:{self.fingerprint}"

    @property
    def id(self) -> int:
        return self.view.id

    @property
    def username(self) -> str:
        return self.view.username

    @property
    def display_name(self) -> str:
        return self.view.display_name

    @property
    def roles(self) -> frozenset[str]:
        return self.view.roles

    def has(self, role: str) -> bool:
        return role in self.view.roles

    @classmethod
    def of(cls, user: User) -> WebUser:
        return cls(UserView.of(user), session_fingerprint(user))
