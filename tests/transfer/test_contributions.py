"""Contributions in the organisation document: written by keys, loaded back, and checked
with the services' rules before anything is written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from objectives.models import Contribution
from objectives.services import contribution_create
from orgs.models import Membership, Organization, Role
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective
from transfer import services
from transfer.archive import document_json


@pytest.fixture
def document(world_a, pin_now) -> dict[str, Any]:
    from datetime import datetime

    pin_now(datetime.fromisoformat("2026-11-02T09:00:00+00:00"))
    cycle = make_cycle(world_a.org)
    top = make_objective(world_a.org, cycle, title="Top")
    side = make_objective(world_a.org, cycle, title="Side")
    child = make_objective(world_a.org, cycle, title="Child", parent=top)
    make_kr(child, title="Leads", owner=world_a.member)
    aligned = make_kr(side, title="Aligned", owner=world_a.member, kind="aligned")
    contribution_create(child=child, actor=None, parent=side, weight=3)
    other = make_objective(world_a.org, cycle, title="Other")
    contribution_create(child=other, actor=None, key_result=aligned, weight=0.5)
    return json.loads(document_json(services.organization_export(org=world_a.org)))


def _load(world, doc: dict[str, Any]):
    target = Organization.objects.create(name="Copy", slug="copy-contrib")
    Membership.objects.create(organization=target, user=world.admin, role=Role.ADMIN)
    run = services.import_run_create(
        org=target,
        actor=world.admin,
        kind="organization",
        data=json.dumps(doc).encode(),
        filename="export.json",
        options={"allow_existing": True},
        background=False,
    )
    return target, run


def test_contributions_are_written_by_keys_and_load_back(world_a, document):
    assert document["contributions"] == [
        {"child_key": "objective-3", "parent_key": "objective-2", "key_result_key": None, "weight": 3.0},
        {"child_key": "objective-4", "parent_key": None, "key_result_key": "key-result-2", "weight": 0.5},
    ]
    target, run = _load(world_a, document)
    assert run.dry_run["errors"] == []
    services.import_run_apply(run=run, actor=world_a.admin)
    links = Contribution.objects.filter(organization=target).order_by("pk")
    assert [(c.child.title, c.parent and c.parent.title, c.key_result and c.key_result.title) for c in links] == [
        ("Child", "Side", None),
        ("Other", None, "Aligned"),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight": 11}, "contributions.weight"),
        ({"weight": "heavy"}, "contributions.weight"),
        ({"parent_key": "objective-9"}, "contributions.parent_key"),
        ({"key_result_key": "key-result-2"}, "contributions.parent_key"),  # both targets
        ({"parent_key": None}, "contributions.parent_key"),  # neither
        ({"parent_key": "objective-1"}, "contributions.parent_key"),  # its primary parent
        ({"parent_key": None, "key_result_key": "key-result-1"}, "contributions.key_result_key"),  # not aligned
        ({"child_key": "objective-1", "parent_key": "objective-3"}, "contributions.child_key"),  # a loop
    ],
)
def test_a_bad_contribution_is_reported_and_nothing_is_written(world_a, document, change, field):
    document["contributions"][0].update(change)
    target, run = _load(world_a, document)
    assert field in {e["field"] for e in run.dry_run["errors"]}
    assert all(e["row"] == 1 for e in run.dry_run["errors"] if e["field"].startswith("contributions."))
    assert not Contribution.objects.filter(organization=target).exists()


def test_the_same_contribution_twice_is_reported(world_a, document):
    document["contributions"].append(dict(document["contributions"][0]))
    _target, run = _load(world_a, document)
    assert [e["field"] for e in run.dry_run["errors"]] == ["contributions.child_key"]
