"""``imports/`` and ``export/`` (DESIGN §6): admins move an organisation in and out.

``POST imports/`` takes a multipart ``file`` and its ``kind`` and answers with the dry
run; ``POST imports/<id>/apply/`` writes it (all or nothing, or ``{"only_valid": true}``).
``GET export/`` is the whole organisation as one JSON document, or ``?format=zip``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from orgs import permissions
from orgs.tenancy import OrgScopedAPIView, get_scoped_or_404
from transfer import services
from transfer.models import ImportKind, ImportRun
from transfer.run_messages import shown_dry_run


class RowErrorSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="The file's row number, or the object's position in its collection.")
    field = serializers.CharField(help_text="The column, or `collection.field` in an organisation document.")
    message = serializers.CharField()


class DryRunSerializer(serializers.Serializer[Any]):
    create = serializers.IntegerField()
    update = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = RowErrorSerializer(many=True)


class ImportResultSerializer(serializers.Serializer[Any]):
    create = serializers.IntegerField()
    update = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Rows left out because they had errors.")


class ImportRunSerializer(serializers.ModelSerializer[ImportRun]):
    dry_run = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    progress = serializers.IntegerField(source="progress_percent", read_only=True, help_text="0–100.")

    class Meta:
        model = ImportRun
        fields = ["id", "kind", "filename", "status", "rows_total", "rows_done", "progress", "dry_run", "result"]
        read_only_fields = fields

    @extend_schema_field(DryRunSerializer)
    def get_dry_run(self, run: ImportRun) -> dict[str, Any]:
        d = shown_dry_run(run.dry_run)  # its messages in the reader's language
        return {k: d.get(k, [] if k == "errors" else 0) for k in ("create", "update", "unchanged", "errors")}

    @extend_schema_field(ImportResultSerializer(allow_null=True))
    def get_result(self, run: ImportRun) -> dict[str, Any] | None:
        r = run.result or {}
        return {k: r.get(k, 0) for k in ("create", "update", "unchanged", "skipped")} if r else None


class ImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="CSV (UTF-8 or Windows-1258), XLSX, or for `organization` the JSON export.")
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    mapping = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="JSON object: field → the column header in the file, for columns not recognised.",
    )


class ImportApplySerializer(serializers.Serializer[Any]):
    only_valid = serializers.BooleanField(default=False, help_text="Import the valid rows and skip the others.")


def _require_admin(view: OrgScopedAPIView) -> None:
    if not permissions.is_admin(view.membership):
        raise PermissionDenied("Only admins import and export the organisation.")


def _drf_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"file": exc.messages})


class _TransferView(OrgScopedAPIView):
    """Not a model resource; ``serializer_class`` describes the request body (the isolation
    matrix reads it to aim another organisation's ids at it)."""

    serializer_class: type[serializers.Serializer[Any]] | None = None

    def get_serializer_class(self) -> type[serializers.Serializer[Any]] | None:
        return self.serializer_class


class ImportListView(_TransferView):
    """Upload a file (multipart `file` and `kind`, optional JSON `mapping`): it is kept and
    checked, and the answer is its dry run. Admins only."""

    parser_classes = [MultiPartParser]
    serializer_class = ImportUploadSerializer

    @extend_schema(
        operation_id="imports_create",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ImportRunSerializer},
        summary="Upload a file and check it (the dry run)",
    )
    def post(self, request: Request, slug: str) -> Response:
        _require_admin(self)
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        mapping = _mapping(upload.validated_data.get("mapping") or "")
        f = upload.validated_data["file"]
        try:
            services.check_upload_size(f.size)
            run = services.import_run_create(
                org=self.org,
                actor=request.user,  # type: ignore[arg-type]  # authenticated by the base view
                kind=upload.validated_data["kind"],
                data=f.read(),
                filename=f.name,
                mapping=mapping,
                options={"base_url": request.build_absolute_uri("/")},
            )
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return Response(ImportRunSerializer(run).data, status=status.HTTP_201_CREATED)


def _mapping(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise ValidationError({"mapping": ["Enter a JSON object of field → column."]}) from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValidationError({"mapping": ["Enter a JSON object of field → column."]})
    return value


class ImportDetailView(_TransferView):
    """An import: its status, its progress while a big file is worked on, its dry run and,
    once applied, what it did. Admins only."""

    @extend_schema(operation_id="imports_retrieve", responses={200: ImportRunSerializer}, summary="An import")
    def get(self, request: Request, slug: str, import_id: int) -> Response:
        _require_admin(self)
        run = services.import_run_progress(get_scoped_or_404(ImportRun, self.org, pk=import_id))
        return Response(ImportRunSerializer(run).data)


class ImportApplyView(_TransferView):
    """Apply a checked import in one transaction: all or nothing, or `{"only_valid": true}`.
    Applying the same file again changes nothing. Admins only."""

    parser_classes = [JSONParser]
    serializer_class = ImportApplySerializer

    @extend_schema(
        operation_id="imports_apply",
        request=ImportApplySerializer,
        responses={200: ImportRunSerializer},
        summary="Apply a checked import (all or nothing, or only the valid rows)",
    )
    def post(self, request: Request, slug: str, import_id: int) -> Response:
        _require_admin(self)
        run = get_scoped_or_404(ImportRun, self.org, pk=import_id)
        body = ImportApplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            run = services.import_run_apply(
                run=run,
                actor=request.user,  # type: ignore[arg-type]  # authenticated by the base view
                only_valid=body.validated_data["only_valid"],
            )
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return Response(ImportRunSerializer(run).data)


class ExportView(_TransferView):
    """The whole organisation as one versioned JSON document (docs/export-format.md), streamed,
    or `?format=zip` for one CSV file per collection. Admins only."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # ``?format=`` names the file's format here, not one of DRF's renderers.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="export_retrieve",
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json", "zip"], description="`json` (default): one document; `zip`: CSV files."
            )
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="docs/export-format.md"),
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="One CSV per collection."),
        },
        summary="The whole organisation (admins)",
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        _require_admin(self)
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "zip"):
            raise ValidationError({"format": ["Choose json or zip."]})
        return services.export_response(org=self.org, fmt=fmt)
