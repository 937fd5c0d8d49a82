"""Whether each recipient may see what a reminder or a buffered notification is about (DESIGN §3),
for whole sets at once: the sweep's reminders before they are claimed, the digests' rows
before they are e-mailed.

A subject ("objective:12", "kr:5", "kpi:3") open to the whole organisation is seen by every
member; only recipients of reminders about a team-only or private objective or KPI are asked,
through the per-member lists of ``objectives.restricted`` (nothing for admins, one query for
the others). The subjects are read in at most one query per kind, whatever their number.
Fails closed, as ``notifications.subjects`` does: a subject of an unknown kind, of an object
since deleted, or a recipient no longer a member, is hidden.
"""

from __future__ import annotations

from collections.abc import Iterable

from kpis.models import Kpi
from notifications.models import Notification
from notifications.subjects import open_q, split_subject
from objectives.models import KeyResult, Objective
from objectives.restricted import hidden_kpis, hidden_objectives
from orgs.models import Membership, Organization
from orgs.visibility import Visibility, sees_everything

# A subject resolved to what decides who sees it: ("objective", id) or ("kpi", id), and whether
# that is open to everyone.
Target = tuple[str, int, bool]


def _targets(org: Organization, subjects: set[str]) -> dict[str, Target]:
    """{subject: its target} for the subjects that name an existing object of ``org``."""
    ids: dict[str, set[int]] = {}
    for subject in subjects:
        kind, pk = split_subject(subject)
        if pk is not None:
            ids.setdefault(kind, set()).add(pk)
    found: dict[str, Target] = {}
    open_ = Visibility.ORGANIZATION
    if ids.get("objective"):
        objectives = Objective.objects.filter(organization=org, pk__in=ids["objective"])
        found |= {
            f"objective:{pk}": ("objective", pk, v == open_) for pk, v in objectives.values_list("pk", "visibility")
        }
    if ids.get("kr"):
        krs = KeyResult.objects.filter(organization=org, pk__in=ids["kr"])
        rows = krs.values_list("pk", "objective_id", "objective__visibility")
        found |= {f"kr:{pk}": ("objective", oid, v == open_) for pk, oid, v in rows}
    if ids.get("kpi"):
        kpis = Kpi.objects.filter(organization=org, pk__in=ids["kpi"])
        found |= {f"kpi:{pk}": ("kpi", pk, v == open_) for pk, v in kpis.values_list("pk", "visibility")}
    return found


def hidden_pairs(org: Organization, pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Those (recipient id, subject) of ``pairs`` whose recipient may not see the subject; a
    subject naming nothing ("check-ins", "") is seen by everyone. At most three queries for
    the subjects, one for the memberships of recipients of restricted ones, and the cached
    lists (``objectives.restricted``) of those who are not admins."""
    about = {(uid, s) for uid, s in pairs if split_subject(s)[0]}
    if not about:
        return set()
    targets = _targets(org, {s for _uid, s in about})
    hidden = {(uid, s) for uid, s in about if s not in targets}  # unknown or deleted: fails closed
    restricted = {(uid, s) for uid, s in about if s in targets and not targets[s][2]}
    if not restricted:
        return hidden
    members = Membership.objects.filter(organization=org, user_id__in={uid for uid, _s in restricted})
    by_user = {m.user_id: m for m in members.select_related("organization")}
    for uid, subject in restricted:
        m = by_user.get(uid)
        kind, pk, _open = targets[subject]
        if m is None:
            hidden.add((uid, subject))
        elif sees_everything(m):
            continue
        elif pk in (hidden_objectives(m) if kind == "objective" else hidden_kpis(m)):
            hidden.add((uid, subject))
    return hidden


def still_seen(org: Organization, rows: list[Notification]) -> list[Notification]:
    """``rows`` without those whose recipient may no longer see what they are about (a digest or
    a held e-mail tells nothing the list would not show). One query leaves out the rows about
    nothing or about what everyone sees (``open_q``); the others are asked together
    (``hidden_pairs``), so the cost does not grow with the number of recipients."""
    about = [n for n in rows if n.subject_type]
    if not about:
        return rows
    open_rows = Notification.objects.filter(pk__in=[n.pk for n in about]).filter(open_q())
    opened = set(open_rows.values_list("pk", flat=True))
    rest = [(n.recipient_id, _subject(n)) for n in about if n.pk not in opened]
    hidden = hidden_pairs(org, rest) if rest else set()
    return [n for n in rows if not n.subject_type or (n.recipient_id, _subject(n)) not in hidden]


def _subject(n: Notification) -> str:
    return f"{n.subject_type}:{n.subject_id}"
