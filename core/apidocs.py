"""The OpenAPI schema and its Swagger UI, behind a login when
``API_DOCS_REQUIRE_LOGIN`` is on (the production default): the schema maps every
endpoint and field, which an anonymous visitor has no need for.

The docs page is drf-spectacular's "split" view: its start-up script is a
separate response, not inline, so the content security policy needs neither
``'unsafe-inline'`` scripts nor styles (templates/drf_spectacular/swagger_ui.html
drops the inline ``<style>``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http.response import HttpResponseBase
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request


def _permissions() -> list[BasePermission]:
    return [IsAuthenticated()] if settings.API_DOCS_REQUIRE_LOGIN else [AllowAny()]


class SchemaView(SpectacularAPIView):
    def get_permissions(self) -> list[BasePermission]:
        return _permissions()


class DocsView(SpectacularSwaggerSplitView):
    """The page and its script hold no data (the schema view does): an anonymous
    visitor is sent to the login page rather than shown a broken page."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if settings.API_DOCS_REQUIRE_LOGIN and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        page: HttpResponseBase = super().get(request, *args, **kwargs)
        return page
