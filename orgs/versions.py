"""The organisation's data version: what cached documents (the cascade, the
dashboard) are keyed by, so that a cache is never stale.

Every committed change that a document may show bumps it: the activity log
(every change that matters is logged, DESIGN §3), the rollup and reconcile
(their progress writes are not logged) and the daily snapshots call
``bump_data_version``. The bump runs after the commit, as one short UPDATE
outside the writer's transaction, so concurrent writers never queue on the
organisation's row. A reader that starts after a commit sees the new version
(the bump runs before the writer's response is sent); a document built from
older data can only be stored under an older version, which nobody reads again.

Check-ins are the exception, because they are the hot path: a second commit
per request (one more WAL flush) would cost as much as the check-in itself.
A check-in always queues its rollup, and the worker's rollup bumps the version
inside its own transaction (``bump_data_version_now``), so the documents show
the check-in together with the progress it rolls up to. When the rollup cannot
be queued, the request bumps the version after all (``objectives.queue``).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from orgs.models import Organization


class _Bump:
    """An on-commit callback, one per organisation and transaction (a rollback drops it)."""

    def __init__(self, org_id: int) -> None:
        self.org_id = org_id

    def __call__(self) -> None:
        bump_data_version_now(self.org_id)


def bump_data_version(org_id: int) -> None:
    """Bump the organisation's data version once the current transaction commits (now if none)."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _Bump(org_id)()
        return
    if any(isinstance(entry[1], _Bump) and entry[1].org_id == org_id for entry in conn.run_on_commit):
        return
    transaction.on_commit(_Bump(org_id))


def data_version(org_id: int) -> int:
    """The organisation's current data version, read fresh (one query)."""
    return Organization.objects.filter(pk=org_id).values_list("data_version", flat=True).first() or 0


def bump_data_version_now(org_id: int) -> None:
    """Bump the version in the current transaction, so it commits (or rolls back) with it.

    Holds the organisation's row lock until that transaction ends: only for short
    transactions off the request path (the worker's rollups, which already lock the
    objective path they recompute)."""
    Organization.objects.filter(pk=org_id).update(data_version=F("data_version") + 1)
