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

Every rollup bumps the organisation's data version (``orgs.versions``): the
worker's inside its transaction, an inline one after the commit, and a rollup
that could not be queued at once from the request. A check-in relies on it and
does not bump the version itself.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError, OperationalError

from objectives.rollup import rollup_objective
from orgs.models import Organization
from orgs.versions import bump_data_version

log = logging.getLogger(__name__)


class _Publish:
    """An on-commit callback that remembers what it publishes, so one
    transaction queues each objective's rollup once. It lives in Django's
    on-commit list, which a rollback empties: no state outlives the transaction."""

    def __init__(self, org_id: int, objective_id: int) -> None:
        self.key = (org_id, objective_id)

    def __call__(self) -> None:
        publish_rollup(org_id=self.key[0], objective_id=self.key[1])


def schedule_rollup(*, org_id: int, objective_id: int) -> None:
    if getattr(settings, "ROLLUP_INLINE", False):
        rollup_objective(org_id=org_id, objective_id=objective_id)
        bump_data_version(org_id)  # once per transaction, after the commit, changed or not
        return
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        publish_rollup(org_id=org_id, objective_id=objective_id)
        return
    key = (org_id, objective_id)
    if any(isinstance(entry[1], _Publish) and entry[1].key == key for entry in conn.run_on_commit):
        return
    transaction.on_commit(_Publish(org_id, objective_id))


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
    """The repair sweep will recompute the organisation; the documents move on now, since the
    rollup that would have bumped the version will not run."""
    bump_data_version(org_id)
    Organization.objects.filter(pk=org_id, rollup_dirty_since__isnull=True).update(rollup_dirty_since=timezone.now())
