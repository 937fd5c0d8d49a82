from django.apps import AppConfig


class RemindersConfig(AppConfig):
    """The reminder sweeps (DESIGN §5). They read OKRs and KPIs, so they sit on a high
    floor; the notifications they create belong to ``notifications``, on the ground floor
    beside ``activity``, which any app may use."""

    name = "reminders"
