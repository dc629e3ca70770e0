"""Import every module that defines tables, so ``Base.metadata`` is complete (Alembic, tests).

Plain imports: a missing or broken model module is an error here, never silently skipped.
"""

from __future__ import annotations

import clearance.accounts.models
import clearance.admin.models
import clearance.auditlog.models
import clearance.notifications.models
import clearance.policy.models
import clearance.publishing.models
import clearance.signing.models
import clearance.storage.blobs
import clearance.storage.models

#: the modules above, for whoever wants to name them
MODEL_MODULES = (
    clearance.storage.models,
    clearance.storage.blobs,
    clearance.auditlog.models,
    clearance.signing.models,
    clearance.policy.models,
    clearance.publishing.models,
    clearance.notifications.models,
    clearance.admin.models,
    clearance.accounts.models,
)


def load_all() -> None:
    """Kept for callers: importing this module already loaded every model."""
