"""The published promise: export → import → export gives the same document for both
demo organisations (ids aside), with the same progress, grades and scorecard scores."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pytest
from django.core.management import call_command

from objectives.models import Contribution, Objective
from objectives.reconcile import reconcile_organization
from objectives.services import contribution_create
from orgs.demo import DEMO_ORGS
from orgs.models import Membership, Organization, Role, User
from scorecards.models import Scorecard
from scorecards.selectors.reads import scorecard_rows
from transfer import services
from transfer.archive import document_json


def _without_ids(document: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(document_json(document))
    out.pop("exported_at")
    out["organization"] = {k: v for k, v in out["organization"].items() if k not in ("name", "slug")}
    for rows in out.values():
        if isinstance(rows, list):
            for row in rows:
                row.pop("id", None)
    return out


def _add_contribution(org: Organization) -> Contribution:
    """A demo objective that also counts in a second one, of another tree (the demo has none)."""
    if link := Contribution.objects.filter(organization=org).first():
        return link
    open_ones = [
        o
        for o in Objective.objects.filter(organization=org, cycle__isnull=False).select_related("cycle").order_by("pk")
        if o.cycle.is_open() and o.status not in ("closed", "cancelled")
    ]
    child = next(o for o in open_ones if o.parent_id is not None and o.progress > 0)
    parent = next(o for o in open_ones if o.pk not in (child.pk, child.parent_id) and o.parent_id is None)
    return contribution_create(child=child, actor=None, parent=parent, weight=2.5)


def _progress(org: Organization) -> list[tuple[str, float]]:
    return list(Objective.objects.filter(organization=org).order_by("pk").values_list("title", "progress"))


def _scores(org: Organization) -> list[Any]:
    """Each scorecard's score, status and trend, as its page computes them."""
    cards = list(Scorecard.objects.filter(organization=org).order_by("pk"))
    return [(r.view.score, r.view.status, r.view.trend) for r in scorecard_rows(org=org, cards=cards)]


@pytest.mark.parametrize("slug", [o.slug for o in DEMO_ORGS])
def test_export_import_export_is_identical_for_the_demo(slug, db, pin_now):
    pin_now(datetime.fromisoformat("2026-11-20T09:00:00+00:00"))
    call_command("seed_demo", stdout=io.StringIO())
    source = Organization.objects.get(slug=slug)
    _add_contribution(source)
    first = services.organization_export(org=source)
    admin = User.objects.get(email=first["members"][0]["email"])
    target = Organization.objects.create(name="Copy", slug=f"{slug}-copy")
    Membership.objects.create(organization=target, user=admin, role=Role.ADMIN)
    run = services.import_run_create(
        org=target,
        actor=admin,
        kind="organization",
        data=document_json(first),
        filename="export.json",
        options={"allow_existing": True},
        background=False,
    )
    assert run.dry_run["errors"] == []
    run = services.import_run_apply(run=run, actor=admin)
    assert run.status == "applied"
    target.refresh_from_db()
    second = services.organization_export(org=target)
    assert len(first["objectives"]) > 5 and len(first["check_ins"]) > 20 and first["scorecards"]
    assert _without_ids(second) == _without_ids(first)
    assert _scores(target) == _scores(source)
    assert len(second["contributions"]) == 1 and second["contributions"][0]["weight"] == 2.5
    # The contribution counts on the new server: recomputing everything there changes nothing.
    assert reconcile_organization(org=target).repaired == 0
    assert reconcile_organization(org=source).repaired == 0
    assert _progress(target) == _progress(source)
