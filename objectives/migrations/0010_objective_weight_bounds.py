"""An objective's weight in its parent is bounded: 0 < weight ≤ 10.

Weights outside are brought inside first (above 10: 10; 0 or less: the default 1); the
hourly reconcile then recomputes the parents they moved."""

import django.db.models
from django.db import migrations, models

import objectives.models


def into_bounds(apps, schema_editor):
    Objective = apps.get_model("objectives", "Objective")
    Objective.objects.filter(weight__gt=10.0).update(weight=10.0)
    Objective.objects.filter(weight__lte=0.0).update(weight=1.0)


class Migration(migrations.Migration):
    dependencies = [
        ("objectives", "0009_objective_activated_at"),
    ]

    operations = [
        migrations.RunPython(into_bounds, migrations.RunPython.noop, elidable=True),
        migrations.RemoveConstraint(model_name="objective", name="objective_weight_not_negative"),
        migrations.AddConstraint(
            model_name="objective",
            constraint=models.CheckConstraint(
                condition=django.db.models.Q(("weight__gt", 0.0), ("weight__lte", 10.0)),
                name="objective_weight_bounds",
            ),
        ),
        migrations.AlterField(
            model_name="objective",
            name="weight",
            field=models.FloatField(
                default=1.0,
                help_text="How much it counts in the objective it is aligned to (more than 0, at most 10). Only "
                "someone who may edit that objective sets it; otherwise it counts 1.",
                validators=[objectives.models.validate_objective_weight],
                verbose_name="weight",
            ),
        ),
    ]
