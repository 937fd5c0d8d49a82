from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from orgs.models import User
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
