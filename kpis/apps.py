from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"

    def ready(self) -> None:
        from kpis.models import Kpi
        from notifications.subjects import register_subject

        # Notifications about a KPI show only while it may be seen.
        register_subject("kpi", Kpi)
