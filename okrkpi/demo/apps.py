from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data composition (``seed_demo``): it sits outside the floors, so it may
    call every app's own demo module."""

    name = "okrkpi.demo"
    label = "demo"
