"""Hooks through which the floors above add to objectives' pages (they connect
in their ``AppConfig.ready()``; objectives never imports them)."""

from __future__ import annotations

import django.dispatch

# Sent while the objective page's context is built, with ``request``,
# ``objective`` and ``context`` (a dict receivers may add keys to).
objective_detail_context = django.dispatch.Signal()
