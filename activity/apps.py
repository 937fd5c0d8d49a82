from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivityConfig(AppConfig):
    name = "activity"
    verbose_name = _("Activity log")

    def ready(self) -> None:
        from activity.receivers import record_orgs_change
        from orgs.audit import audited

        audited.connect(record_orgs_change, dispatch_uid="activity.record_orgs_change")
