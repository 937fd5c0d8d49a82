"""How the activity log listens to the floor below it (connected in ``ActivityConfig.ready()``)."""

from __future__ import annotations

from typing import Any

from activity.services import activity_record


def record_orgs_change(**kwargs: Any) -> None:
    """``orgs.audit.audited``: append the entry, in the sender's transaction."""
    kwargs.pop("signal", None)
    kwargs.pop("sender", None)
    activity_record(**kwargs)
