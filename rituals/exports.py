"""A cycle's OKRs — with grades and retrospectives — as rows for CSV and XLSX.

One row per key result (objective columns repeated), and one row for an objective
without key results, so a spreadsheet can filter and pivot them. Cells are made
safe by ``core.spreadsheet``.
"""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.spreadsheet import Percent
from cycles.models import Cycle
from kpis.models import Direction
from objectives.models import KeyResult, Objective, ObjectiveStatus

__all__ = ["cycle_rows", "filename"]


def header() -> list[str]:
    return [
        _("Objective"),
        _("Type"),
        _("Owner level"),
        _("Owner"),
        _("Status"),
        _("Objective progress"),
        _("Objective grade"),
        _("Achieved"),
        _("Key result"),
        _("Key result owner"),
        _("Start"),
        _("Target"),
        _("Current"),
        _("Unit"),
        _("Key result progress"),
        _("Key result grade"),
        _("Grade note"),
        _("What went well"),
        _("What did not go well"),
        _("What we learned"),
        _("Reviewer's comment"),
        _("Acknowledged"),
        _("Aligned to"),
        _("Key result kind"),
        _("Direction"),
    ]


def shown_status(objective: Objective, cycle: Cycle) -> str:
    """An objective's status as the export says it: a closed cycle's objectives are closed
    with it ("Closed"), whatever status they had while it ran; cancelled ones stay cancelled."""
    if cycle.is_closed and objective.status != ObjectiveStatus.CANCELLED:
        return str(ObjectiveStatus.CLOSED.label)
    return objective.get_status_display()


def cycle_rows(objectives: list[Objective], *, cycle: Cycle) -> list[list[Any]]:
    """Rows of ``rituals.review.review_objectives`` (which loads everything needed), and the
    title each objective is aligned to (one query for parents outside the list), so the file
    imports back as OKRs (the import's ``okrs`` kind) with its alignment."""
    rows: list[list[Any]] = [header()]
    parents = _parent_titles(objectives)
    for o in objectives:
        retro = o.retro
        head = [
            o.title,
            o.get_commitment_display(),
            o.get_owner_type_display(),
            o.owner_label,
            shown_status(o, cycle),
            Percent(round(o.progress, 4)),
            o.shown_grade,
            _("yes") if o.is_achieved else _("no"),
        ]
        tail = [
            retro.went_well if retro else "",
            retro.went_badly if retro else "",
            retro.learned if retro else "",
            retro.reviewer_comment if retro else "",
            _("yes") if retro and retro.is_acknowledged else _("no"),
            parents.get(o.parent_id, "") if o.parent_id else "",
        ]
        if not o.krs:
            rows.append([*head, "", "", None, None, None, "", None, None, "", *tail, "", ""])
        for kr in o.krs:
            rows.append(
                [
                    *head,
                    kr.title,
                    kr.owner.display_name,
                    kr.start_value,
                    kr.target_value,
                    kr.current_value,
                    kr.unit,
                    Percent(round(kr.progress, 4)),
                    kr.shown_grade,
                    kr.grade_note,
                    *tail,
                    kr.get_kind_display(),
                    _direction(kr),
                ]
            )
    return rows


def _direction(kr: KeyResult) -> str:
    """Which way the key result moves, as its start and target say (read back by the import)."""
    down = kr.target_value < kr.start_value
    return str(Direction.LOWER_IS_BETTER.label if down else Direction.HIGHER_IS_BETTER.label)


def _parent_titles(objectives: list[Objective]) -> dict[int, str]:
    titles = {o.pk: o.title for o in objectives}
    missing = {o.parent_id for o in objectives if o.parent_id and o.parent_id not in titles}
    if missing:
        org_id = objectives[0].organization_id
        titles.update(Objective.objects.filter(organization_id=org_id, pk__in=missing).values_list("pk", "title"))
    return titles


def filename(name: str, fmt: str) -> str:
    return f"okrs-{slugify(name) or 'cycle'}.{fmt}"
