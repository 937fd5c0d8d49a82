"""The sessions a person can see and end (DESIGN §3, Identity).

Every logged-in browser has a ``UserSession`` row beside Django's session: made at login
(``identity.receivers``), its address and time refreshed at most every few minutes by
``identity.middleware``, and deleted with the session when it ends. Ending a session deletes
Django's session itself, so the browser is logged out on its very next request."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from identity.models import UserSession
from orgs.models import User


def _store_delete(session_key: str) -> None:
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore(session_key=session_key).delete()


def session_track(
    *, user: User, session_key: str, user_agent: str, address: str | None, method: str, row_id: int | None = None
) -> UserSession:
    """The row of a session that just logged in, or adopted (one that predates the rows).
    ``row_id``: the session's row before its key changed (a login over a session of the same
    person, a password change: Django gives the session a new key), moved to the new key."""
    now = timezone.now()
    facts = {"user_agent": user_agent[:300], "address": address, "method": method, "last_seen_at": now}
    if row_id is not None and UserSession.objects.filter(pk=row_id, user=user).update(session_key=session_key, **facts):
        return UserSession.objects.get(pk=row_id)
    row, _created = UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, **facts},
        create_defaults={"user": user, "created_at": now, **facts},
    )
    return row


def session_rekey(*, old_key: str | None, new_key: str | None) -> None:
    """The same browser's session under its new key (Django cycles it when the password changes)."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def session_seen(*, user: User, session_key: str, user_agent: str, address: str | None) -> None:
    """Refresh the session's last address and time; adopt it when it has no row yet."""
    updated = UserSession.objects.filter(session_key=session_key, user=user).update(
        last_seen_at=timezone.now(), address=address
    )
    if not updated:
        session_track(user=user, session_key=session_key, user_agent=user_agent, address=address, method="password")


def sessions_of(*, user: User) -> QuerySet[UserSession]:
    """The person's logged-in browsers, the most recently seen first."""
    return UserSession.objects.filter(user=user).order_by("-last_seen_at", "-id")


@transaction.atomic
def session_end(*, user: User, session_id: int) -> bool:
    """End one of the person's own sessions; False when it is not theirs (or already ended)."""
    row = UserSession.objects.select_for_update().filter(user=user, pk=session_id).first()
    if row is None:
        return False
    _store_delete(row.session_key)
    row.delete()
    return True


@transaction.atomic
def sessions_end_all(*, user: User, keep_session_key: str | None = None) -> int:
    """End every session of the person but ``keep_session_key`` (the browser asking, after
    a password change); returns how many ended."""
    rows = list(UserSession.objects.select_for_update().filter(user=user).exclude(session_key=keep_session_key or ""))
    for row in rows:
        _store_delete(row.session_key)
    UserSession.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)


def session_forget(*, session_key: str) -> None:
    """The row of a session that logged out by itself."""
    UserSession.objects.filter(session_key=session_key).delete()
