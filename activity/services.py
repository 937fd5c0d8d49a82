from __future__ import annotations

from typing import Any

from django.db import models

from activity.models import ActivityEntry
from orgs.models import Organization, User
from orgs.versions import bump_data_version


def activity_record(
    *,
    org: Organization,
    actor: User | None,
    verb: str,
    target: models.Model | None = None,
    target_type: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    bump_version: bool = True,
) -> ActivityEntry:
    """Append one entry. Call inside the service's transaction so the entry
    and the change commit (or roll back) together. A logged change is a change
    that documents may show, so it also bumps the organisation's data version
    (after the commit, ``orgs.versions``) — unless ``bump_version`` is False, for
    a caller whose queued rollup bumps it instead (a check-in)."""
    if bump_version:
        bump_data_version(org.pk)
    return ActivityEntry.objects.create(
        organization=org,
        actor=actor,
        verb=verb,
        target_type=target_type or (target._meta.label_lower if target is not None else ""),
        target_id=getattr(target, "pk", None),
        target_repr=str(target)[:255] if target is not None else "",
        before=before,
        after=after,
    )
