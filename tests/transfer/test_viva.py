"""Viva Goals files: drafts the coach or the objective itself explains, Viva's status and
its check-in notes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from objectives.models import CheckIn, Objective
from objectives.services import objective_set_status
from rituals.quality import cycle_quality, objective_quality
from tests.objectives.okr_factories import make_cycle
from tests.transfer.helpers import apply, csv_bytes

HEADER = ["ID", "Title", "Type", "Owner", "Parent", "Target", "Current", "Status", "Check-ins"]


@pytest.fixture
def cycle(world_a, pin_now):
    pin_now(datetime(2026, 11, 2, 9, tzinfo=UTC))
    return make_cycle(world_a.org)


def _objective(world, title: str) -> Objective:
    return Objective.objects.get(organization=world.org, title=title)


def _codes(world, objective: Objective) -> set[str]:
    return {f.code for f in objective_quality(org=world.org, objective=objective).findings}


def test_a_draft_without_key_results_has_the_coachs_finding(world_a, cycle):
    m = world_a.member.email
    apply(world_a, "viva_goals", csv_bytes([HEADER, ["1", "Empty", "Objective", m, "", "", "", "On track", ""]]))
    empty = _objective(world_a, "Empty")
    assert empty.status == "draft" and "objective_too_few_key_results" in _codes(world_a, empty)


def test_a_crowded_draft_says_in_its_description_which_key_results_became_initiatives(world_a, cycle):
    m = world_a.member.email
    rows = [HEADER, ["1", "Crowded", "Objective", m, "", "", "", "On track", ""]]
    rows += [[f"k{n}", f"KR {n}", "Key Result", m, "1", "10", "1", "", ""] for n in range(1, 8)]
    run = apply(world_a, "viva_goals", csv_bytes(rows))
    assert run.status == "applied"
    crowded = _objective(world_a, "Crowded")
    assert crowded.status == "draft" and crowded.key_results.count() == 5
    assert sorted(crowded.initiatives.values_list("title", flat=True)) == ["KR 6", "KR 7"]
    assert "with 7 key results: from the sixth on they are initiatives" in crowded.description
    # It has five key results now; the coach says what it came with, while it is a draft.
    codes = _codes(world_a, crowded)
    assert "objective_too_many_key_results" not in codes
    assert "objective_key_results_set_aside" in codes
    finding = next(
        f
        for f in objective_quality(org=world_a.org, objective=crowded).findings
        if f.code == "objective_key_results_set_aside"
    )
    assert finding.object_id == crowded.pk and "came with 7 key results" in finding.message
    # Applying the same file again keeps the finding; the owner's choice (activating) ends it.
    apply(world_a, "viva_goals", csv_bytes(rows))
    assert "objective_key_results_set_aside" in _codes(world_a, crowded)
    crowded.key_results.order_by("-position").first().delete()
    objective_set_status(objective=crowded, actor=world_a.admin, status="active")
    assert "objective_key_results_set_aside" not in _codes(world_a, crowded)


def test_the_coach_reads_the_import_in_the_cycles_one_query(world_a, cycle, django_assert_max_num_queries):
    m = world_a.member.email
    rows = [HEADER]
    for o in range(3):
        rows += [[f"o{o}", f"Crowded {o}", "Objective", m, "", "", "", "", ""]]
        rows += [[f"o{o}k{n}", f"KR {o}.{n}", "Key Result", m, f"o{o}", "10", "1", "", ""] for n in range(6 + o)]
    apply(world_a, "viva_goals", csv_bytes(rows))
    with django_assert_max_num_queries(3):
        report = cycle_quality(org=world_a.org, cycle=cycle)
    counts = sorted(f.params["count"] for f in report.findings if f.code == "objective_key_results_set_aside")
    assert counts == [6, 7, 8]


@pytest.mark.parametrize(
    ("status", "key_results", "expected"),
    [
        ("On track", 2, "active"),
        ("At risk", 3, "active"),
        ("Behind", 2, "active"),
        ("Completed", 2, "active"),
        ("Not started", 2, "draft"),
        ("Cancelled", 2, "cancelled"),
        ("Postponed", 2, "cancelled"),
        ("On track", 1, "draft"),  # an active objective needs two key results
        ("Something else", 2, "draft"),
    ],
)
def test_vivas_status_maps_to_ours(world_a, cycle, status, key_results, expected):
    m = world_a.member.email
    rows = [HEADER, ["1", "Grow", "Objective", m, "", "", "", status, ""]]
    rows += [[f"k{n}", f"KR {n}", "Key Result", m, "1", "10", "1", "", ""] for n in range(key_results)]
    run = apply(world_a, "viva_goals", csv_bytes(rows))
    assert run.status == "applied"
    assert _objective(world_a, "Grow").status == expected


def test_a_key_results_check_in_note_comes_in_with_its_value(world_a, cycle):
    m = world_a.member.email
    rows = [
        HEADER,
        ["1", "Grow", "Objective", m, "", "", "", "On track", ""],
        ["k1", "Leads", "Key Result", m, "1", "100", "40", "", "Two fairs in October"],
        ["k2", "Deals", "Key Result", m, "1", "10", "2", "", ""],
    ]
    apply(world_a, "viva_goals", csv_bytes(rows))
    check_in = CheckIn.objects.get(organization=world_a.org, key_result__title="Leads")
    assert (check_in.value, check_in.note) == (40, "Two fairs in October")
    assert not CheckIn.objects.filter(organization=world_a.org, key_result__title="Deals").exists()
    again = apply(world_a, "viva_goals", csv_bytes(rows))
    assert again.result["create"] == 0 and CheckIn.objects.filter(organization=world_a.org).count() == 1
