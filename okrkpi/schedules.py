"""Every periodic job, in one place. Exactly one beat scheduler runs
(see README "Deploy"); each entry says when it runs and why."""

from __future__ import annotations

BEAT_SCHEDULE: dict[str, dict] = {
    # Every minute: proves the worker and beat are alive (health page shows
    # the last heartbeat), and is cheap.
    "heartbeat": {"task": "okrkpi.core.tasks.heartbeat", "schedule": 60.0},
}
