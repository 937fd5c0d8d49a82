"""API plumbing shared by every app: pagination and one error format.

Errors are ``{"message": "...", "errors": {field: [messages]}}`` with a 4xx
status. Django ``ValidationError`` raised by services becomes a 400 too, so
business rules live in services and still answer cleanly through the API; a
stale ``version`` (``StaleVersionError``) is a 409.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.validation import StaleVersionError


class Pagination(PageNumberPagination):
    """DRF's page format. ``page`` and ``page_size`` must be whole numbers of at least 1
    (``page=last`` too): anything else is a 400 naming the parameter, rather than
    silently the first page or the default size."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        errors = {}
        for name in (self.page_query_param, self.page_size_query_param):
            raw = request.query_params.get(name)
            if raw is None or (name == self.page_query_param and raw in self.last_page_strings):
                continue
            if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
                errors[name] = ["Use a whole number of at least 1."]
        if errors:
            raise exceptions.ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)


def _django_validation_to_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for e in errs for m in e.messages]
            for field, errs in exc.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _flatten_first(errors: Any) -> str:
    if isinstance(errors, dict):
        for field, value in errors.items():
            inner = _flatten_first(value)
            if inner:
                return inner if field in ("non_field_errors", "detail") else f"{field}: {inner}"
        return ""
    if isinstance(errors, list):
        return _flatten_first(errors[0]) if errors else ""
    return str(errors)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, StaleVersionError):
        message = exc.messages[0]
        return Response({"message": message, "errors": {"version": [message]}}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_to_dict(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        message = _flatten_first(errors) or "Invalid input."
        response.data = {"message": message, "errors": errors}
    else:
        detail = data.get("detail") if isinstance(data, dict) else data
        response.data = {"message": str(detail), "errors": {}}
    if response.status_code >= 500:  # never leak a 5xx shape from here
        response.status_code = status.HTTP_400_BAD_REQUEST
    return response


class ProvenanceSerializer(serializers.Serializer[Any]):
    """Where a measurement's or check-in's value came from (``core.provenance``): only the
    keys that apply to its origin are present."""

    who = serializers.IntegerField(required=False, help_text="The person who typed or imported it.")
    who_name = serializers.CharField(required=False)
    file = serializers.CharField(required=False, help_text="The imported file's name.")
    source = serializers.IntegerField(required=False, help_text="The data source's id.")
    source_name = serializers.CharField(required=False)
    fetched_at = serializers.DateTimeField(required=False)
    raw = serializers.CharField(required=False, help_text="The raw value as received (first 200 characters).")
    hash = serializers.CharField(required=False, help_text="sha256:<hex> of the whole raw value.")
    formula = serializers.CharField(required=False)
    inputs = serializers.DictField(
        child=serializers.FloatField(), required=False, help_text='A formula\'s inputs: {"kpi:<id>": value}.'
    )
