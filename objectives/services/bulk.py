"""Many new objectives, with their key results and initiatives, at once (an import).

Each objective is checked by the same rules as ``objective_create``, ``key_result_create``
and ``initiative_create``, in the same order, before anything is written; the valid ones
are then written in batches (``bulk_create``), their activity entries in batches too, and
the organisation's data version bumped once. The rollup is left to the caller, once for
everything it wrote (``schedule_rollups``), not once per row: the stored progress ends up
the same as through the single services, which each queue their own.

An objective may also be activated (``objective_set_status``'s checks, after its key results
and initiatives, as the import does it) and each key result checked in once with its latest
value (``key_result_check_in``'s checks, right after the key result's): the round trip of a
cycle's export. The activity entries are those of the single services, in their order, with
what each showed at its moment (the objective created as a draft, then activated). A check-in
announced to a chat channel, or naming people in its note, is not for this path: the caller
sends those through the single services (``takes_check_ins``).

An objective refused here writes nothing at all: neither it nor any of its key results,
check-ins or initiatives (the single services' savepoint, without the savepoint).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.models import ActivityEntry
from core.provenance import Provenance
from core.validation import clean_title
from cycles.models import Cycle
from notifications.channels import active_channels
from notifications.models import ChannelEvent
from objectives.models import (
    MAX_KEY_RESULTS,
    MIN_KEY_RESULTS_TO_ACTIVATE,
    CheckIn,
    Commitment,
    Initiative,
    InitiativeStatus,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveStatus,
    RollupPending,
)
from objectives.queue import outbox_in_use, schedule_rollup
from objectives.rollup import rollup_objectives
from objectives.services._helpers import (
    _check_parent,
    _check_planned,
    _kr_snapshot,
    _objective_weight,
    _perspective,
    _snapshot,
    _weight,
    check_cycle_open,
    hold_cycle,
)
from objectives.services.approvals import check_may_activate
from objectives.services.check_ins import _check_in_values
from objectives.services.key_results import _kr_values
from objectives.services.objectives import _commitment
from orgs.models import Membership, Organization, Team, User
from orgs.ownership import check_owner
from orgs.versions import bump_data_version

BATCH = 500


@dataclass
class NewCheckIn:
    """A key result's latest value, checked in as ``key_result_check_in`` would (``confidence``
    None: the key result's own, else 5)."""

    value: Any
    confidence: int | None
    note: str
    provenance: Provenance


@dataclass
class NewKeyResult:
    title: str
    owner: User | None = None
    kind: str = KeyResultKind.NUMBER
    unit: str = ""
    start_value: Any = 0
    target_value: Any = None
    current_value: Any = None
    check_in: NewCheckIn | None = None
    written: KeyResult | None = None


@dataclass
class NewObjective:
    cycle: Cycle | None
    title: str
    owner_type: str
    owner_team: Team | None = None
    owner_user: User | None = None
    parent: Objective | None = None
    description: str = ""
    commitment: str = Commitment.COMMITTED
    key_results: list[NewKeyResult] = field(default_factory=list)
    initiatives: list[str] = field(default_factory=list)
    activate: bool = False
    written: Objective | None = None


def takes_check_ins(org_id: int) -> bool:
    """Whether check-ins may be written here: no chat channel of the organisation hears of
    them (the single service announces each one to it)."""
    return not any(ChannelEvent.CHECK_IN in events for _pk, events, _name, _safe in active_channels(org_id))


@dataclass
class _Planned:
    """One checked objective: its rows, not saved, and the activity entries' data, taken at
    the moment each single service would have logged it."""

    item: NewObjective
    objective: Objective
    created: dict[str, Any]
    key_results: list[tuple[KeyResult, dict[str, Any]]] = field(default_factory=list)
    check_ins: list[tuple[KeyResult, CheckIn, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)


class _Checker:
    """The single services' checks, with what they read remembered (a cycle's lock, a
    person's membership) so that a thousand objectives do not read it a thousand times."""

    def __init__(self, org: Organization, actor: User | None) -> None:
        self.org, self.actor = org, actor
        self.held: set[int] = set()
        self.members: dict[int, bool] = {}

    def is_member(self, user: User | None) -> bool:
        if user is None:
            return False
        if user.pk not in self.members:
            self.members[user.pk] = Membership.objects.filter(organization=self.org, user=user).exists()
        return self.members[user.pk]

    def objective(self, item: NewObjective) -> Objective:
        """``objective_create``'s checks, in its order; the row, not saved."""
        org, cycle = self.org, item.cycle
        if cycle is not None and cycle.organization_id != org.pk:
            raise ValidationError({"cycle": _("Unknown cycle.")})
        if cycle is not None and cycle.pk not in self.held:
            cycle.status = hold_cycle(cycle_id=cycle.pk) or cycle.status
            self.held.add(cycle.pk)
        check_cycle_open(cycle)
        title = clean_title(item.title)
        commitment = _commitment(item.commitment)
        check_owner(org=org, owner_type=item.owner_type, owner_team=item.owner_team, owner_user=item.owner_user)
        _check_parent(org, None, item.parent, cycle)
        return Objective(
            organization=org,
            cycle=cycle,
            title=title,
            description=(item.description or "").strip(),
            commitment=commitment,
            owner_type=item.owner_type,
            owner_team=item.owner_team,
            owner_user=item.owner_user,
            parent=item.parent,
            weight=_objective_weight(1.0),
            perspective=_perspective(""),
            created_by=self.actor,
        )

    def key_result(self, objective: Objective, item: NewKeyResult, position: int) -> KeyResult:
        """``key_result_create``'s checks, for the objective's ``position``-th key result."""
        if position > MAX_KEY_RESULTS:
            raise ValidationError(
                {
                    "objective": _("An objective holds at most %(max)d key results; remove one before adding another.")
                    % {"max": MAX_KEY_RESULTS}
                }
            )
        title = clean_title(item.title)
        owner = item.owner or objective.owner_user or self.actor
        if not self.is_member(owner):
            raise ValidationError({"owner": _("The owner must be a member of the organisation.")})
        target = item.target_value
        if item.kind in (KeyResultKind.MILESTONE, KeyResultKind.ALIGNED) and target in (None, ""):
            target = 1
        if target in (None, ""):
            raise ValidationError({"target_value": _("A target is required.")})
        start_v, target_v, current_v = _kr_values(item.kind, item.start_value, target, item.current_value)
        kr = KeyResult(
            organization=self.org,
            objective=objective,
            title=title,
            owner=owner,
            kind=item.kind,
            unit=(item.unit or "").strip()[:24],
            start_value=start_v,
            target_value=target_v,
            current_value=current_v,
            weight=_weight(1.0),
            position=position,
        )
        kr.progress = kr.progress_value()
        return kr

    def initiative(self, objective: Objective, title: str) -> Initiative:
        """``initiative_create``'s checks (no key result, no owner, planned)."""
        check_cycle_open(objective.cycle)
        return Initiative(
            organization_id=self.org.pk,
            objective=objective,
            title=clean_title(title),
            status=InitiativeStatus.PLANNED,
        )


def _check_in(kr: KeyResult, new: NewCheckIn, actor: User | None) -> tuple[CheckIn, dict[str, Any], dict[str, Any]]:
    """``key_result_check_in``'s checks and changes on a key result not yet saved: the
    check-in, and the activity entry's before and after."""
    number, conf, note = _check_in_values(
        kr, value=new.value, confidence=new.confidence or kr.confidence or 5, note=new.note
    )
    when = timezone.now()
    before = {"current_value": kr.current_value, "confidence": kr.confidence}
    after = {"current_value": number, "confidence": conf, "note": note, "origin": new.provenance.origin}
    kr.current_value, kr.confidence = number, conf
    kr.progress = kr.progress_value()
    kr.last_check_in_at = when
    check_in = CheckIn(
        organization_id=kr.organization_id,
        author=actor,
        value=number,
        confidence=conf,
        note=note,
        origin=new.provenance.origin,
        provenance=new.provenance.as_json(),
        created_at=when,
    )
    return check_in, before, after


def _activate(objective: Objective, key_results: int) -> None:
    """``objective_set_status``'s checks for a new draft becoming active, and the change."""
    check_cycle_open(objective.cycle)
    _check_planned(objective)
    check_may_activate(objective)
    if key_results < MIN_KEY_RESULTS_TO_ACTIVATE:
        raise ValidationError(
            {
                "status": _("An objective needs at least %(min)d key results to become active; it has %(count)d.")
                % {"min": MIN_KEY_RESULTS_TO_ACTIVATE, "count": key_results}
            }
        )
    objective.status = ObjectiveStatus.ACTIVE
    objective.activated_at = timezone.now()


def _check(checker: _Checker, item: NewObjective) -> _Planned:
    """Every check of the item, in the single services' order (a refusal is raised)."""
    obj = checker.objective(item)
    planned = _Planned(item, obj, _snapshot(obj))
    for n, new in enumerate(item.key_results, start=1):
        kr = checker.key_result(obj, new, n)
        planned.key_results.append((kr, _kr_snapshot(kr)))
        if new.check_in is not None:
            planned.check_ins.append((kr, *_check_in(kr, new.check_in, checker.actor)))
    planned.initiatives = [checker.initiative(obj, title) for title in item.initiatives]
    if item.activate and obj.status != ObjectiveStatus.ACTIVE:
        _activate(obj, len(planned.key_results))
    return planned


def objectives_create_many(
    *, org: Organization, actor: User | None, items: list[NewObjective]
) -> list[ValidationError | None]:
    """Check every item, then write the valid ones in batches (each item's ``written``, and
    its key results', are set). Returns each item's refusal, or None when it was written.
    An item's parent must already exist (write a cascade level by level). Call inside a
    transaction; queue the rollup with ``schedule_rollups`` once everything is written."""
    checker = _Checker(org, actor)
    refusals: list[ValidationError | None] = []
    planned: list[_Planned] = []
    for item in items:
        try:
            planned.append(_check(checker, item))
        except ValidationError as exc:
            refusals.append(exc)
            continue
        refusals.append(None)
    _write(org, actor, planned)
    return refusals


def _write(org: Organization, actor: User | None, planned: list[_Planned]) -> None:
    if not planned:
        return
    Objective.objects.bulk_create([p.objective for p in planned], batch_size=BATCH)
    key_results: list[KeyResult] = []
    initiatives: list[Initiative] = []
    for p in planned:
        p.item.written = p.objective
        for kr, _created in p.key_results:
            kr.objective = p.objective  # its id, now that it has one
        for ini in p.initiatives:
            ini.objective = p.objective
        key_results += [kr for kr, _created in p.key_results]
        initiatives += p.initiatives
        for new, (kr, _created) in zip(p.item.key_results, p.key_results, strict=True):
            new.written = kr
    KeyResult.objects.bulk_create(key_results, batch_size=BATCH)
    check_ins: list[CheckIn] = []
    for p in planned:
        for kr, check_in, _before, _after in p.check_ins:
            check_in.key_result = kr
            check_ins.append(check_in)
    CheckIn.objects.bulk_create(check_ins, batch_size=BATCH)
    Initiative.objects.bulk_create(initiatives, batch_size=BATCH)
    ActivityEntry.objects.bulk_create([e for p in planned for e in _entries(org, actor, p)], batch_size=BATCH)
    bump_data_version(org.pk)


def _entries(org: Organization, actor: User | None, p: _Planned) -> list[ActivityEntry]:
    """The single services' entries for one objective, in their order."""
    obj = p.objective
    entries = [_entry(org, actor, "objective.created", obj, p.created)]
    checked_in = {id(kr): (before, after) for kr, _c, before, after in p.check_ins}
    for kr, created in p.key_results:
        entries.append(_entry(org, actor, "key_result.created", kr, created))
        if id(kr) in checked_in:
            before, after = checked_in[id(kr)]
            entries.append(_entry(org, actor, "key_result.checked_in", kr, after, before=before))
    entries += [_entry(org, actor, "initiative.created", ini, _initiative_after(ini)) for ini in p.initiatives]
    if p.item.activate and obj.status == ObjectiveStatus.ACTIVE:
        before = {"status": p.created["status"]}
        entries.append(_entry(org, actor, "objective.activated", obj, {"status": obj.status}, before=before))
    return entries


def _initiative_after(ini: Initiative) -> dict[str, Any]:
    return {"title": ini.title, "status": ini.status, "objective": ini.objective_id, "key_result": None}


def _entry(
    org: Organization,
    actor: User | None,
    verb: str,
    target: Any,
    after: dict[str, Any],
    before: dict[str, Any] | None = None,
) -> ActivityEntry:
    """What ``activity_record`` appends, not yet saved."""
    return ActivityEntry(
        organization=org,
        actor=actor,
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=target.pk,
        target_repr=str(target)[:255],
        before=before,
        after=after,
    )


def schedule_rollups(*, org_id: int, objective_ids: list[int]) -> None:
    """One rollup for all these objectives and what they feed: their outbox rows in one
    batch of inserts, published after the commit (or, with ``ROLLUP_INLINE``, one recompute
    now) — where the single services queue one per row."""
    ids = sorted(set(objective_ids))
    if not ids:
        return
    if not outbox_in_use():
        rollup_objectives(org_id=org_id, objective_ids=ids)
        bump_data_version(org_id)
        return
    RollupPending.objects.bulk_create(
        [RollupPending(organization_id=org_id, objective_id=i) for i in ids], batch_size=BATCH
    )
    schedule_rollup(org_id=org_id, objective_id=ids[0], written=True)
