"""The cascade document's shape for the OpenAPI schema (DESIGN §6), so that generated
clients get typed nodes instead of a free-form object. Documentation only: the document
itself is built by ``scorecards.cascade`` and served as cached JSON, never through these."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from objectives.api.forecasts import ForecastSerializer
from orgs.ownership import OwnerType

HEALTHS = ["on_track", "at_risk", "off_track"]  # the objective health enum (ObjectiveHealthEnum)


class CascadeKeyResultSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    progress = serializers.FloatField(help_text="Clamped to [0, 1] (as of the day, with `as_of`).")


class CascadeGradeSerializer(serializers.Serializer[Any]):
    value = serializers.FloatField(help_text="The objective's grade at close, 0.0–1.0.")
    achieved = serializers.BooleanField(help_text="Whether it met its bar: 1.0 committed, 0.7 aspirational.")


@extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/CascadeObjective"}})
class _ObjectiveChildren(serializers.ListField):
    """The objectives aligned to this one, each a node of the same shape."""


@extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/CascadeTeam"}})
class _TeamChildren(serializers.ListField):
    """The teams below this one, each a node of the same shape."""


class RestrictedRowSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="How many objectives the reader may not see stand here.")
    progress = serializers.FloatField(
        allow_null=True,
        help_text="Their progress, weighted as in their parent; null where the organisation shows only the count.",
    )
    label = serializers.CharField(help_text='"1 restricted objective, 40 %", in the reader\'s language.')


class CascadeObjectiveSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    owner_type = serializers.ChoiceField(choices=OwnerType.choices)
    owner_team = serializers.IntegerField(allow_null=True)
    owner_user = serializers.IntegerField(allow_null=True)
    progress = serializers.FloatField(help_text="Stored progress P(o), 0–1 (DESIGN §4).")
    health = serializers.ChoiceField(
        choices=HEALTHS, allow_null=True, help_text="Null in a closed cycle: it is graded, not tracked."
    )
    grade = CascadeGradeSerializer(allow_null=True, help_text="A closed cycle's grade; null otherwise.")
    forecast = ForecastSerializer(
        allow_null=True,
        help_text="Where its progress will land at the cycle's end (`method` rollup), live in an open cycle; "
        "null as of a past day or once the cycle is closed.",
    )
    key_results = CascadeKeyResultSerializer(many=True)
    children = _ObjectiveChildren(help_text="The objectives aligned to this one.")
    restricted = RestrictedRowSerializer(
        allow_null=True,
        help_text="The aligned objectives the reader may not see, as one neutral row (their progress still "
        "counts in this one's); null when there are none.",
    )


class CascadeTeamSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    progress = serializers.FloatField(allow_null=True, help_text="Mean progress of the team's own objectives.")
    subtree_progress = serializers.FloatField(
        allow_null=True, help_text="Mean progress over the team, its descendant teams and their members."
    )
    children = _TeamChildren(help_text="The teams below this one.")


class CascadeOwnerNamesSerializer(serializers.Serializer[Any]):
    teams = serializers.DictField(child=serializers.CharField(), help_text="Team names by team id.")
    people = serializers.DictField(child=serializers.CharField(), help_text="Owners' names by user id.")


class CascadeSerializer(serializers.Serializer[Any]):
    cycle = serializers.IntegerField(help_text="The cycle's id.")
    as_of = serializers.DateField(allow_null=True)
    closed = serializers.BooleanField(help_text="A closed cycle shown live: grades instead of health.")
    before_first_snapshot = serializers.BooleanField(
        help_text="With `as_of`: the day is before the cycle's first snapshot, so the document is empty."
    )
    progress = serializers.FloatField(allow_null=True, help_text="Company progress: the mean over company objectives.")
    expected = serializers.FloatField(help_text="The elapsed fraction of the cycle on the day, 0–1.")
    restricted = RestrictedRowSerializer(
        allow_null=True, help_text="Root objectives the reader may not see, as one neutral row; null when none."
    )
    objectives = CascadeObjectiveSerializer(many=True, help_text="The tree's roots, their aligned objectives below.")
    teams = CascadeTeamSerializer(many=True)
    owner_names = CascadeOwnerNamesSerializer()
