"""The ``okrs`` kind reads each key result's kind and direction as the cycle export
(``rituals.exports``) writes them, in English or Vietnamese."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import translation

from core.spreadsheet import to_csv
from objectives.models import KeyResult
from rituals import exports, review
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective
from tests.transfer.helpers import check, csv_bytes
from transfer import services

HEADER = ["Objective", "Owner", "Key result", "Key result owner", "Start", "Target", "Key result kind", "Direction"]


@pytest.fixture
def cycle(world_a, pin_now):
    pin_now(datetime(2026, 11, 2, 9, tzinfo=UTC))
    return make_cycle(world_a.org)


def _key_results(objective_title: str, cycle) -> list[tuple[str, str, float, float]]:
    return sorted(
        KeyResult.objects.filter(objective__title=objective_title, objective__cycle=cycle).values_list(
            "title", "kind", "start_value", "target_value"
        )
    )


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_cycle_export_brings_back_each_key_results_kind_and_direction(world_a, cycle, language):
    objective = make_objective(world_a.org, cycle, title="Win")
    make_kr(objective, title="Share", owner=world_a.member, kind="percent", start=10, target=40)
    make_kr(objective, title="Revenue", owner=world_a.member, kind="currency", start=0, target=5000)
    make_kr(objective, title="Launch", owner=world_a.member, kind="milestone", start=0, target=1)
    make_kr(objective, title="Churn", owner=world_a.member, start=8, target=2)  # a decrease
    with translation.override(language):
        rows = exports.cycle_rows(review.review_objectives(org=world_a.org, cycle=cycle), cycle=cycle)
    assert rows[0][-2:] == (
        ["Loại kết quả then chốt", "Chiều hướng"] if language == "vi" else ["Key result kind", "Direction"]
    )
    target = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), status="planning")
    run = services.import_run_create(
        org=world_a.org,
        actor=world_a.admin,
        kind="okrs",
        data=to_csv(rows).encode(),
        filename="okrs.csv",
        options={"cycle": target.pk},
        background=False,
    )
    assert run.dry_run["errors"] == []
    services.import_run_apply(run=run, actor=world_a.admin)
    assert _key_results("Win", target) == _key_results("Win", cycle)
    assert {k for _t, k, _s, _g in _key_results("Win", target)} == {"percent", "currency", "milestone", "number"}


def test_kinds_by_value_or_vietnamese_label_and_a_milestone_needs_no_target(world_a, cycle):
    m = world_a.member.email
    data = csv_bytes(
        [
            HEADER,
            ["Grow", m, "Share", m, 0, 30, "Phần trăm", "Càng cao càng tốt"],
            ["Grow", m, "Cash", m, 0, 900, "currency", ""],
            ["Grow", m, "Ship", m, "", "", "Milestone (done / not done)", ""],
            ["Grow", m, "Costs", m, 100, 60, "", "Lower is better"],
        ]
    )
    run = check(world_a, "okrs", data)
    assert run.dry_run["errors"] == []
    services.import_run_apply(run=run, actor=world_a.admin)
    assert _key_results("Grow", cycle) == [
        ("Cash", "currency", 0, 900),
        ("Costs", "number", 100, 60),
        ("Share", "percent", 0, 30),
        ("Ship", "milestone", 0, 1),
    ]


@pytest.mark.parametrize(
    ("kind", "direction", "field"),
    [
        ("aligned", "", "kind"),  # takes its value from contributions, never from a file
        ("gallons", "", "kind"),
        ("number", "Lower is better", "direction"),  # 0 → 30 goes up
        ("number", "Within a range", "direction"),
    ],
)
def test_a_kind_or_direction_that_does_not_fit_is_a_row_error(world_a, cycle, kind, direction, field):
    m = world_a.member.email
    run = check(world_a, "okrs", csv_bytes([HEADER, ["Grow", m, "Share", m, 0, 30, kind, direction]]))
    assert [(e["row"], e["field"]) for e in run.dry_run["errors"]] == [(2, field)]
