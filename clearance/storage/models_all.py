"""Import every package that defines models, so ``Base.metadata`` is complete (Alembic, tests)."""

from __future__ import annotations

import importlib

from clearance.storage import models  # noqa: F401

#: owners' model modules; each is imported when it exists
_OPTIONAL = (
    "clearance.auditlog.models",
    "clearance.signing.models",
    "clearance.policy.models",
    "clearance.publishing.models",
    "clearance.notifications.models",
    "clearance.admin.models",
    "clearance.accounts.models",
)


def load_all() -> None:
    for name in _OPTIONAL:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if not (name == missing or name.startswith(missing + ".")):
                raise


load_all()
