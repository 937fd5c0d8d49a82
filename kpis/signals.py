"""What the KPI floor tells the floors above it.

``kpis`` must not import the apps above it (CONTRIBUTING, "Floors"). When
measurements are recorded, corrected, imported or deleted, the KPI services
send ``measurements_changed`` and the apps above react: ``objectives`` makes
the key results that follow those KPIs take their latest value (connected in
``ObjectivesConfig.ready()``). This is the one sanctioned upward call.

It is sent inside the service's transaction, so receivers run in it: a
receiver that fails rolls the measurement back, and a key result never
disagrees with the KPI it follows.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

# Keyword arguments: org_id (int), kpi_ids (sorted list of int, never empty).
measurements_changed = Signal()


def send_measurements_changed(*, org_id: int, kpi_ids: Iterable[int]) -> None:
    """Tell the floors above that these KPIs' measurements changed (no-op for none)."""
    ids = sorted(set(kpi_ids))
    if ids:
        measurements_changed.send(sender=None, org_id=org_id, kpi_ids=ids)
