"""The "To do" inbox: what one person must do now, each item linking to where
it is done and gone once it is done. Computed, never stored: there is
nothing to keep in step. A fixed number of queries whatever the organisation's size.

- key results of theirs not checked in this week (active objectives, active cycles);
- KPI values of theirs due for the last period and not recorded (the sweep's rule);
- for managers, check-ins of the people they manage that they have not acknowledged;
- mentions of them they have not opened;
- retrospectives to write (objectives they own, as their cycle comes to its close) and,
  for reviewers, retrospectives to acknowledge (the close page's reviewer rule).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from conversations.mentions import parse, readable
from conversations.models import Acknowledgement, Mention
from cycles.models import Cycle, CycleStatus
from datasources.models import PullStatus
from datasources.selectors import pulls_for_owner
from kpis.periods import period_end
from notifications.models import NotificationKind
from objectives import progress as progress_math
from objectives.models import CheckIn, KeyResult, Objective, ObjectiveStatus
from objectives.restricted import hidden_kpis, hidden_objectives
from orgs import permissions
from orgs.models import Membership, Organization, TeamMember, User
from reminders.approvals import approval_items
from reminders.sweep import People, Wanted, kpi_wanted
from rituals import review

ACK_WINDOW_DAYS = 14  # check-ins older than two weeks no longer wait for a manager


class ItemKind:
    CHECK_IN = "check_in"
    KPI = "kpi"
    ACKNOWLEDGE = "acknowledge"
    MENTION = "mention"
    RETROSPECTIVE = "retrospective"
    REVIEW = "retrospective_review"
    SOURCE = "data_source"
    APPROVAL = "approval"  # an objective waiting for the member's review


@dataclass
class InboxItem:
    kind: str
    title: str
    url: str
    due: date | None
    object_id: int
    detail: str = ""
    overdue: bool = False
    check_in_ids: list[int] = field(default_factory=list)
    check_ins: list[CheckIn] = field(default_factory=list)
    objective_id: int | None = None  # the objective it is about, where there is one (DESIGN §3)

    @property
    def latest_check_ins(self) -> list[CheckIn]:
        """The latest of ``check_ins`` (newest first) per key result: one line per key result the
        card's title counts, whatever its kind, so the count and the lines agree."""
        seen: set[int] = set()
        latest = []
        for ci in self.check_ins:
            if ci.key_result_id not in seen:
                seen.add(ci.key_result_id)
                latest.append(ci)
        return latest


def week_start(org: Organization, today: date) -> datetime:
    monday = today - timedelta(days=today.weekday())
    return timezone.make_aware(datetime.combine(monday, datetime.min.time()), org.tzinfo)


def key_results_to_check_in(org: Organization, today: date, owner_ids: Iterable[int]) -> dict[int, list[KeyResult]]:
    """The key results of these owners not checked in this week (active objectives in running
    cycles), by owner. One query whatever the number of owners."""
    start = week_start(org, today)
    by_owner: dict[int, list[KeyResult]] = defaultdict(list)
    for kr in (
        KeyResult.objects.filter(
            organization=org,
            owner_id__in=list(owner_ids),
            objective__status=ObjectiveStatus.ACTIVE,
            objective__cycle__status=CycleStatus.ACTIVE,
            objective__cycle__start_date__lte=today,
            objective__cycle__end_date__gte=today,
        )
        .filter(Q(last_check_in_at__isnull=True) | Q(last_check_in_at__lt=start))
        .select_related("objective")
        .order_by("objective_id", "position", "id")
    ):
        by_owner[kr.owner_id].append(kr)
    return by_owner


def _check_in_items(org: Organization, user: User, today: date, krs: list[KeyResult] | None = None) -> list[InboxItem]:
    """``krs``: the user's key results from ``key_results_to_check_in`` (read here when None)."""
    if krs is None:
        krs = key_results_to_check_in(org, today, [user.pk]).get(user.pk, [])
    start = week_start(org, today)
    url = reverse("objectives:my_check_ins", kwargs={"slug": org.slug})
    sunday = start.date() + timedelta(days=6)
    items = []
    for kr in krs:
        last = kr.last_check_in_at.astimezone(org.tzinfo).date() if kr.last_check_in_at else None
        if last:
            detail = _("Last check-in %(days)d days ago.") % {"days": (today - last).days}
        else:
            detail = _("Not checked in yet.")
        items.append(
            InboxItem(
                kind=ItemKind.CHECK_IN,
                title=_("Check in on “%(kr)s”") % {"kr": kr.title},
                url=f"{url}#kr-{kr.pk}",
                due=sunday,
                object_id=kr.pk,
                detail=f"{kr.objective.title} · {detail}",
                objective_id=kr.objective_id,
                overdue=last is None or (today - last).days >= org.check_in_missed_days,
            )
        )
    return items


@dataclass
class KpiValuesDue:
    """The KPI values due in an organisation today, read once for any number of people."""

    wanted: list[Wanted]
    frequency: dict[int, str]

    def of(self, user_id: int) -> list[Wanted]:
        return [w for w in self.wanted if w.recipient_id == user_id]


def kpi_values_due(org: Organization, today: date, people: People | None = None) -> KpiValuesDue:
    """Whose KPI values are due (the sweep's rule), with the KPIs' frequencies. A fixed number of queries."""
    from kpis.models import Kpi

    wanted = [w for w in kpi_wanted(org, today, people) if w.kind == NotificationKind.KPI_DUE]
    ids = {int(w.subject[4:]) for w in wanted}
    frequency = dict(Kpi.objects.filter(organization=org, pk__in=ids).values_list("pk", "frequency")) if ids else {}
    return KpiValuesDue(wanted, frequency)


def _kpi_items(org: Organization, user: User, today: date, due_values: KpiValuesDue | None = None) -> list[InboxItem]:
    """``due_values``: from ``kpi_values_due`` (read here when None)."""
    due_values = due_values or kpi_values_due(org, today)
    wanted = due_values.of(user.pk)
    frequency = due_values.frequency
    items = []
    for w in wanted:
        kpi_id = int(w.subject[4:])
        due = period_end(w.period, frequency=frequency[kpi_id]) + timedelta(days=1)
        items.append(
            InboxItem(
                kind=ItemKind.KPI,
                title=_("Record %(kpi)s for the period starting %(period)s") % w.message_args,
                url=w.url,
                due=due,
                object_id=kpi_id,
                overdue=today >= due + timedelta(days=org.reminder_grace_days),
            )
        )
    return items


def _check_ins_to_acknowledge(org: Organization, membership: Membership, now: datetime) -> list[CheckIn]:
    """The recent check-ins of the people in the teams the member manages (admins: like any
    manager, the teams they manage themselves) that they have not acknowledged, newest first."""
    teams = permissions.managed_team_ids(membership) if not permissions.is_admin(membership) else None
    if teams is not None and not teams:
        return []
    people = TeamMember.objects.filter(organization=org)
    if teams is not None:
        people = people.filter(team_id__in=teams)
    else:  # admins: the people in the teams they manage themselves, like any manager
        managed = TeamMember.objects.filter(organization=org, user=membership.user, is_manager=True).values("team_id")
        people = people.filter(team_id__in=managed)
    since = now - timedelta(days=ACK_WINDOW_DAYS)
    return list(
        CheckIn.objects.filter(organization=org, created_at__gte=since, author_id__in=people.values("user_id"))
        .exclude(author=membership.user)
        .exclude(pk__in=Acknowledgement.objects.filter(organization=org, user=membership.user).values("check_in_id"))
        .select_related("author", "key_result__objective__cycle")
        .order_by("-created_at", "-id")
    )


def _off_track(cis: list[CheckIn], org: Organization, today: date) -> int:
    """How many of the key results these check-ins (newest first) moved are off track: the
    latest check-in of each decides, by its objective's health rule (its pace, its type and
    the organisation's thresholds)."""
    thresholds = progress_math.HealthThresholds.of(org)
    off = 0
    seen: set[int] = set()
    for ci in cis:
        if ci.key_result_id in seen:
            continue
        seen.add(ci.key_result_id)
        objective = ci.key_result.objective
        health = progress_math.objective_health(
            status=objective.status,
            progress=ci.key_result.progress,
            confidence=ci.confidence,
            commitment=objective.commitment,
            cycle_start=objective.cycle.start_date if objective.cycle else None,
            cycle_end=objective.cycle.end_date if objective.cycle else None,
            on=today,
            activated_on=objective.activated_on(org),
            thresholds=thresholds,
        )
        off += health == progress_math.Health.OFF_TRACK
    return off


def _acknowledge_items(org: Organization, membership: Membership, now: datetime) -> list[InboxItem]:
    """One item per person whose check-ins wait for the member. The check-ins on objectives
    the member may not see are left out before anything is counted: "checked in 3 key
    results; 2 are off track" would otherwise tell of activity they may not know of. No query
    of its own: ``hidden_objectives`` is read once and kept on the membership."""
    today = now.astimezone(org.tzinfo).date()
    hidden = hidden_objectives(membership)
    by_author: dict[int, list[CheckIn]] = defaultdict(list)
    for ci in _check_ins_to_acknowledge(org, membership, now):
        if ci.key_result.objective_id in hidden:
            continue
        by_author[ci.author_id].append(ci)  # type: ignore[index]  # author_id is set: the query reads check-ins by the team's people
    items = []
    for author_id, cis in by_author.items():
        krs = {ci.key_result_id for ci in cis}
        off = _off_track(cis, org, today)
        who = cis[0].author.display_name  # type: ignore[union-attr]  # the query keeps only check-ins with an author
        title = ngettext("%(who)s checked in %(n)d key result", "%(who)s checked in %(n)d key results", len(krs)) % {
            "who": who,
            "n": len(krs),
        }
        if off:
            title += "; " + ngettext("%(n)d is off track", "%(n)d are off track", off) % {"n": off}
        latest = cis[0]
        items.append(
            InboxItem(
                kind=ItemKind.ACKNOWLEDGE,
                title=title,
                url=reverse(
                    "objectives:detail",
                    kwargs={"slug": org.slug, "objective_id": latest.key_result.objective_id},
                )
                + f"#check-in-{latest.pk}",
                due=None,
                object_id=author_id,
                overdue=bool(off),
                check_in_ids=[ci.pk for ci in cis],
                check_ins=cis,
                objective_id=latest.key_result.objective_id,  # where its link goes
            )
        )
    return items


def _mention_items(org: Organization, user: User) -> list[InboxItem]:
    mentions = list(
        Mention.objects.filter(organization=org, user=user, seen_at__isnull=True)
        .select_related("comment__author", "comment__objective")
        .order_by("-created_at", "-id")
    )
    named = set().union(*(parse(m.comment.body)[0] for m in mentions)) if mentions else set()
    names = (
        {u.pk: u.display_name for u in User.objects.filter(pk__in=named, memberships__organization=org)}
        if named
        else {}
    )
    items = []
    for m in mentions:
        comment = m.comment
        who = comment.author.display_name if comment.author else _("A former member")
        items.append(
            InboxItem(
                kind=ItemKind.MENTION,
                title=_("%(who)s mentioned you on “%(objective)s”")
                % {"who": who, "objective": comment.objective.title},
                url=reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": comment.objective_id})
                + f"#comment-{comment.pk}",
                due=None,
                object_id=comment.pk,
                detail=readable(comment.body, names)[:200],
                objective_id=comment.objective_id,
            )
        )
    return items


def _retrospective_item(
    org: Organization, kind: str, o: Objective, today: date, title: str, detail: str, who: str = ""
) -> InboxItem:
    cycle: Cycle = o.cycle  # type: ignore[assignment]  # in a cycle: the selectors only return those
    url = reverse("objectives:cycle_close", kwargs={"slug": org.slug, "cycle_id": cycle.pk})
    return InboxItem(
        kind=kind,
        title=title % {"objective": o.title},
        url=f"{url}#objective-{o.pk}",
        due=cycle.end_date,
        object_id=o.pk,
        detail=detail % {"cycle": cycle.name, "who": who},
        overdue=today > cycle.end_date,
        objective_id=o.pk,
    )


def _retrospective_items(org: Organization, membership: Membership, today: date) -> list[InboxItem]:
    write = [
        _retrospective_item(
            org,
            ItemKind.RETROSPECTIVE,
            o,
            today,
            _("Write the retrospective of “%(objective)s”"),
            _("%(cycle)s is coming to its close: what went well, what did not, what you learned."),
        )
        for o in review.retrospectives_to_write(org=org, membership=membership, today=today)
    ]
    acknowledge = [
        _retrospective_item(
            org,
            ItemKind.REVIEW,
            retro.objective,
            today,
            _("Acknowledge the retrospective of “%(objective)s”"),
            _("%(who)s wrote it for %(cycle)s.") if retro.author else _("Written for %(cycle)s."),
            who=retro.author.display_name if retro.author else "",
        )
        for retro in review.retrospectives_to_review(org=org, membership=membership)
    ]
    return acknowledge + write


def _source_items(org: Organization, membership: Membership) -> list[InboxItem]:
    """A pull that kept failing, or that found a person's value there, waits for the KPI's owner."""
    items = []
    for pull in pulls_for_owner(membership=membership):
        kpi = pull.kpi
        if pull.status == PullStatus.FAILED:
            title = _("The value of “%(kpi)s” could not be pulled") % {"kpi": kpi.name}
            detail = pull.error
        else:
            title = _("The source disagrees with the value typed for “%(kpi)s”") % {"kpi": kpi.name}
            detail = _("The source says %(value)s; the typed value was kept.") % {"value": f"{pull.value:g}"}
        items.append(
            InboxItem(
                kind=ItemKind.SOURCE,
                title=title,
                url=reverse("kpis:detail", kwargs={"slug": org.slug, "kpi_id": kpi.pk}) + f"#pull-{pull.pk}",
                due=pull.period,
                object_id=kpi.pk,
                detail=detail[:300],
            )
        )
    return items


def _approval_items(org: Organization, membership: Membership, today: date) -> list[InboxItem]:
    """Objectives waiting for the member's review (``reminders.approvals``), oldest first."""
    items = []
    for w in approval_items(org, membership):
        since = w.since.astimezone(org.tzinfo).date()
        detail = _("%(owner)s submitted it on %(day)s.") % {
            "owner": w.owner,
            "day": date_format(since, "SHORT_DATE_FORMAT"),
        }
        items.append(
            InboxItem(
                kind=ItemKind.APPROVAL,
                title=_("Review “%(objective)s”") % {"objective": w.title},
                url=reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": w.objective_id}),
                due=None,
                object_id=w.objective_id,
                detail=detail,
                overdue=(today - since).days >= org.reminder_grace_days,
                objective_id=w.objective_id,
            )
        )
    return items


def inbox(*, org: Organization, membership: Membership, now: datetime | None = None) -> list[InboxItem]:
    """Everything the member must do now: mentions first, then check-ins to acknowledge,
    then retrospectives to write or acknowledge, then their own check-ins and KPI values
    (overdue first)."""
    now = now or timezone.now()
    today = now.astimezone(org.tzinfo).date()
    user = membership.user
    mine = _check_in_items(org, user, today) + _kpi_items(org, user, today)
    mine.sort(key=lambda i: (not i.overdue, i.due or date.max))
    items = (
        _mention_items(org, user)
        + _acknowledge_items(org, membership, now)
        + _retrospective_items(org, membership, today)
        + _approval_items(org, membership, today)
        + _source_items(org, membership)
        + mine
    )
    return _visible_items(items, membership)


def _visible_items(items: list[InboxItem], membership: Membership) -> list[InboxItem]:
    """The items about objectives and KPIs the member may see (DESIGN §3): one query, none for
    admins. Every item that names an objective carries its ``objective_id`` (a check-in to
    acknowledge: the one its link opens; its counts were taken over visible check-ins only),
    so this one pass is the filter for all of them."""
    hidden = hidden_objectives(membership)
    kpis = hidden_kpis(membership)
    if not hidden and not kpis:
        return items
    return [
        item
        for item in items
        if item.objective_id not in hidden
        and not (item.kind in (ItemKind.KPI, ItemKind.SOURCE) and item.object_id in kpis)
    ]
