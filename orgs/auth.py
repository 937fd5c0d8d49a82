from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication as drf_authentication
from rest_framework import exceptions as drf_exceptions
from rest_framework.authtoken.models import Token

from core.rows import Columns
from orgs.models import Membership, Organization, User
from orgs.selectors import LOADED_MEMBERSHIPS, memberships_query


class EmailBackend(ModelBackend):
    """Log in with an e-mail address, case-insensitively."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        email: str | None = None,
        **kwargs: object,
    ) -> User | None:
        email = (email or username or "").strip().lower()
        if not email or password is None:
            return None
        try:
            user = User.objects.get(email__iexact=email)
        except User.DoesNotExist:
            User().set_password(password)  # same work either way: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        """The session's user and their memberships in one query (every page needs both: the
        language, the tenancy check, the organisation switcher, the bell); a user without
        any costs a second, plain read."""
        try:
            memberships = list(memberships_query().select_related("user").filter(user_id=user_id))
        except (ValueError, TypeError):
            return None
        if memberships:
            user = memberships[0].user
        else:
            user = User._default_manager.filter(pk=user_id).first()
            if user is None:
                return None
        for m in memberships:
            m.user = user
        # Handed over to the request by ``orgs.tenancy.request_memberships``, which takes
        # them off the user: they are never read twice, nor by another request.
        setattr(user, LOADED_MEMBERSHIPS, memberships)
        return user if self.user_can_authenticate(user) else None


_MEMBERSHIP = Columns(Membership, "m")
_ORG = Columns(Organization, "o")
_USER = Columns(User, "u")
_TOKEN = Columns(Token, "t")
# The order of ``orgs.selectors.memberships_query``: by organisation name.
_TOKEN_SQL = (
    f"SELECT {_MEMBERSHIP.sql}, {_ORG.sql}, {_USER.sql}, {_TOKEN.sql} "  # noqa: S608
    f"FROM {Membership._meta.db_table} m "
    f"JOIN {Organization._meta.db_table} o ON o.id = m.organization_id "
    f"JOIN {User._meta.db_table} u ON u.id = m.user_id "
    f"JOIN {Token._meta.db_table} t ON t.user_id = u.id "
    "WHERE t.key = %s ORDER BY o.name, m.id"
)


class TokenAuthentication(drf_authentication.TokenAuthentication):
    """DRF's API-token check, reading the token's user with their memberships in the same
    query (the tenancy check of every ``/api/v1/orgs/<slug>/`` request needs both), like
    the session's ``EmailBackend.get_user``, without the pages' figures. Written in SQL:
    building this four-table query cost the ORM more than running it (``core.rows``).
    A user without memberships costs DRF's plain read."""

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        with connection.cursor() as cursor:
            cursor.execute(_TOKEN_SQL, [key])
            rows = cursor.fetchall()
        if not rows:
            return super().authenticate_credentials(key)
        first = rows[0]
        at = _MEMBERSHIP.width + _ORG.width
        user = _USER.build(first, at)
        token = _TOKEN.build(first, at + _USER.width)
        token.user = user
        if not user.is_active:
            raise drf_exceptions.AuthenticationFailed(_("User inactive or deleted."))
        memberships = []
        for row in rows:
            m = _MEMBERSHIP.build(row)
            m.organization = _ORG.build(row, _MEMBERSHIP.width)
            m.user = user
            memberships.append(m)
        # Handed over to the request by ``orgs.tenancy.request_memberships`` (not read twice).
        setattr(user, LOADED_MEMBERSHIPS, memberships)
        return user, token
