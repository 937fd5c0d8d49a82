"""Publishing rollups from the web side, safely.

``schedule_rollup`` is what services call: it remembers the objective for
the current transaction (several changes to one objective in one request
publish one rollup) and publishes after commit. Publishing never blocks a
request for long and never fails it: with the broker down it gives up in
about a second, marks the organisation dirty and the repair sweep
(``objectives.tasks.repair_dirty``) recomputes it later. Nothing the user
typed is lost — it was committed before the publish.

With ``settings.ROLLUP_INLINE`` the rollup runs at once in the caller's
transaction instead (tests and small scripts).
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError, OperationalError

from objectives.rollup import rollup_objective
from orgs.models import Organization

log = logging.getLogger(__name__)
_local = threading.local()  # per-thread set of (org, objective) pending for the open transaction


def schedule_rollup(*, org_id: int, objective_id: int) -> None:
    if getattr(settings, "ROLLUP_INLINE", False):
        rollup_objective(org_id=org_id, objective_id=objective_id)
        return
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        publish_rollup(org_id=org_id, objective_id=objective_id)
        return
    pending: set[tuple[int, int]] | None = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = set()
        transaction.on_commit(_flush)
    key = (org_id, objective_id)
    if key not in pending:
        pending.add(key)


def _flush() -> None:
    pending = getattr(_local, "pending", None) or set()
    _local.pending = None
    for org_id, objective_id in sorted(pending):
        publish_rollup(org_id=org_id, objective_id=objective_id)


def publish_rollup(*, org_id: int, objective_id: int) -> bool:
    """Send the task; on any broker failure mark the organisation dirty. Returns whether it was sent."""
    from objectives.tasks import rollup_objective_task

    try:
        rollup_objective_task.apply_async(
            args=[org_id, objective_id],
            retry=False,  # one short attempt: the request must not hang on a dead broker
        )
        return True
    except (KombuError, OperationalError, OSError, TimeoutError) as exc:
        log.warning(
            "rollup of objective %s not queued (%s); organisation %s marked dirty",
            objective_id,
            exc.__class__.__name__,
            org_id,
        )
        mark_dirty(org_id)
        return False
    except Exception:  # noqa: BLE001 — a broker problem must never fail a request that already committed
        log.exception("rollup of objective %s not queued; organisation %s marked dirty", objective_id, org_id)
        mark_dirty(org_id)
        return False


def mark_dirty(org_id: int) -> None:
    Organization.objects.filter(pk=org_id, rollup_dirty_since__isnull=True).update(rollup_dirty_since=timezone.now())
