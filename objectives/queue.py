"""Publishing rollups from the web side, safely and without a storm (DESIGN §5).

``schedule_rollup`` is what services call. It writes the objective into the
``RollupPending`` outbox in the caller's transaction (so the need for a rollup
commits with the change, or not at all), and after the commit queues one task
for the organisation — unless one is already queued and has not started yet
(a flag in Redis, ``core.fastcache``, cleared by the task as it starts;
without Redis every commit queues one, and a run that finds nothing waiting
costs one query). The task takes
every pending objective of the organisation in one batch (``rollup_pending``):
a Friday burst of check-ins is a few batches, not one task per check-in.

Publishing never blocks a request for long and never fails it: with the broker
down it gives up in about a second, marks the organisation dirty and the repair
sweep (``objectives.tasks.repair_dirty``, every minute) recomputes it later,
as it also takes batches whose task was lost. After one failure the process does
not try the broker again for ``BROKER_PUBLISH_BACKOFF_SECONDS`` (``core.broker``,
one window for every publish of the process): a hung broker costs one time-out per
window, not one per check-in. Nothing the user typed is lost —
it was committed before the publish.

With ``settings.ROLLUP_INLINE`` the rollup runs at once in the caller's
transaction instead (tests and small scripts).

Every rollup bumps the organisation's data version (``orgs.versions``): the
worker's inside its transaction, an inline one after the commit, and a rollup
that could not be queued at once from the request. A check-in relies on it and
does not bump the version itself.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import broker, fastcache
from objectives.models import RollupPending
from objectives.rollup import rollup_objective
from orgs.models import Organization
from orgs.versions import bump_data_version

log = logging.getLogger(__name__)

# How long a queued batch keeps later commits from queueing another: past it (a lost
# message), the next change queues one again; the repair sweep takes what is left.
QUEUED_SECONDS = 60


class _Publish:
    """An on-commit callback, one per organisation and transaction: it remembers the
    organisation so a transaction queues its batch once. It lives in Django's on-commit
    list, which a rollback empties: no state outlives the transaction."""

    def __init__(self, org_id: int) -> None:
        self.org_id = org_id

    def __call__(self) -> None:
        publish_rollups(org_id=self.org_id)


def outbox_in_use() -> bool:
    """Whether changes go through the outbox (not ``ROLLUP_INLINE``): a caller that writes
    the outbox row in its own statement asks this first, then passes ``written=True``."""
    return not getattr(settings, "ROLLUP_INLINE", False)


def schedule_rollup(*, org_id: int, objective_id: int, written: bool = False) -> None:
    if not outbox_in_use():
        rollup_objective(org_id=org_id, objective_id=objective_id)
        bump_data_version(org_id)  # once per transaction, after the commit, changed or not
        return
    if not written:
        _write_pending(org_id, objective_id)  # in the caller's transaction, or committed at once
    # After the commit, or at once outside a transaction (the row is committed then too).
    conn = transaction.get_connection()
    if not any(isinstance(entry[1], _Publish) and entry[1].org_id == org_id for entry in conn.run_on_commit):
        transaction.on_commit(_Publish(org_id))


# The outbox row, one statement that never waits (repeats are folded by the batch). A
# caller that writes it within its own statement (the check-in on PostgreSQL) uses
# these and passes ``written=True`` to ``schedule_rollup``.
PENDING_COLUMNS = ("organization_id", "objective_id", "queued_at")
PENDING_INTO = f"INSERT INTO {RollupPending._meta.db_table} ({', '.join(PENDING_COLUMNS)})"  # noqa: S608
PENDING_SQL = f"{PENDING_INTO} VALUES (%s, %s, %s)"


def pending_params(org_id: int, objective_id: int) -> list:
    return [org_id, objective_id, connection.ops.adapt_datetimefield_value(timezone.now())]


def _write_pending(org_id: int, objective_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(PENDING_SQL, pending_params(org_id, objective_id))


def _queued_key(org_id: int) -> str:
    return f"rollup:queued:{org_id}"


# A queued batch does not start before its countdown ends. Until shortly before then, a
# commit in a process that knows of the batch needs not ask Redis: the batch will take its
# outbox row. Per process: organisation → the time (``time.time()``) up to which that holds.
# The margin allows for the clocks of web and worker machines; a batch that started early
# all the same leaves the row to the next commit's batch, or to the repair sweep.
_queued_until: dict[int, float] = {}
CLOCK_MARGIN_SECONDS = 0.1
_clock = time.time


def _batch_wait_seconds() -> float:
    # With the flag (Redis), the batch waits for the rest of the burst before it runs;
    # without it every commit queues its own, and waiting would only pile them up.
    return getattr(settings, "ROLLUP_BATCH_WAIT_MS", 0) / 1000 if fastcache.available() else 0.0


def claim_queued(org_id: int) -> bool:
    """Mark the organisation's batch as queued; False when it already is. Without a fast
    cache (or with one that is down) always True: queueing once too often is harmless
    (the second run finds nothing waiting), never queueing is not. The flag holds the time
    the batch starts, which the process remembers (``_queued_until``)."""
    now = _clock()
    if now < _queued_until.get(org_id, 0.0):
        return False
    starts_at = now + _batch_wait_seconds()
    added, found = fastcache.add_or_get(_queued_key(org_id), starts_at, QUEUED_SECONDS)
    if added is None:
        return True
    known = starts_at if added else found
    if isinstance(known, (int, float)) and known - CLOCK_MARGIN_SECONDS > now:
        _queued_until[org_id] = known - CLOCK_MARGIN_SECONDS
    return bool(added)


def release_queued(org_id: int) -> None:
    """The batch has started (or could not be queued): the next change queues another."""
    _queued_until.pop(org_id, None)
    fastcache.delete(_queued_key(org_id))


def publish_rollups(*, org_id: int) -> bool:
    """Queue the organisation's batch unless one is queued and not started; on any broker
    failure mark the organisation dirty, and for a short while after one (of any publish
    of this process) do not even try (``core.broker``). Returns whether a batch is
    (now) queued."""
    from objectives.tasks import rollup_pending_task

    if broker.backing_off():
        mark_dirty(org_id)
        return False
    if not claim_queued(org_id):
        return True
    wait = _batch_wait_seconds()
    queued = broker.publish(
        lambda: rollup_pending_task.apply_async(
            args=[org_id],  # type: ignore[arg-type]  # Celery takes any sequence; the stubs say tuple
            countdown=wait or None,  # type: ignore[arg-type]  # None is no countdown; the stubs say float
            retry=False,  # one short attempt: the request must not hang on a dead broker
        ),
        what=f"rollups of organisation {org_id} (marked dirty)",
    )
    if queued:
        return True
    release_queued(org_id)
    mark_dirty(org_id)
    return False


def mark_dirty(org_id: int) -> None:
    """The repair sweep will recompute the organisation; the documents move on now, since the
    rollup that would have bumped the version will not run. The mark is set only where none
    is (``reconcile.reconcile_dirty`` clears it by compare-and-set)."""
    now = timezone.now()
    if transaction.get_connection().in_atomic_block:
        bump_data_version(org_id)  # after the commit: never hold the organisation's row in a transaction
        Organization.objects.filter(pk=org_id, rollup_dirty_since__isnull=True).update(rollup_dirty_since=now)
        return
    # The usual case, after the commit: the mark and the version bump in one statement, so a
    # check-in while the broker is down or hung costs one more commit, not two.
    Organization.objects.filter(pk=org_id).update(
        data_version=F("data_version") + 1, rollup_dirty_since=Coalesce(F("rollup_dirty_since"), Value(now))
    )
