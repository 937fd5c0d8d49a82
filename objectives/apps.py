from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObjectivesConfig(AppConfig):
    name = "objectives"
    verbose_name = _("Objectives and key results")

    def ready(self) -> None:
        from kpis.signals import measurements_changed
        from objectives.receivers import follow_kpi_measurements

        measurements_changed.connect(follow_kpi_measurements, dispatch_uid="objectives.follow_kpi_measurements")

        from activity.selectors import register_hidden_entries
        from objectives.restricted import hidden_activity

        register_hidden_entries(hidden_activity)

        from notifications.subjects import register_subject
        from objectives.models import KeyResult, Objective

        # Notifications about an objective or key result show only while it may be seen.
        register_subject("objective", Objective)
        register_subject("kr", KeyResult)
