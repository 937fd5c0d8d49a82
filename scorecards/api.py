"""The executive API documents: the cascade (DESIGN §6)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from cycles.models import Cycle
from orgs.tenancy import OrgScopedAPIView, scoped
from scorecards.cascade import cascade
from scorecards.documents import cached_json, document_key, etag_matches


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
    def get(self, request: Any, slug: str) -> HttpResponse:
        query = CascadeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cycle = scoped(Cycle, self.org).filter(pk=query.validated_data["cycle"]).first()
        if cycle is None:
            raise serializers.ValidationError({"cycle": "Unknown cycle."})
        as_of = query.validated_data.get("as_of")
        return json_document(
            request,
            document_key("cascade", self.org, cycle.pk, as_of),
            lambda: cascade(org=self.org, cycle=cycle, as_of=as_of),
        )


def json_document(request: Any, key: str, build: Any) -> HttpResponse:
    """A cached JSON document with its ETag; 304 when the client already has it."""
    headers = {"ETag": f'"{key}"', "Cache-Control": "private, no-cache"}
    if etag_matches(request.headers.get("If-None-Match"), key):
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(cached_json(key, build), content_type="application/json", headers=headers)
