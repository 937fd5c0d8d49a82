"""The floors' upward hooks: a lower app causes work above it only through a
signal the upper app connects in AppConfig.ready()."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from activity.models import ActivityEntry
from cycles.signals import cycle_closing
from kpis.signals import measurements_changed
from orgs import services as org_services
from orgs.audit import audit, audited


def test_objectives_follow_kpi_measurements_through_the_signal():
    keys = [entry[0][0] for entry in measurements_changed.receivers]
    assert "objectives.follow_kpi_measurements" in keys


def test_the_rituals_freeze_a_closing_cycle_through_the_signal():
    """Objectives never import the rituals above them: the close reaches the grades through
    ``cycles.signals.cycle_closing``, which ``rituals`` connects."""
    keys = [entry[0][0] for entry in cycle_closing.receivers]
    assert "rituals.freeze_cycle" in keys


@pytest.mark.django_db
def test_an_orgs_change_is_logged_in_the_activity_log(world_a):
    org_services.organization_update(org=world_a.org, actor=world_a.admin, name="Alpha Renamed")
    entry = ActivityEntry.objects.filter(organization=world_a.org, verb="organization.updated").latest("id")
    assert entry.actor == world_a.admin


@pytest.mark.django_db
def test_audit_fails_closed_when_nothing_listens(world_a, monkeypatch):
    monkeypatch.setattr(audited, "receivers", [])
    monkeypatch.setattr(audited, "sender_receivers_cache", {})
    with pytest.raises(ImproperlyConfigured):
        audit(org=world_a.org, actor=world_a.admin, verb="organization.updated")
