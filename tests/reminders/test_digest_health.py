"""The Monday plan lists what is at risk by the one health rule the pages use: an aspirational
objective at 35 % on day 45 of 90 is on track there, so it is not in the e-mail either."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from objectives import services
from tests.objectives.okr_factories import make_cycle, make_kr

pytestmark = pytest.mark.django_db

CYCLE_START = datetime(2026, 10, 1, tzinfo=UTC)
DAY_45 = datetime(2026, 11, 15, 10, tzinfo=UTC)


def _mine(world, cycle, *, title: str, commitment: str) -> None:
    objective = services.objective_create(
        org=world.org,
        actor=world.member,
        cycle=cycle,
        title=title,
        owner_type="person",
        owner_user=world.member,
        commitment=commitment,
    )
    krs = [make_kr(objective, title=f"{title} {i}", owner=world.member, target=100) for i in range(2)]
    services.objective_set_status(objective=objective, actor=world.member, status="active", at=CYCLE_START)
    for kr in krs:
        services.key_result_check_in(key_result=kr, actor=world.member, value=35, confidence=8)


def test_the_plan_of_the_week_lists_at_risk_by_the_same_rule_as_the_pages(
    world_a, pin_now, django_capture_on_commit_callbacks
):
    pin_now(DAY_45)
    cycle = make_cycle(world_a.org, start=CYCLE_START.date(), days=91)
    _mine(world_a, cycle, title="Stretch goal", commitment="aspirational")
    _mine(world_a, cycle, title="Promised goal", commitment="committed")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests", "--kind", "plan_week", "--org", "alpha", stdout=StringIO())
    [plan] = [m for m in mail.outbox if m.to == [world_a.member.email]]
    assert "Promised goal" in plan.body  # committed: 0.35 < 0.8 × 0.5, at risk
    assert "Stretch goal" not in plan.body  # aspirational: on track at 0.7 of the pace
