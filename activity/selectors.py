from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet

from activity.models import ActivityEntry
from orgs.models import Membership, Organization

# Security events (logins, tokens, single sign-on and SCIM changes: ``identity``) are the
# admins' to read; every other reader of the log leaves them out.
SECURITY_PREFIX = "security."


# What a reader may not see of the log (DESIGN §3, Visibility): the floors that own
# restricted things (objectives, KPIs, conversations) register, in their ``ready()``, a
# function giving the entries about what the member may not see; readers pass ``reader``.
HiddenEntries = Callable[[Membership], Q | None]
_hidden: list[HiddenEntries] = []


def register_hidden_entries(fn: HiddenEntries) -> None:
    if fn not in _hidden:
        _hidden.append(fn)


def hidden_entries(m: Membership) -> Q | None:
    """The entries about objects ``m`` may not see, or None when there are none."""
    found = [q for q in (fn(m) for fn in _hidden) if q is not None]
    if not found:
        return None
    out = found[0]
    for q in found[1:]:
        out |= q
    return out


def activity_for(
    *,
    org: Organization,
    target_type: str | None = None,
    target_id: int | None = None,
    limit: int = 50,
    security: bool | None = False,
    reader: Membership | None = None,
) -> QuerySet[ActivityEntry]:
    """The organisation's entries, newest first: without security events (``security=False``,
    the default), only them (True) or both (None, an admin's full log); for ``reader``,
    without those about what they may not see."""
    qs = ActivityEntry.objects.filter(organization=org).select_related("actor")
    hidden = hidden_entries(reader) if reader is not None else None
    if hidden is not None:
        qs = qs.exclude(hidden)
    if security is False:
        qs = qs.exclude(verb__startswith=SECURITY_PREFIX)
    elif security:
        qs = qs.filter(verb__startswith=SECURITY_PREFIX)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id is not None:
        qs = qs.filter(target_id=target_id)
    return qs[:limit]


def activity_for_objective(
    *, org: Organization, objective_id: int, key_result_ids: list[int], limit: int = 50
) -> QuerySet[ActivityEntry]:
    """What happened to an objective and to its key results, newest first."""
    from django.db.models import Q

    return (
        ActivityEntry.objects.filter(organization=org)
        .exclude(verb__startswith=SECURITY_PREFIX)
        .filter(
            Q(target_type="objectives.objective", target_id=objective_id)
            | Q(target_type="objectives.keyresult", target_id__in=key_result_ids)
            | Q(target_type="objectives.initiative", after__objective=objective_id)
        )
        .select_related("actor")[:limit]
    )
