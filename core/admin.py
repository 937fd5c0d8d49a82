"""The admin site shows tenant data; it does not write it.

Every write to an organisation's rows goes through a service, which validates, logs the
activity and bumps the data version the cached documents hang on. The admin's generic
``save()`` and ``delete()`` do none of that, so a tenant model the admin registers is
read-only there (its lists, filters and search stay) unless its admin routes the edit
through a service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]  # generic in the stubs only
else:
    _ModelAdmin = admin.ModelAdmin


class ReadOnlyAdmin(_ModelAdmin):
    """Lists, filters, search and the detail page; no add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
