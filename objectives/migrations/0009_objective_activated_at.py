"""Objectives record when they became active: their pace runs from then (DESIGN §4).

Objectives already active (or closed) get their cycle's start, at midnight in their
organisation's time zone: the pace they were shown until now."""

import datetime
import zoneinfo

from django.db import migrations, models


def from_cycle_start(apps, schema_editor):
    Cycle = apps.get_model("cycles", "Cycle")
    Objective = apps.get_model("objectives", "Objective")
    cycles = Cycle.objects.filter(
        pk__in=Objective.objects.filter(status__in=["active", "closed"], activated_at__isnull=True).values("cycle_id")
    ).select_related("organization")
    for cycle in cycles.iterator():
        try:
            tz = zoneinfo.ZoneInfo(cycle.organization.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = zoneinfo.ZoneInfo("UTC")
        start = datetime.datetime.combine(cycle.start_date, datetime.time.min, tzinfo=tz)
        Objective.objects.filter(cycle=cycle, status__in=["active", "closed"], activated_at__isnull=True).update(
            activated_at=start
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cycles", "0002_cycle_closing"),
        ("objectives", "0008_rollup_pending"),
    ]

    operations = [
        migrations.AddField(
            model_name="objective",
            name="activated_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="activated at"),
        ),
        migrations.RunPython(from_cycle_start, migrations.RunPython.noop, elidable=True),
    ]
