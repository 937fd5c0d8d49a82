"""What a notification is about, and whether its recipient may still see it (DESIGN §3).

A notification about an objective, key result or KPI carries its subject ("objective:12",
"kr:5", "kpi:3", the same spelling as reminder claims). Objectives and KPIs live above this
floor, so they name their models here from ``AppConfig.ready()`` (``register_subject``);
every read of notifications for a person goes through ``seen_q``, which keeps a notification
only while its subject exists and the person may see it (``orgs.tenancy.visible``). It fails
closed: a subject of an unknown kind, or of a deleted object, hides the notification.
Notifications without a subject (older ones, paused channels) always show.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from orgs.models import Membership
from orgs.tenancy import visible
from orgs.visibility import Visibility

# subject kind ("objective", "kr", "kpi") → the model its id names
SUBJECTS: dict[str, type[models.Model]] = {}


def register_subject(kind: str, model: type[models.Model]) -> None:
    """Called from an upper app's ``AppConfig.ready()``: notifications about ``kind:<id>``
    follow the visibility of that ``model`` row (its own, or the objective or KPI it follows)."""
    SUBJECTS[kind] = model


def split_subject(subject: str) -> tuple[str, int | None]:
    """("kpi", 3) for "kpi:3"; ("", None) for anything that names no object ("check-ins", "")."""
    kind, _sep, pk = (subject or "").partition(":")
    if not kind or not pk.isdigit():
        return "", None
    return kind[:16], int(pk)


def seen_q(m: Membership) -> Q:
    """The condition a notification of ``m``'s meets while ``m`` may see what it is about."""
    condition = Q(subject_type="")
    for kind, model in SUBJECTS.items():
        shown = visible(model, m).filter(pk=OuterRef("subject_id"))
        condition |= Q(subject_type=kind) & Q(Exists(shown))
    return condition


def may_see(m: Membership, subject_type: str, subject_id: int | None) -> bool:
    """Whether ``m`` may see what a notification about ``subject_type:subject_id`` would be
    about, by the rule of ``seen_q`` (one query): ``notification_send`` asks it before it
    writes anything, so a hidden subject never reaches the list nor the outbox."""
    model = SUBJECTS.get(subject_type)
    if model is None or subject_id is None:
        return False
    return visible(model, m).filter(pk=subject_id).exists()


def open_q() -> Q:
    """The condition a notification meets when it is about nothing, or about an object every
    member may see: the unread count of the bell can be read for every membership at once for
    those; only people with unread notifications about restricted objects need ``seen_q``."""
    condition = Q(subject_type="")
    for kind, model in SUBJECTS.items():
        paths: tuple[str, ...] = getattr(model, "visibility_paths", ("",))
        shown = model._default_manager.filter(  # of the notification's organisation only
            pk=OuterRef("subject_id"),
            organization=OuterRef("organization"),
            **{f"{p}visibility": Visibility.ORGANIZATION for p in paths},
        )
        condition |= Q(subject_type=kind) & Q(Exists(shown))
    return condition
