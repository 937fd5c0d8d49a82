from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("Identity")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from identity import receivers

        user_logged_in.connect(receivers.session_opened, dispatch_uid="identity.session_opened")
        user_logged_out.connect(receivers.session_closed, dispatch_uid="identity.session_closed")
        user_login_failed.connect(receivers.login_failed, dispatch_uid="identity.login_failed")
