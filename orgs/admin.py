from typing import Any

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin
from orgs import services
from orgs.models import Invitation, Membership, Organization, Team, TeamMember, User


class AdminPasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    """An operator setting a password also revokes the user's API tokens."""

    def save(self, commit: bool = True):  # type: ignore[no-untyped-def]
        user = super().save(commit=commit)
        if commit:
            services.api_tokens_revoke(user=user)
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    change_password_form = AdminPasswordChangeForm
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "language")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:  # the profile through its service: a new name shows in every organisation's documents
            services.user_update(
                user=obj, **{f: form.cleaned_data[f] for f in ("name", "language") if f in form.changed_data}
            )
        super().save_model(request, obj, form, change)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """An operator may correct an organisation's settings, through ``organization_update`` (validated,
    logged, the data version bumped); organisations are created by sign-up and never deleted here."""

    list_display = ["name", "slug", "timezone", "language"]
    search_fields = ["name", "slug"]
    fields = ["name", "slug", *sorted(set(services.ORGANIZATION_SETTINGS) - {"name"})]
    readonly_fields = ["slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        services.organization_update(
            org=obj, actor=request.user, **{f: form.cleaned_data[f] for f in form.changed_data}
        )


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]
    search_fields = ["user__email", "organization__slug"]


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "parent"]
    list_filter = ["organization"]
    search_fields = ["name", "organization__slug"]


@admin.register(TeamMember)
class TeamMemberAdmin(ReadOnlyAdmin):
    list_display = ["user", "team", "is_manager", "organization"]
    list_filter = ["organization"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "organization", "role"]
    list_filter = ["organization"]
    search_fields = ["email"]
