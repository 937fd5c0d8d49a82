"""The demo never seeds the future: every timestamp ``seed_demo`` writes is at or before the
moment it runs. A check-in seeded for today 10:00 while ``make run`` starts at 06:00 sorted
above the check-ins people then made: a newcomer's first check-in showed "−1" and someone
else's note, because the seeded one stayed the key result's latest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from objectives.models import CheckIn, KeyResult
from orgs.models import Organization

# Timestamps that are meant to lie ahead (when an invitation or a back-off ends).
FUTURE_BY_DESIGN = ("expires", "next_", "until", "due")

# A field whose default is the clock function itself reads the real clock, which pin_now cannot
# move: such a value is "now" by construction.
REAL_CLOCK = timezone.now

# A Monday, one of the demo's weekly check-in days (three days into each week of the quarter),
# before the seeded check-ins' ten o'clock in London.
EARLY = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def _timestamps_after(moment: datetime) -> list[str]:
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.DateTimeField):
                continue
            if any(word in field.name for word in FUTURE_BY_DESIGN) or field.default is REAL_CLOCK:
                continue
            n = model._default_manager.filter(**{f"{field.name}__gt": moment}).count()
            if n:
                found.append(f"{model._meta.label}.{field.name}: {n}")
    return found


@pytest.mark.django_db
def test_seed_demo_at_six_in_the_morning_writes_nothing_after_now(pin_now, api):
    now = pin_now(EARLY)
    call_command("seed_demo")
    assert _timestamps_after(now) == []
    northwind = Organization.objects.get(slug="northwind")
    # The weekly cadence lands on today: last week's check-ins were at ten, a week ago.
    assert CheckIn.objects.filter(organization=northwind, created_at=now + timedelta(hours=4) - timedelta(days=7))

    # Someone checks in a few minutes later: theirs is the key result's latest value and note.
    kr = (
        KeyResult.objects.filter(organization=northwind, kind="number", last_check_in_at__isnull=False)
        .select_related("owner")
        .order_by("id")
        .first()
    )
    pin_now(now + timedelta(minutes=5))
    value = kr.current_value + 1
    r = api(kr.owner).post(
        "/api/v1/orgs/northwind/check-ins/",
        {"key_result": kr.pk, "value": value, "confidence": 6, "note": "My first update"},
        format="json",
    )
    assert r.status_code == 201, r.content
    kr.refresh_from_db()
    assert kr.current_value == value
    latest = CheckIn.objects.filter(key_result=kr).order_by("-created_at", "-id").first()
    assert latest.note == "My first update"
