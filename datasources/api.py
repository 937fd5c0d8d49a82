"""API: ``data-sources/`` (admins only; the config is write-only and never returned),
``data-sources/<id>/test/``, ``kpis/<id>/pull/`` and the inbound webhook
``/api/v1/integrations/sources/<token>/`` (signed, no login)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Manager, QuerySet
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from datasources import services
from datasources.models import DataSource, PullStatus, SourceKind
from datasources.schedule import next_runs
from kpis.access import access_kpi, check_kpi_recording
from kpis.models import Kpi
from orgs import permissions
from orgs.api import OrgScopedPrimaryKeyField
from orgs.tenancy import OrgScopedAPIView, OrgScopedViewSet, get_scoped_or_404


class DataSourceListSerializer(serializers.ListSerializer):
    """A page of sources: their next runs found together by ``next_runs`` (the page's own
    computation, three queries for the page) before each source is written out."""

    def to_representation(self, data: Any) -> list[Any]:
        sources = list(data.all() if isinstance(data, Manager) else data)
        self.child.context["next_runs"] = next_runs(sources)
        return super().to_representation(sources)


class DataSourceSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    config = serializers.DictField(
        write_only=True,
        required=False,
        help_text='Write-only, stored encrypted: csv_url/json_url `{"url", "headers"?}`, sql `{"dsn"}`, '
        'webhook `{"secret"?}` (generated when not given). Keys left out of a change keep their value.',
    )
    language = serializers.ChoiceField(choices=["en", "vi"], required=False, default="en")
    period_column = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    active = serializers.BooleanField(required=False, default=True)
    endpoint = serializers.SerializerMethodField(help_text="webhook: the URL the system pushes to (null otherwise).")
    next_run_at = serializers.SerializerMethodField(
        help_text="When the pull sweep next pulls one of its KPIs (null: a webhook, off or paused, or no KPI linked)."
    )
    secret = serializers.SerializerMethodField(
        help_text="webhook: the signing secret, in the answer to the create only (null otherwise and afterwards)."
    )

    class Meta:
        model = DataSource
        list_serializer_class = DataSourceListSerializer
        fields = [
            "id",
            "name",
            "kind",
            "config",
            "language",
            "period_column",
            "active",
            "host",
            "last_run_at",
            "last_success_at",
            "last_error",
            "failures",
            "paused_at",
            "next_run_at",
            "endpoint",
            "secret",
        ]
        read_only_fields = ["host", "last_run_at", "last_success_at", "last_error", "failures", "paused_at"]

    def get_next_run_at(self, obj: DataSource) -> datetime | None:
        runs = self.context.get("next_runs") or {}
        return runs[obj.pk] if obj.pk in runs else next_runs([obj])[obj.pk]

    def get_secret(self, obj: DataSource) -> str | None:
        shown = self.context.get("show_secret")
        return str(shown) if shown else None

    def get_endpoint(self, obj: DataSource) -> str | None:
        if obj.kind != SourceKind.WEBHOOK:
            return None
        path = reverse("api-source-webhook", kwargs={"token": obj.token})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class SourceTestSerializer(serializers.Serializer):
    query = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    kpi = OrgScopedPrimaryKeyField(queryset=Kpi.objects.all(), required=False, allow_null=True)


class SourceTestResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    period = serializers.DateField(help_text="The period tried (the current one).")
    raw = serializers.CharField(help_text="The raw value as read.")
    value = serializers.FloatField(allow_null=True, help_text="The number read from it.")
    elapsed_ms = serializers.IntegerField()
    error = serializers.CharField(help_text="Why it failed, in plain words (empty when it worked).")


class DataSourceViewSet(OrgScopedViewSet):
    """Where KPIs fill themselves from. Admins only."""

    model = DataSource
    serializer_class = DataSourceSerializer

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins manage data sources.")

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.order_by("name", "id")

    def perform_create(self, serializer: DataSourceSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.source_create(
            org=self.org,
            actor=self.request.user,
            name=data["name"],
            kind=data["kind"],
            config=data.get("config") or {},
            language=data.get("language", "en"),
            period_column=data.get("period_column", ""),
            active=data.get("active", True),
        )
        if serializer.instance.kind == SourceKind.WEBHOOK:
            serializer.context["show_secret"] = services.source_config(serializer.instance).get("secret")

    def perform_update(self, serializer: DataSourceSerializer) -> None:
        data = serializer.validated_data
        if "kind" in data and data["kind"] != serializer.instance.kind:
            raise serializers.ValidationError({"kind": ["A source's kind cannot change; add a new source."]})
        serializer.instance = services.source_update(
            source=serializer.instance,
            actor=self.request.user,
            name=data.get("name"),
            config=data.get("config"),
            language=data.get("language"),
            period_column=data.get("period_column"),
            active=data.get("active"),
        )

    def perform_destroy(self, instance: DataSource) -> None:
        services.source_delete(source=instance, actor=self.request.user)


class SourceTestView(OrgScopedAPIView):
    """``POST data-sources/<id>/test/``: try the pull for the current period without saving: the
    raw value, the number and the time it took, or the error in plain words. Admins only."""

    serializer_class = SourceTestSerializer

    def get_serializer_class(self) -> type[SourceTestSerializer]:
        return self.serializer_class

    @extend_schema(request=SourceTestSerializer, responses={200: SourceTestResultSerializer})
    def post(self, request: Request, slug: str, source_id: int) -> Response:
        if not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins manage data sources.")
        source = get_scoped_or_404(DataSource, self.org, pk=source_id)
        body = SourceTestSerializer(data=request.data, context={"org": self.org, "request": request})
        body.is_valid(raise_exception=True)
        kpi = body.validated_data.get("kpi")
        query = body.validated_data.get("query") or (kpi.source_query if kpi is not None else "")
        result = services.source_test(source=source, query=query, kpi=kpi)
        out = {
            "ok": result.ok,
            "period": result.period,
            "raw": result.raw,
            "value": result.value,
            "elapsed_ms": result.elapsed_ms,
            "error": result.error,
        }
        return Response(SourceTestResultSerializer(out).data)


class KpiPullView(OrgScopedAPIView):
    """``POST kpis/<id>/pull/``: pull the KPI's current period from its source now."""

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "KpiPullResult",
                {
                    "status": serializers.ChoiceField(choices=PullStatus.choices),
                    "value": serializers.FloatField(allow_null=True),
                    "error": serializers.CharField(),
                },
            )
        },
    )
    def post(self, request: Request, slug: str, kpi_id: int) -> Response:
        kpi = access_kpi(self.membership, kpi_id)
        check_kpi_recording(self.membership, kpi)
        outcome = services.kpi_pull_now(kpi=kpi, actor=request.user)
        code = status.HTTP_400_BAD_REQUEST if outcome.status == PullStatus.FAILED else status.HTTP_200_OK
        return Response({"status": outcome.status, "value": outcome.value, "error": outcome.error}, status=code)


class SourceWebhookView(APIView):
    """A data source's inbound webhook: ``[{"kpi", "period", "value"}]``, signed
    ``X-Signature: sha256=<HMAC-SHA256 of the body under the source's secret>``."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=inline_serializer(
            "SourceWebhookItem",
            {"kpi": serializers.IntegerField(), "period": serializers.DateField(), "value": serializers.FloatField()},
            many=True,
        ),
        responses={
            200: inline_serializer(
                "SourceWebhookResult",
                {
                    "recorded": serializers.IntegerField(),
                    "unchanged": serializers.IntegerField(),
                    "conflicts": serializers.IntegerField(),
                },
            )
        },
    )
    def post(self, request: Request, token: str) -> Response:
        source = services.webhook_source(token)
        if source is None:
            raise Http404
        try:
            result = services.webhook_receive(
                source=source, body=request.body, signature=request.headers.get("X-Signature", "")
            )
        except services.BadSignature:
            return Response(
                {"message": "The body is not signed with this source's secret.", "errors": {}},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        return Response({"recorded": result.recorded, "unchanged": result.unchanged, "conflicts": result.conflicts})
