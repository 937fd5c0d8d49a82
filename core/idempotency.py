"""Safe retries of the API's creates: the ``Idempotency-Key`` header.

A client that sends a create with ``Idempotency-Key: <any text up to 255 characters>``
and gets no answer (a timeout, a 500 after the write, a dropped connection) sends it
again with the same key: if the first one was written, the retry gets the first answer
again (same id, same status, header ``Idempotent-Replayed: true``) and nothing new is
stored. The same key with another body is refused with a 422, so a client that reuses
keys by mistake hears of it instead of silently losing a write.

How it holds: the answer is stored (``IdempotencyKey``) in the same transaction as the
write it answers for, so one exists exactly when the other does. Two copies of a request
racing each other both write, and the second one's insert of the key meets the first's
unique row (on PostgreSQL it waits for the first to commit): its transaction, write
included, rolls back, and it answers with the first one's answer. Only successful
answers are kept: a refused request wrote nothing, and a retry is judged afresh.

Keys belong to the organisation and the person who sent them, and last ``TTL``; an
hourly prune deletes the expired ones.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypedDict, TypeVar, cast

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import IdempotencyKey

T = TypeVar("T")

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_LENGTH = 255

# The header in the schema of each idempotent create (the 422 is added by core.schema).
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any text up to 255 visible ASCII characters (a UUID, say), new for each create. Retrying "
    "with the same key returns the first answer (header Idempotent-Replayed: true) and stores nothing new; "
    "the same key with a different body is a 422. Keys are yours within the organisation and last 24 hours.",
)


def _error(code: int, message: str) -> Response:
    return Response({"message": message, "errors": {HEADER: [message]}}, status=code)


def _fingerprint(request: Request) -> str:
    """The method, path and body, whatever order the body's fields came in."""
    data = request.data
    if hasattr(data, "lists"):  # a form or multipart body (a QueryDict)
        data = dict(data.lists())
    body = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    text = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        return _error(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "This Idempotency-Key was already used for a different request (another body or address); "
            "nothing was written. Use a new key for a new request.",
        )
    response = Response(stored.response, status=stored.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def _user_id(request: HttpRequest | Request) -> int:
    # Only signed-in people reach these views (an anonymous caller has no pk, and no
    # organisation to be in), so the id is there.
    return cast(int, request.user.pk)


class _Once(TypedDict):
    org_id: int
    user_id: int
    scope: str
    token: str


def _stored(*, org_id: int, user_id: int, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(organization_id=org_id, user_id=user_id, key=key).first()


def idempotent_create(request: Request, *, org_id: int, create: Callable[[], Response]) -> Response:
    """Run ``create`` (a view's create, answering a ``Response``) at most once per
    ``Idempotency-Key``. Without the header it simply runs ``create``, adding nothing:
    the check-in's hot path stays as it is. With it, ``create`` runs in a transaction
    that also stores its answer (see the module's docstring)."""
    key = request.headers.get(HEADER)
    if key is None:
        return create()
    if not 0 < len(key) <= MAX_LENGTH or not all("!" <= ch <= "~" for ch in key):
        return _error(
            status.HTTP_400_BAD_REQUEST,
            "The Idempotency-Key header is 1 to 255 visible ASCII characters (a UUID, for example).",
        )
    user_id = _user_id(request)
    fingerprint = _fingerprint(request)
    stored = _stored(org_id=org_id, user_id=user_id, key=key)
    now = timezone.now()
    if stored is not None and stored.created_at >= now - TTL:
        return _replay(stored, fingerprint)
    try:
        with transaction.atomic():
            # Expired keys of this person go (the one being reused among them, so its new
            # answer can take its place): cheap on the unique index's prefix. Everyone
            # else's go with the hourly prune (``idempotency_keys_prune``).
            IdempotencyKey.objects.filter(organization_id=org_id, user_id=user_id, created_at__lt=now - TTL).delete()
            response = create()
            if status.is_success(response.status_code):
                IdempotencyKey.objects.create(
                    organization_id=org_id,
                    user_id=user_id,
                    key=key,
                    fingerprint=fingerprint,
                    status_code=response.status_code,
                    response=_as_json(response.data),
                    created_at=now,
                )
            return response
    except IntegrityError:
        # A twin of this request committed first: this one's write rolled back with it.
        stored = _stored(org_id=org_id, user_id=user_id, key=key)
        if stored is None:
            raise
        return _replay(stored, fingerprint)


PRUNE_BATCH = 5000


def idempotency_keys_prune(*, now: datetime | None = None) -> int:
    """Delete every key older than ``TTL`` (API keys and spent form tokens alike), in
    batches so no statement holds many rows' locks: otherwise a key lives until the same
    person sends another, and the table grows with every client that never comes back.
    Returns how many went. Run hourly by beat (``okrkpi/schedules.py``)."""
    cutoff = (now or timezone.now()) - TTL
    expired = IdempotencyKey.objects.filter(created_at__lt=cutoff).order_by("pk").values_list("pk", flat=True)
    deleted = 0
    while ids := list(expired[:PRUNE_BATCH]):
        deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]
    return deleted


def _as_json(data: Any) -> Any:
    """The answer as the client reads it (dates and decimals as the renderer writes them)."""
    return json.loads(JSONRenderer().render(data))


# --- forms: a one-time token ---------------------------------------------------------------

# The hidden field of a form that must save once, whatever the double-clicks.
FORM_TOKEN_FIELD = "once"  # noqa: S105 — the name of a hidden field, not a secret


def form_token_new() -> str:
    """A token for one rendering of a form; nothing is stored until it is used."""
    return secrets.token_urlsafe(18)


def _form_key(scope: str, token: str) -> str:
    return f"form:{scope}:{token}"[:MAX_LENGTH]


def form_token_used(*, org_id: int, user_id: int, scope: str, token: str) -> bool:
    """Whether a submission with ``token`` was already saved (within ``TTL``)."""
    stored = _stored(org_id=org_id, user_id=user_id, key=_form_key(scope, token))
    return stored is not None and stored.created_at >= timezone.now() - TTL


def form_token_spend(*, org_id: int, user_id: int, scope: str, token: str) -> None:
    """Record ``token`` as used, in the caller's transaction, beside what the submission
    saved: a twin submission that got there first makes this raise ``IntegrityError``
    (on PostgreSQL once the twin commits), and the caller's transaction — its saves
    included — rolls back."""
    now = timezone.now()
    IdempotencyKey.objects.filter(organization_id=org_id, user_id=user_id, created_at__lt=now - TTL).delete()
    IdempotencyKey.objects.create(
        organization_id=org_id,
        user_id=user_id,
        key=_form_key(scope, token),
        fingerprint="",
        status_code=status.HTTP_200_OK,
        response={},
        created_at=now,
    )


class FormAlreadySaved(Exception):  # noqa: N818 — an answer to give, not a fault
    """This submission's one-time token was already spent by an earlier one that saved:
    nothing was saved now. The view says so (the first answer was lost to a double-click)."""


def form_save_once(
    request: HttpRequest, *, org_id: int, scope: str, save: Callable[[], T], spent: Callable[[T], bool]
) -> T:
    """Run ``save`` (a form view's saving) at most once per rendering of the form, by the
    one-time token in its hidden ``FORM_TOKEN_FIELD``: a second submission with the same
    token (a double-click, a resent form) raises ``FormAlreadySaved`` and saves nothing.
    ``save`` runs in a transaction that also spends the token when ``spent(result)`` says
    something was saved (a form sent back with errors leaves it usable), so a twin that got
    there first rolls this one back whole. Without a token (an older page) ``save`` simply
    runs in that transaction. ``scope`` tells one form from another (include the object's
    id for a form per object)."""
    token = request.POST.get(FORM_TOKEN_FIELD, "")[:64]
    once = _Once(org_id=org_id, user_id=_user_id(request), scope=scope, token=token)
    if token and form_token_used(**once):
        raise FormAlreadySaved
    try:
        with transaction.atomic():
            result = save()
            if token and spent(result):
                form_token_spend(**once)
            return result
    except IntegrityError:
        if not (token and form_token_used(**once)):
            raise
        raise FormAlreadySaved from None
