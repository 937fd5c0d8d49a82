"""Signals objectives sends for the floors above (they connect in their ``AppConfig.ready()``)."""

from __future__ import annotations

import django.dispatch

# Sent after a check-in whose note mentions members (``@[id]``, ``orgs.mentions``), with
# ``check_in``, ``key_result``, ``objective`` and ``actor``: conversations tells them.
check_in_mentions = django.dispatch.Signal()
