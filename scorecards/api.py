"""The executive API documents: the cascade (DESIGN §6)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from cycles.models import Cycle
from orgs.tenancy import OrgScopedAPIView, scoped
from scorecards.cascade import cascade


class CascadeQuerySerializer(serializers.Serializer):
    cycle = serializers.IntegerField(help_text="The cycle's id.")
    as_of = serializers.DateField(required=False, help_text="Answer from the daily snapshots of that date.")


class CascadeView(OrgScopedAPIView):
    """The rolled-up tree of a cycle: company progress, aligned objectives, teams."""

    @extend_schema(
        parameters=[CascadeQuerySerializer],
        responses={200: OpenApiTypes.OBJECT},
        description="DESIGN §6 cascade document.",
    )
    def get(self, request: Any, slug: str) -> Response:
        query = CascadeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cycle = scoped(Cycle, self.org).filter(pk=query.validated_data["cycle"]).first()
        if cycle is None:
            raise serializers.ValidationError({"cycle": "Unknown cycle."})
        return Response(cascade(org=self.org, cycle=cycle, as_of=query.validated_data.get("as_of")))
