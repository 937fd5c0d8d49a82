"""API: the organisation's single sign-on (``sso/``, admins only, DESIGN §6) and the token
endpoint, which logs token creation and refuses a password-made token to a person whose every
organisation allows single sign-on only."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from identity.models import OidcProvider
from identity.services import security
from identity.services.sso import password_allowed, provider_of, sso_configure, sso_remove
from orgs import permissions
from orgs.api import TokenRequestSerializer
from orgs.api import TokenView as PasswordTokenView
from orgs.models import Role, User
from orgs.tenancy import OrgScopedAPIView


class SsoSerializer(serializers.Serializer):
    issuer = serializers.URLField(max_length=300, help_text="The provider's issuer (https).")
    client_id = serializers.CharField(max_length=300)
    client_secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Stored encrypted, never returned; omit to keep."
    )
    domains = serializers.ListField(
        child=serializers.CharField(max_length=255), help_text="E-mail domains it vouches for."
    )
    role_mapping = serializers.DictField(
        child=serializers.ChoiceField(choices=Role.choices), required=False, default=dict, help_text='{"group": "role"}'
    )
    default_role = serializers.ChoiceField(choices=Role.choices, required=False, default=Role.MEMBER)
    groups_claim = serializers.CharField(max_length=64, required=False, default="groups")
    sso_only = serializers.BooleanField(required=False, default=False)
    active = serializers.BooleanField(required=False, default=True)
    login_url = serializers.CharField(read_only=True, help_text="Where members start a single sign-on login.")
    callback_url = serializers.CharField(
        read_only=True, help_text="The redirect address to register with the provider."
    )


def _body(request: Request, provider: OidcProvider) -> dict[str, Any]:
    slug = provider.organization.slug
    return {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "domains": provider.domains,
        "role_mapping": provider.role_mapping,
        "default_role": provider.default_role,
        "groups_claim": provider.groups_claim,
        "sso_only": provider.sso_only,
        "active": provider.active,
        "login_url": request.build_absolute_uri(reverse("identity:sso_login", kwargs={"org_slug": slug})),
        "callback_url": request.build_absolute_uri(reverse("identity:sso_callback", kwargs={"org_slug": slug})),
    }


class SsoView(OrgScopedAPIView):
    """The organisation's OpenID Connect provider, one at most (admins only)."""

    serializer_class = SsoSerializer

    def _admin(self) -> None:
        if not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins manage single sign-on.")

    def _save(self, request: Request, *, partial: bool) -> Response:
        self._admin()
        current = provider_of(org=self.org)
        data = SsoSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if partial:
            if current is None:
                raise NotFound("No single sign-on is set up: PUT creates it.")
            values = {**_body(request, current), **values}
            values.pop("login_url", None)
            values.pop("callback_url", None)
        try:
            provider = sso_configure(
                org=self.org,
                actor=request.user,
                request=request._request,
                client_secret=values.pop("client_secret", None) or None,
                **values,
            )
        except ValidationError as exc:
            raise DrfValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            ) from None
        return Response(_body(request, provider), status=status.HTTP_200_OK)

    @extend_schema(responses={200: SsoSerializer, 404: OpenApiResponse(description="No single sign-on is set up.")})
    def get(self, request: Request, slug: str) -> Response:
        self._admin()
        provider = provider_of(org=self.org)
        if provider is None:
            raise NotFound("No single sign-on is set up.")
        return Response(_body(request, provider))

    @extend_schema(request=SsoSerializer, responses=SsoSerializer)
    def put(self, request: Request, slug: str) -> Response:
        """Create or replace it; the issuer's discovery document must answer."""
        return self._save(request, partial=False)

    @extend_schema(request=SsoSerializer, responses=SsoSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        return self._save(request, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str) -> Response:
        self._admin()
        if not sso_remove(org=self.org, actor=request.user, request=request._request):
            raise NotFound("No single sign-on is set up.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenView(PasswordTokenView):
    __doc__ = PasswordTokenView.__doc__

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            403: OpenApiResponse(description="Every organisation of the person allows single sign-on only."),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        response = super().post(request)
        if response.status_code != status.HTTP_200_OK:
            return response
        user = Token.objects.select_related("user").get(key=response.data["token"]).user
        if not password_allowed(user=user):
            Token.objects.filter(user=user).delete()
            return Response(
                {
                    "message": "Your organisations log in with single sign-on only: no token is made with a password.",
                    "errors": {},
                },
                status=status.HTTP_403_FORBIDDEN,
            )
        _token_logged(request, user)
        return response


def _token_logged(request: Request, user: User) -> None:
    security.security_event_everywhere(
        user=user, verb="token_created", request=request._request, details={"method": "password"}
    )
