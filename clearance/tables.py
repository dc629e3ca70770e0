"""Import every module that defines tables, so ``Base.metadata`` is complete (Alembic, tests).

It sits at the top of the core (above every package whose tables it loads), not in
``clearance.storage``: the storage layer is a leaf that the model modules import, and a module in
it importing them back put ``storage`` in an import cycle with half of the core.

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
