"""API resources ``teams/`` and ``members/``, and the token endpoint."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.clientip import client_ip
from core.ids import parse_id
from orgs import permissions, selectors, services
from orgs.access import check_team_create, check_team_delete, check_team_update
from orgs.models import Membership, Role, Team, TeamMember, User
from orgs.tenancy import OrgScopedViewSet, scoped
from orgs.throttle import (
    DEVICE_COOKIE,
    LoginThrottle,
    device_cookie,
    known_device,
    login_store,
    remember_device,
    wait_message,
)
from orgs.visibility import visible_scope


class OrgScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A foreign key that only accepts rows of the caller's organisation."""

    def get_queryset(self) -> QuerySet:
        qs = super().get_queryset()
        org = self.context.get("org") if hasattr(self, "context") else None
        if org is None:
            return qs.none()
        membership = self.context.get("membership")
        if membership is not None:  # a hidden objective or KPI is no more there than another organisation's
            qs = qs.filter(visible_scope(membership, qs.model))
        return qs.filter(organization=org)


@extend_schema_field(OpenApiTypes.INT)
class OrgUserField(serializers.PrimaryKeyRelatedField):
    """A user id that must belong to a member of the caller's organisation."""

    def get_queryset(self) -> QuerySet:
        org = self.context.get("org") if hasattr(self, "context") else None
        if org is None:
            return User.objects.none()
        return User.objects.filter(memberships__organization=org)


class _ViewerId(OrgUserField):
    """One of the ``viewers`` of an objective or KPI: a person of the caller's organisation."""

    default_error_messages = {
        "does_not_exist": _("Only people of this organisation can be named as viewers (unknown: {pk_value})."),
    }


def viewer_ids_field() -> Any:
    """``viewers`` of an objective or KPI: people's user ids, each one of the organisation's
    members (anyone else is a 400 naming the id, as any row of another organisation)."""
    return _ViewerId(
        many=True,
        required=False,
        help_text="User ids of the people who may also see it when it is private (besides its owner, their "
        "managers and admins). Only people of this organisation.",
    )


# --- auth token --------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class ClientRateThrottle(ScopedRateThrottle):
    """DRF's scoped rate, keyed by the real client behind a trusted proxy (``TRUSTED_PROXIES``),
    counted where the login throttle counts (the database while Redis fails)."""

    @property
    def cache(self) -> Any:  # type: ignore[override]
        return login_store()

    def get_ident(self, request: Request) -> str:
        return client_ip(request._request)


class TokenView(APIView):
    """Exchange e-mail and password for an API token (``Authorization: Token <token>``)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    extra_error_codes = ("429",)  # documented in the schema (core.schema)
    # Requests per client (LOGIN_THROTTLE_RATE), on top of the failure counting of orgs.throttle.
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email, client = data.validated_data["email"], client_ip(request._request)
        device = known_device(request.COOKIES.get(DEVICE_COOKIE), email)
        throttle = LoginThrottle()
        wait = throttle.retry_after(email=email, client=client, device=device)
        if wait:
            return Response(
                {"message": wait_message(wait), "errors": {}},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(wait)},
            )
        user = authenticate(request._request, email=email, password=data.validated_data["password"])
        if user is None:
            throttle.failed(email=email, client=client, device=device)
            return Response({"message": "Wrong e-mail or password.", "errors": {}}, status=status.HTTP_400_BAD_REQUEST)
        throttle.succeeded(email=email, client=client, device=device)
        token, _created = Token.objects.get_or_create(user=user)
        # A client that keeps cookies is a known device from now on (orgs.throttle).
        return remember_device(Response({"token": token.key}), device_cookie(email, device))


# --- teams ---------------------------------------------------------------------------


class TeamSerializer(serializers.ModelSerializer):
    parent = OrgScopedPrimaryKeyField(queryset=Team.objects.all(), allow_null=True, required=False)
    managers = serializers.ListField(child=OrgUserField(), required=False, help_text="User ids of the team's managers.")
    members = serializers.ListField(
        child=OrgUserField(), required=False, help_text="User ids of the team's members (managers included)."
    )

    class Meta:
        model = Team
        fields = ["id", "name", "parent", "managers", "members"]

    def to_representation(self, instance: Team) -> dict[str, Any]:
        people = list(instance.memberships.all())
        return {
            "id": instance.pk,
            "name": instance.name,
            "parent": instance.parent_id,
            "managers": sorted(tm.user_id for tm in people if tm.is_manager),
            "members": sorted(tm.user_id for tm in people),
        }


class TeamViewSet(OrgScopedViewSet):
    model = Team
    serializer_class = TeamSerializer

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.prefetch_related("memberships").order_by("name", "id")
        parent = self.request.query_params.get("parent")
        if parent == "null":
            qs = qs.filter(parent__isnull=True)
        elif parse_id(parent):
            qs = qs.filter(parent_id=parse_id(parent))
        return qs

    def perform_create(self, serializer: TeamSerializer) -> None:
        data = serializer.validated_data
        parent = data.get("parent")
        check_team_create(self.membership, parent=parent, managers=data.get("managers"), members=data.get("members"))
        serializer.instance = services.team_create(
            org=self.org,
            actor=self.request.user,
            name=data["name"],
            parent=parent,
            managers=data.get("managers", []),
            members=data.get("members", []),
        )

    def perform_update(self, serializer: TeamSerializer) -> None:
        team = serializer.instance
        data = serializer.validated_data
        kwargs: dict[str, Any] = {"parent": data["parent"]} if "parent" in data else {}
        check_team_update(
            self.membership,
            team,
            parent=kwargs.get("parent", team.parent),
            managers=data.get("managers"),
            members=data.get("members"),
        )
        serializer.instance = services.team_update(
            team=team,
            actor=self.request.user,
            name=data.get("name"),
            managers=data.get("managers"),
            members=data.get("members"),
            **kwargs,
        )

    def perform_destroy(self, instance: Team) -> None:
        check_team_delete(self.membership, instance)
        services.team_delete(team=instance, actor=self.request.user)

    def get_object(self) -> Team:
        obj = super().get_object()
        return obj


# --- members -----------------------------------------------------------------------------


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="The user's id.")
    email = serializers.EmailField()
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices)
    password = serializers.CharField(
        write_only=True, required=False, trim_whitespace=False, style={"input_type": "password"}
    )
    teams = serializers.ListField(child=OrgScopedPrimaryKeyField(queryset=Team.objects.all()), required=False)
    primary_team = serializers.IntegerField(read_only=True, allow_null=True)

    def to_representation(self, instance: Membership) -> dict[str, Any]:
        team_ids = getattr(instance.user, "org_team_memberships", None)
        if team_ids is None:
            teams = list(
                instance.user.team_memberships.filter(organization_id=instance.organization_id).values_list(
                    "team_id", flat=True
                )
            )
        else:
            teams = [tm.team_id for tm in team_ids]
        return {
            "id": instance.user_id,
            "email": instance.user.email,
            "name": instance.user.name,
            "role": instance.role,
            "teams": sorted(teams),
            "primary_team": instance.primary_team_id,
        }


class MemberInvitedSerializer(serializers.Serializer):
    """The answer when the address already has an account: it was invited, not added."""

    invited = serializers.BooleanField(help_text="Always true: the person joins when they accept the invitation.")
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    team = serializers.IntegerField(allow_null=True, help_text="The team they join on accepting.")
    expires_at = serializers.DateTimeField()


class MemberUpdateSerializer(MemberSerializer):
    email = serializers.EmailField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)


class MemberViewSet(OrgScopedViewSet):
    model = Membership
    lookup_field = "user_id"
    lookup_url_kwarg = "id"

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return MemberUpdateSerializer if self.action == "partial_update" else MemberSerializer

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = selectors.member_list(org=self.org)
        role = self.request.query_params.get("role")
        if role in Role.values:
            qs = qs.filter(role=role)
        team = self.request.query_params.get("team")
        if parse_id(team):
            qs = qs.filter(user__team_memberships__team_id=parse_id(team))
        return qs

    @extend_schema(
        responses={201: MemberSerializer, 202: MemberInvitedSerializer},
        description=(
            "Add a person. A new address gets an account (with `password`, or they use password reset). "
            "An address that already has an account is sent an invitation instead (202): they join only "
            "by accepting it, and nothing about their account is shown here. The invitation places them "
            "in the first of `teams`."
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins can add members.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not services.account_exists(email=data["email"]):
            return super().create(request, *args, **kwargs)
        teams = data.get("teams", [])
        # Raises "already a member" for members of this organisation, as for new addresses.
        invitation, _link = services.invitation_create(
            org=self.org,
            actor=request.user,
            email=data["email"],
            role=data["role"],
            name=data.get("name", ""),
            team=teams[0] if teams else None,
            base_url=request.build_absolute_uri("/"),
        )
        body = {
            "invited": True,
            "email": invitation.email,
            "role": invitation.role,
            "team": invitation.team_id,
            "expires_at": invitation.expires_at,
        }
        return Response(MemberInvitedSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    def perform_create(self, serializer: MemberSerializer) -> None:
        if not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins can add members.")
        data = serializer.validated_data
        serializer.instance = services.member_add(
            org=self.org,
            actor=self.request.user,
            email=data["email"],
            role=data["role"],
            name=data.get("name", ""),
            password=data.get("password"),
            teams=data.get("teams", []),
        )

    def perform_update(self, serializer: MemberSerializer) -> None:
        membership: Membership = serializer.instance
        data = serializer.validated_data
        if "role" in data and data["role"] != membership.role:
            if not permissions.is_admin(self.membership):
                raise PermissionDenied("Only admins can change roles.")
            services.member_set_role(membership=membership, actor=self.request.user, role=data["role"])
        if "name" in data and not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins change a member's name; people change their own in their profile.")
        if "teams" in data or "name" in data:
            if not permissions.can_manage_person(self.membership, membership.user_id):
                raise PermissionDenied("You can only change people in teams you manage.")
            if "teams" in data and not permissions.is_admin(self.membership):
                current = set(
                    scoped(TeamMember, self.org).filter(user_id=membership.user_id).values_list("team_id", flat=True)
                )
                wanted = {team.pk for team in data["teams"]}
                # Both ends of the change must be in the manager's teams: adding to one, or leaving one.
                for team_id in wanted ^ current:
                    if not permissions.can_manage_team(self.membership, team_id):
                        raise PermissionDenied("You can only move people into or out of teams you manage.")
            services.member_update(
                membership=membership, actor=self.request.user, name=data.get("name"), teams=data.get("teams")
            )
        serializer.instance = self.get_queryset().get(pk=membership.pk)

    def perform_destroy(self, instance: Membership) -> None:
        if not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins can remove members.")
        services.member_remove(membership=instance, actor=self.request.user)
