"""The same check-in thread fixture as the notification tests (one definition)."""

from tests.notifications.conftest import Thread, thread  # noqa: F401 — fixtures for this folder
