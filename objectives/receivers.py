"""How objectives react to the floors below it (connected in ``ObjectivesConfig.ready()``)."""

from __future__ import annotations

from typing import Any

from objectives.services import key_results_follow_kpis


def follow_kpi_measurements(*, org_id: int, kpi_ids: list[int], **_: Any) -> None:
    """``kpis.signals.measurements_changed``: key results linked to these KPIs take their latest value."""
    key_results_follow_kpis(org_id=org_id, kpi_ids=kpi_ids)
