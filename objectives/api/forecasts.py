"""The forecast documents (DESIGN §6): ``key-results/<id>/forecast/`` and ``forecast/?cycle=``."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from cycles.models import Cycle
from objectives import forecast as fc
from objectives import forecast_text
from objectives.forecasts import (
    CalibrationReport,
    as_dict,
    cached,
    calibration,
    cycle_forecast,
    key_result_forecast,
)
from objectives.models import Commitment, KeyResult
from objectives.restricted import hidden_objectives
from orgs.tenancy import OrgScopedAPIView, scoped, visible

METHOD_HELP = (
    "`trend`: a robust (Theil–Sen) line through three or more check-ins; `pace`: the pace so far from the "
    "start through the latest check-in (one or two check-ins); `milestone`: the probability is the latest "
    "confidence out of 10; `none`: no check-in yet (no probability); `final`: the cycle is over; `rollup`: "
    "an objective's weighted mean of its key results' and aligned objectives' forecasts."
)


class ForecastSerializer(serializers.Serializer):
    projected = serializers.FloatField(help_text="The value expected at the cycle's end (an objective's: progress).")
    low = serializers.FloatField(help_text="The 90 % band's low end.")
    high = serializers.FloatField(help_text="The 90 % band's high end.")
    probability = serializers.FloatField(
        allow_null=True,
        help_text="The chance (0–1) of reaching the target (an objective: of being graded at its type's bar); "
        "null without a check-in.",
    )
    method = serializers.ChoiceField(choices=list(fc.METHODS), help_text=METHOD_HELP)


class KeyResultForecastSerializer(ForecastSerializer):
    id = serializers.IntegerField()
    objective = serializers.IntegerField()
    progress = serializers.FloatField(help_text="The progress (0–1) the projected value means.")
    progress_low = serializers.FloatField()
    progress_high = serializers.FloatField()
    slope_per_week = serializers.FloatField(allow_null=True, help_text="The trend's or pace's change a week.")
    since = serializers.DateField(allow_null=True, help_text="The day the trend or pace is measured from.")
    points = serializers.IntegerField(help_text="Check-ins read.")
    explanation = serializers.CharField(help_text="One line in the reader's language.")


class ObjectiveForecastSerializer(ForecastSerializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    commitment = serializers.ChoiceField(choices=Commitment.choices)
    predicted_to_miss = serializers.BooleanField(
        help_text="Active and forecast under its type's bar (committed 1.0, aspirational 0.7), graded as the close "
        "would grade it."
    )


class CheckpointSerializer(serializers.Serializer):
    checkpoint = serializers.ChoiceField(choices=[name for name, _share in fc.CHECKPOINTS])
    predicted_miss = serializers.IntegerField(allow_null=True)
    missed = serializers.IntegerField(allow_null=True, help_text="Of those predicted to miss, how many did.")
    miss_hit_rate = serializers.FloatField(allow_null=True)
    predicted_make = serializers.IntegerField(allow_null=True)
    made = serializers.IntegerField(allow_null=True, help_text="Of those predicted to make it, how many did.")
    make_hit_rate = serializers.FloatField(allow_null=True)
    mean_absolute_error = serializers.FloatField(allow_null=True, help_text="Mean |forecast progress − grade| (0–1).")


class CalibrationSerializer(serializers.Serializer):
    cycles = serializers.IntegerField(help_text="Closed cycles.")
    key_results = serializers.IntegerField(help_text="Graded key results in them.")
    enough = serializers.BooleanField(
        help_text=f"At least {fc.MIN_HISTORY} graded key results; the figures are null otherwise."
    )
    checkpoints = CheckpointSerializer(many=True, help_text="Replays at mid-cycle and at two thirds.")
    summary = serializers.ListField(child=serializers.CharField(), help_text="The figures in sentences.")


class CycleForecastSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    key_results = KeyResultForecastSerializer(many=True)
    objectives = ObjectiveForecastSerializer(many=True)
    predicted_to_miss = serializers.ListField(
        child=serializers.IntegerField(), help_text="Objective ids, the furthest and surest misses first."
    )
    calibration = CalibrationSerializer()


class KeyResultForecastOnlySerializer(KeyResultForecastSerializer):
    calibration = CalibrationSerializer()


def key_result_row(f: fc.Forecast, kr: Any) -> dict[str, Any]:
    return as_dict(f) | {
        "id": kr.pk,
        "objective": kr.objective_id,
        "progress": f.progress,
        "progress_low": f.progress_low,
        "progress_high": f.progress_high,
        "slope_per_week": f.slope_per_week,
        "since": f.since,
        "points": f.points,
        "explanation": forecast_text.explain(f, kr),
    }


def calibration_row(report: CalibrationReport) -> dict[str, Any]:
    return {
        "cycles": report.cycles,
        "key_results": report.key_results,
        "enough": report.enough,
        "checkpoints": [
            {
                "checkpoint": c.checkpoint,
                "predicted_miss": c.predicted_miss,
                "missed": c.missed,
                "miss_hit_rate": c.miss_hit_rate,
                "predicted_make": c.predicted_make,
                "made": c.made,
                "make_hit_rate": c.make_hit_rate,
                "mean_absolute_error": c.mean_absolute_error,
            }
            for c in report.checkpoints
        ],
        "summary": forecast_text.calibration_lines(report),
    }


class KeyResultForecastView(OrgScopedAPIView):
    """Where one key result will land at its cycle's end."""

    @extend_schema(responses={200: KeyResultForecastOnlySerializer})
    def get(self, request: Any, slug: str, kr_id: int) -> Response:
        kr = visible(KeyResult, self.membership).select_related("objective__cycle").filter(pk=kr_id).first()
        if kr is None:
            raise NotFound("No such key result.")
        f = key_result_forecast(org=self.org, key_result=kr)
        body = key_result_row(f, kr) | {"calibration": calibration_row(calibration(org=self.org))}
        return Response(KeyResultForecastOnlySerializer(body).data)


class CycleForecastQuerySerializer(serializers.Serializer):
    cycle = serializers.IntegerField(min_value=1, help_text="The cycle's id.")


class CycleForecastView(OrgScopedAPIView):
    """Every key result's and objective's forecast in a cycle, with the calibration."""

    @extend_schema(parameters=[CycleForecastQuerySerializer], responses={200: CycleForecastSerializer})
    def get(self, request: Any, slug: str) -> HttpResponse:
        query = CycleForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cycle = scoped(Cycle, self.org).filter(pk=query.validated_data["cycle"]).first()
        if cycle is None:
            raise serializers.ValidationError({"cycle": "Unknown cycle."})
        # Cached as its JSON under the data version, today and the language of its explanations.
        body = cached("forecast-api", self.org, lambda: self._document(cycle), cycle.pk, translation.get_language())
        hidden = hidden_objectives(self.membership, cycle_id=cycle.pk)
        if hidden:  # what the reader may not see leaves the lists (DESIGN §3); the figures stay
            doc = json.loads(body)
            doc["objectives"] = [o for o in doc["objectives"] if o["id"] not in hidden]
            doc["key_results"] = [k for k in doc["key_results"] if k["objective"] not in hidden]
            doc["predicted_to_miss"] = [oid for oid in doc["predicted_to_miss"] if oid not in hidden]
            body = json.dumps(doc, separators=(",", ":")).encode()
        return HttpResponse(body, content_type="application/json")

    def _document(self, cycle: Cycle) -> bytes:
        doc = cycle_forecast(org=self.org, cycle=cycle)
        krs = scoped(KeyResult, self.org).filter(objective__cycle=cycle).order_by("objective_id", "position", "id")
        missing = doc.predicted_to_miss()
        late = {o.id for o in missing}
        body = {
            "cycle": cycle.pk,
            "key_results": [key_result_row(doc.key_results[kr.pk], kr) for kr in krs if kr.pk in doc.key_results],
            "objectives": [
                as_dict(doc.objectives[o.id])
                | {"id": o.id, "title": o.title, "commitment": o.commitment, "predicted_to_miss": o.id in late}
                for o in doc.info.values()
            ],
            "predicted_to_miss": [o.id for o in missing],
            "calibration": calibration_row(calibration(org=self.org)),
        }
        return json.dumps(CycleForecastSerializer(body).data, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
