from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from orgs import services
from orgs.models import Invitation, Membership, Organization, Team, TeamMember, User
from orgs.versions import bump_data_version


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
    list_display = ["name", "slug", "timezone", "language"]
    search_fields = ["name", "slug"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        if change:  # its name, time zone or language show in its cached documents
            bump_data_version(obj.pk)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "parent"]
    list_filter = ["organization"]


admin.site.register(TeamMember)
admin.site.register(Invitation)
