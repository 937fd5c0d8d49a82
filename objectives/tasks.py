"""Celery tasks for progress: thin, idempotent, taking ids."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

from objectives import queue, reconcile
from objectives.models import RollupPending
from objectives.rollup import CycleInTreeError, rollup_objective_atomic, rollup_pending
from orgs.models import Organization

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    name="objectives.rollup_objective",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=6,
    ignore_result=True,
)
def rollup_objective_task(org_id: int, objective_id: int) -> int:
    """Recompute an objective and its ancestors from stored values (idempotent). Queued by
    earlier releases, one per change; changes now queue ``rollup_pending_task`` and nothing
    here queues this one. It stays registered under its name because a message an older
    release queued may still wait in the broker (tasks are acknowledged late), and the
    production smoke test reads the name in the worker's task list."""
    try:
        return rollup_objective_atomic(org_id=org_id, objective_id=objective_id)
    except CycleInTreeError as exc:
        log.error("rollup skipped: %s", exc)
        return 0


@shared_task(
    name="objectives.rollup_pending",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=6,
    ignore_result=True,
)
def rollup_pending_task(org_id: int) -> int:
    """Recompute every objective waiting in the organisation's outbox, in batches (idempotent:
    a second run finds nothing waiting). It is queued ``ROLLUP_BATCH_WAIT_MS`` ahead
    (``queue.publish_rollups``) and the organisation stays marked queued until it starts, so
    the check-ins of a burst join this batch instead of queueing their own; changes
    committed after it takes the batch queue another run."""
    queue.release_queued(org_id)
    return rollup_pending(org_id=org_id)


@shared_task(
    name="objectives.repair_dirty",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    ignore_result=True,
)
def repair_dirty_task() -> int:
    """Reconcile every organisation whose rollups could not be queued, and roll up what has
    waited in an outbox longer than a queued batch may (its message was lost)."""
    repaired = 0
    for org in Organization.objects.filter(rollup_dirty_since__isnull=False):
        repaired += reconcile.reconcile_dirty(org=org).repaired
    stale = timezone.now() - timedelta(seconds=queue.QUEUED_SECONDS)
    for org_id in (
        RollupPending.objects.filter(queued_at__lt=stale).values_list("organization_id", flat=True).distinct()
    ):
        repaired += rollup_pending(org_id=org_id)
    return repaired


@shared_task(
    name="objectives.reconcile_all",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    ignore_result=True,
    soft_time_limit=1800,
    time_limit=1900,
)
def reconcile_all_task() -> int:
    """Full set-based recompute of every organisation: repairs anything a lost task left stale."""
    total = 0
    for org_id in Organization.objects.values_list("id", flat=True):
        org = Organization.objects.filter(pk=org_id).first()
        if org is None:
            continue
        try:
            total += reconcile.reconcile_organization(org=org).repaired
        except (CycleInTreeError, DatabaseError) as exc:
            log.error("reconcile of organisation %s failed: %s", org_id, exc)
    return total


@shared_task(
    name="objectives.snapshot_all",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    ignore_result=True,
)
def snapshot_all_task() -> int:
    """Daily progress snapshots of objectives and teams (idempotent per day)."""
    from objectives import snapshots

    return sum(snapshots.snapshot_organization(org=org) for org in Organization.objects.all())
