from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from orgs.receivers import remember_only_organisation

        user_logged_in.connect(remember_only_organisation, dispatch_uid="orgs.remember_only_organisation")
