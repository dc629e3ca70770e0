"""The installation's stored report summary, and its refresh in the background.

The web's report pages and the background work (the scheduled ``deadlines`` flow, ``clearance
report refresh``, the end of ``clearance demo``) open the same file under the home, sealed with
the same key (derived from the installation's secret key, never stored). The refresh folds the
log's new entries and brings every stored month report up to date, so a page after an upgrade
or a bulk import finds its months stored and folds only what came since.
"""

from __future__ import annotations

from clearance.reports.snapshot import state_key
from clearance.reports.summary import Summary
from clearance.runtime import Runtime
from clearance.settings import Settings


def stored_summary(settings: Settings) -> Summary:
    """A handle on the report summary under ``settings.home`` (one per process is enough)."""
    return Summary(
        settings.home / "reports" / "summary.sqlite", state_key(settings.require_secret_key())
    )


def refresh_stored(rt: Runtime) -> list[str]:
    """Fold the new entries into the stored summary and recompute the month reports that are
    missing or out of date; the months recomputed."""
    summary = stored_summary(rt.settings)
    try:
        with rt.readers() as session:
            return summary.refresh(session)
    finally:
        summary.close()
