"""The ground floor's audit hook.

``orgs`` sits below ``activity`` and must not import it (CONTRIBUTING, "Floors"),
yet its changes (members, roles, teams, invitations, settings) belong in the
append-only activity log (DESIGN §3). So orgs' services call ``audit()``, which
sends ``audited``; ``activity`` connects the receiver that writes the entry in
``ActivityConfig.ready()``. The signal is synchronous: the entry is written in
the service's transaction and commits or rolls back with the change.

Fails closed: with nothing listening, ``audit()`` raises rather than let a
change go unlogged.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.dispatch import Signal

from orgs.models import Organization, User

# Keyword arguments: org, actor, verb, target, target_type, before, after, bump_version (see ``audit``).
audited = Signal()


def audit(
    *,
    org: Organization,
    actor: User | None,
    verb: str,
    target: models.Model | None = None,
    target_type: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    bump_version: bool = True,
) -> None:
    """Record a change in the activity log (through whoever listens to ``audited``).
    ``bump_version=False`` for an event that changes no document (a login)."""
    if not audited.has_listeners():
        raise ImproperlyConfigured("Nothing records the orgs audit signal: is the activity app installed?")
    audited.send(
        sender=None,
        org=org,
        actor=actor,
        verb=verb,
        target=target,
        target_type=target_type,
        before=before,
        after=after,
        bump_version=bump_version,
    )
