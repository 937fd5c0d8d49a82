"""Every write to scorecards and strategy maps: keyword-only, atomic, logged.

Who may call them (admins; the owning team's managers) is checked by the pages and the
API with ``orgs.permissions.can_manage_team``; the rules about what fits on a scorecard
are checked here, whatever the caller."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from activity.services import activity_record
from core.validation import clean_number, clean_title
from kpis.models import Frequency, Kpi, Perspective
from objectives.models import Objective
from orgs.models import Organization, Team, User
from scorecards import scoring, selectors
from scorecards.models import PERSPECTIVE_WEIGHT_FIELDS, Scorecard, ScorecardItem, StrategyLink

MAX_WEIGHT = 1000.0
MAX_ITEMS = 500


def clean_weight(value: Any, field: str = "weight") -> float:
    """A weight: a number from 0 to 1000 (0 keeps the item or perspective on the card
    without letting it count)."""
    number = clean_number(value, field)
    if number < 0 or number > MAX_WEIGHT:
        raise ValidationError({field: _("A weight is a number from 0 to 1000.")})
    return number


def _clean_perspective(value: Any, field: str = "perspective") -> str:
    if value not in Perspective.values:
        raise ValidationError({field: _("Choose a balanced-scorecard perspective.")})
    return str(value)


def _clean_thresholds(green_at: Any, amber_at: Any) -> tuple[float, float]:
    green = clean_number(green_at, "green_at")
    amber = clean_number(amber_at, "amber_at")
    try:
        scoring.check_thresholds(green_at=green, amber_at=amber)
    except ValueError:
        if not 0 <= green <= 1.5:
            raise ValidationError({"green_at": _("Green starts between 0 and 1.5 (150%).")}) from None
        raise ValidationError({"amber_at": _("Amber starts between 0 and the green threshold.")}) from None
    return green, amber


def _clean_settled(value: Any) -> float:
    share = clean_number(value, "settled_at")
    if not 0 <= share <= 1:
        raise ValidationError({"settled_at": _("A share between 0 and 1 (100%).")})
    return share


def _clean_name(org: Organization, name: Any, *, exclude: int | None = None) -> str:
    title = clean_title(name, "name", required=_("A name is required."))
    others = Scorecard.objects.filter(organization=org, name__iexact=title)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise ValidationError({"name": _("Another scorecard already has this name.")})
    return title


def _snapshot(scorecard: Scorecard) -> dict[str, Any]:
    return {
        "name": scorecard.name,
        "owner_team": scorecard.owner_team_id,
        "frequency": scorecard.frequency,
        "perspective_weights": scorecard.perspective_weights,
        "green_at": scorecard.green_at,
        "amber_at": scorecard.amber_at,
        "settled_at": scorecard.settled_at,
    }


def _items_snapshot(scorecard: Scorecard) -> list[dict[str, Any]]:
    return [
        {"kpi": kpi, "perspective": perspective, "weight": weight}
        for kpi, perspective, weight in ScorecardItem.objects.filter(scorecard=scorecard)
        .order_by("position", "id")
        .values_list("kpi_id", "perspective", "weight")
    ]


def _lock(scorecard: Scorecard) -> Scorecard:
    """The scorecard row, locked: edits of one scorecard's items run one at a time, so
    positions stay a sequence and a concurrent save never resurrects a removed item."""
    return (
        Scorecard.objects.select_for_update(of=("self",))
        .select_related("organization", "owner_team")
        .get(pk=scorecard.pk)
    )


# --- scorecards ---------------------------------------------------------------------------------


@transaction.atomic
def scorecard_create(
    *,
    org: Organization,
    actor: User | None,
    name: str,
    owner_team: Team | None = None,
    frequency: str = Frequency.MONTHLY,
    perspective_weights: Mapping[str, Any] | None = None,
    green_at: Any = scoring.DEFAULT_GREEN_AT,
    amber_at: Any = scoring.DEFAULT_AMBER_AT,
    settled_at: Any = scoring.DEFAULT_SETTLED_SHARE,
    from_library: bool = False,
) -> Scorecard:
    """Create a scorecard for the company (``owner_team`` None) or a team. With
    ``from_library``, it starts with every active KPI of its owner, each placed in its
    own perspective with weight 1 — a working scorecard in one step."""
    if owner_team is not None and owner_team.organization_id != org.pk:
        raise ValidationError({"owner_team": _("Unknown team.")})
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": _("Choose weekly, monthly, quarterly or yearly.")})
    green, amber = _clean_thresholds(green_at, amber_at)
    scorecard = Scorecard(
        organization=org,
        name=_clean_name(org, name),
        owner_team=owner_team,
        frequency=frequency,
        green_at=green,
        amber_at=amber,
        settled_at=_clean_settled(settled_at),
        created_by=actor,
    )
    _apply_weights(scorecard, perspective_weights or {})
    try:
        with transaction.atomic():
            scorecard.save()
    except IntegrityError:  # a concurrent create took the name between the check and the insert
        raise ValidationError({"name": _("Another scorecard already has this name.")}) from None
    activity_record(org=org, actor=actor, verb="scorecard.created", target=scorecard, after=_snapshot(scorecard))
    if from_library:
        kpis = list(selectors.library_kpis(org=org, owner_team=owner_team))
        ScorecardItem.objects.bulk_create(
            ScorecardItem(organization=org, scorecard=scorecard, kpi=kpi, perspective=kpi.perspective, position=i)
            for i, kpi in enumerate(kpis)
        )
        if kpis:
            activity_record(
                org=org,
                actor=actor,
                verb="scorecard.items_changed",
                target=scorecard,
                before=None,
                after={"items": _items_snapshot(scorecard)},
            )
    return scorecard


def _apply_weights(scorecard: Scorecard, weights: Mapping[str, Any]) -> None:
    unknown = set(weights) - set(PERSPECTIVE_WEIGHT_FIELDS)
    if unknown:
        raise ValidationError(
            {"perspective_weights": _("Unknown perspective: %(name)s.") % {"name": ", ".join(sorted(unknown))}}
        )
    for perspective, value in weights.items():
        field = PERSPECTIVE_WEIGHT_FIELDS[perspective]
        setattr(scorecard, field, clean_weight(value, field))


@transaction.atomic
def scorecard_update(
    *,
    scorecard: Scorecard,
    actor: User | None,
    name: str | None = None,
    frequency: str | None = None,
    perspective_weights: Mapping[str, Any] | None = None,
    green_at: Any = None,
    amber_at: Any = None,
    settled_at: Any = None,
) -> Scorecard:
    """Change a scorecard's settings (its owner is fixed: its items were chosen for it).
    Weights given for some perspectives leave the others as they are."""
    scorecard = _lock(scorecard)
    before = _snapshot(scorecard)
    if name is not None:
        scorecard.name = _clean_name(scorecard.organization, name, exclude=scorecard.pk)
    if frequency is not None:
        if frequency not in Frequency.values:
            raise ValidationError({"frequency": _("Choose weekly, monthly, quarterly or yearly.")})
        scorecard.frequency = frequency
    if perspective_weights is not None:
        _apply_weights(scorecard, perspective_weights)
    if green_at is not None or amber_at is not None:
        scorecard.green_at, scorecard.amber_at = _clean_thresholds(
            scorecard.green_at if green_at is None else green_at,
            scorecard.amber_at if amber_at is None else amber_at,
        )
    if settled_at is not None:
        scorecard.settled_at = _clean_settled(settled_at)
    scorecard.save(
        update_fields=[
            "name",
            "frequency",
            "green_at",
            "amber_at",
            "settled_at",
            "updated_at",
            *PERSPECTIVE_WEIGHT_FIELDS.values(),
        ]
    )
    after = _snapshot(scorecard)
    if after != before:
        activity_record(
            org=scorecard.organization,
            actor=actor,
            verb="scorecard.updated",
            target=scorecard,
            before=before,
            after=after,
        )
    return scorecard


@transaction.atomic
def scorecard_delete(*, scorecard: Scorecard, actor: User | None) -> None:
    """Delete a scorecard with its items and map links (the KPIs and objectives stay)."""
    scorecard = _lock(scorecard)
    activity_record(
        org=scorecard.organization,
        actor=actor,
        verb="scorecard.deleted",
        target=scorecard,
        before={**_snapshot(scorecard), "items": _items_snapshot(scorecard)},
    )
    scorecard.delete()


# --- items --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    """One item as the editor or the API sends it."""

    kpi: Kpi
    perspective: str
    weight: Any = 1.0


def _check_eligible(scorecard: Scorecard, kpis: Iterable[Kpi]) -> None:
    ids = {k.pk for k in kpis}
    if not ids:
        return
    allowed = set(selectors.eligible_kpis(scorecard=scorecard).filter(pk__in=ids).values_list("pk", flat=True))
    if ids - allowed:
        raise ValidationError({"kpi": _("This KPI cannot go on this scorecard: it belongs to another owner.")})


def _log_items(scorecard: Scorecard, actor: User | None, before: list[dict[str, Any]]) -> None:
    after = _items_snapshot(scorecard)
    if after != before:
        activity_record(
            org=scorecard.organization,
            actor=actor,
            verb="scorecard.items_changed",
            target=scorecard,
            before={"items": before},
            after={"items": after},
        )


def _drop_links_of(scorecard: Scorecard, kpi_ids: set[int]) -> None:
    """A KPI taken off the scorecard leaves its map too."""
    if kpi_ids:
        StrategyLink.objects.filter(scorecard=scorecard, source_kpi_id__in=kpi_ids).delete()
        StrategyLink.objects.filter(scorecard=scorecard, target_kpi_id__in=kpi_ids).delete()


@transaction.atomic
def scorecard_items_set(*, scorecard: Scorecard, actor: User | None, items: list[ItemSpec]) -> Scorecard:
    """Replace the scorecard's items with ``items``, in that order (the order within each
    perspective is the order given). Every weight and perspective is checked before
    anything is written: one bad value changes nothing. KPIs taken off lose their map links."""
    scorecard = _lock(scorecard)
    if len(items) > MAX_ITEMS:
        raise ValidationError({"items": _("A scorecard holds at most %(n)d KPIs.") % {"n": MAX_ITEMS}})
    cleaned: list[tuple[Kpi, str, float]] = []
    seen: set[int] = set()
    for spec in items:
        if spec.kpi.pk in seen:
            raise ValidationError({"items": _("“%(name)s” is on the list twice.") % {"name": spec.kpi.name}})
        seen.add(spec.kpi.pk)
        cleaned.append((spec.kpi, _clean_perspective(spec.perspective), clean_weight(spec.weight)))
    _check_eligible(scorecard, (k for k, _p, _w in cleaned))
    before = _items_snapshot(scorecard)
    existing = {i.kpi_id: i for i in ScorecardItem.objects.filter(scorecard=scorecard)}
    removed = set(existing) - seen
    ScorecardItem.objects.filter(scorecard=scorecard, kpi_id__in=removed).delete()
    _drop_links_of(scorecard, removed)
    for position, (kpi, perspective, weight) in enumerate(cleaned):
        item = existing.get(kpi.pk)
        if item is None:
            ScorecardItem.objects.create(
                organization_id=scorecard.organization_id,
                scorecard=scorecard,
                kpi=kpi,
                perspective=perspective,
                weight=weight,
                position=position,
            )
        elif (item.perspective, item.weight, item.position) != (perspective, weight, position):
            item.perspective, item.weight, item.position = perspective, weight, position
            item.save(update_fields=["perspective", "weight", "position"])
    _log_items(scorecard, actor, before)
    return scorecard


def _current_specs(scorecard: Scorecard) -> list[ItemSpec]:
    return [
        ItemSpec(kpi=i.kpi, perspective=i.perspective, weight=i.weight)
        for i in ScorecardItem.objects.filter(scorecard=scorecard).select_related("kpi").order_by("position", "id")
    ]


@transaction.atomic
def scorecard_item_add(
    *, scorecard: Scorecard, actor: User | None, kpi: Kpi, perspective: str | None = None, weight: Any = 1.0
) -> Scorecard:
    """Put a KPI on the scorecard, last in its perspective (default: the KPI's own)."""
    scorecard = _lock(scorecard)
    specs = _current_specs(scorecard)
    if any(s.kpi.pk == kpi.pk for s in specs):
        raise ValidationError({"kpi": _("This KPI is already on the scorecard.")})
    specs.append(ItemSpec(kpi=kpi, perspective=perspective or kpi.perspective, weight=weight))
    return scorecard_items_set(scorecard=scorecard, actor=actor, items=specs)


@transaction.atomic
def scorecard_item_remove(*, scorecard: Scorecard, actor: User | None, kpi: Kpi) -> Scorecard:
    scorecard = _lock(scorecard)
    specs = [s for s in _current_specs(scorecard) if s.kpi.pk != kpi.pk]
    return scorecard_items_set(scorecard=scorecard, actor=actor, items=specs)


@transaction.atomic
def scorecard_item_move(*, scorecard: Scorecard, actor: User | None, kpi: Kpi, offset: int) -> Scorecard:
    """Move an item up (``offset`` −1) or down (+1) among the items of its perspective."""
    scorecard = _lock(scorecard)
    specs = _current_specs(scorecard)
    index = next((i for i, s in enumerate(specs) if s.kpi.pk == kpi.pk), None)
    if index is None:
        raise ValidationError({"kpi": _("This KPI is not on the scorecard.")})
    same = [i for i, s in enumerate(specs) if s.perspective == specs[index].perspective]
    at = same.index(index)
    to = at + (1 if offset > 0 else -1)
    if 0 <= to < len(same):
        a, b = same[at], same[to]
        specs[a], specs[b] = specs[b], specs[a]
    return scorecard_items_set(scorecard=scorecard, actor=actor, items=specs)


# --- strategy map links ---------------------------------------------------------------------------

Node = Kpi | Objective


def _check_node(scorecard: Scorecard, node: Node, field: str) -> None:
    if node.organization_id != scorecard.organization_id:
        raise ValidationError({field: _("Unknown node.")})
    if isinstance(node, Kpi):
        if not ScorecardItem.objects.filter(scorecard=scorecard, kpi=node).exists():
            raise ValidationError({field: _("Only KPIs on this scorecard can be linked on its map.")})
    elif not selectors.map_objectives(scorecard=scorecard).filter(pk=node.pk).exists():
        raise ValidationError(
            {field: _("Only the scorecard owner's objectives that have a perspective can be linked on its map.")}
        )


def _ends(node: Node, prefix: str) -> dict[str, Any]:
    if isinstance(node, Kpi):
        return {f"{prefix}_kpi": node, f"{prefix}_objective": None}
    return {f"{prefix}_kpi": None, f"{prefix}_objective": node}


@transaction.atomic
def strategy_link_create(*, scorecard: Scorecard, actor: User | None, source: Node, target: Node) -> StrategyLink:
    """Draw a cause-and-effect arrow: ``source`` drives ``target``. Both must be on the
    scorecard's map; a node does not drive itself; the same arrow is drawn once."""
    scorecard = _lock(scorecard)
    _check_node(scorecard, source, "source")
    _check_node(scorecard, target, "target")
    if type(source) is type(target) and source.pk == target.pk:
        raise ValidationError({"target": _("A node cannot drive itself: choose another one.")})
    ends = {**_ends(source, "source"), **_ends(target, "target")}
    if StrategyLink.objects.filter(scorecard=scorecard, **ends).exists():
        raise ValidationError({"target": _("These two are already linked.")})
    link = StrategyLink.objects.create(
        organization_id=scorecard.organization_id, scorecard=scorecard, created_by=actor, **ends
    )
    activity_record(
        org=scorecard.organization,
        actor=actor,
        verb="strategy_link.created",
        target=scorecard,
        after={"source": link.source_key, "target": link.target_key},
    )
    return link


@transaction.atomic
def strategy_link_delete(*, link: StrategyLink, actor: User | None) -> None:
    scorecard = _lock(link.scorecard)
    activity_record(
        org=scorecard.organization,
        actor=actor,
        verb="strategy_link.deleted",
        target=scorecard,
        before={"source": link.source_key, "target": link.target_key},
    )
    link.delete()
