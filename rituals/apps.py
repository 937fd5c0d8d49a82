from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RitualsConfig(AppConfig):
    name = "rituals"
    verbose_name = _("The quarter's rituals")

    def ready(self) -> None:
        from cycles.signals import cycle_closing
        from rituals.services.closing import freeze_cycle

        # A cycle that closes freezes its grades and final snapshot (objectives' rows, the
        # rituals' rule): connected here, so the floors below never import this one.
        cycle_closing.connect(freeze_cycle, dispatch_uid="rituals.freeze_cycle")

        from objectives.extensions import register_submission_snapshot
        from rituals.quality import submission_snapshot

        # A submission for review freezes the coach's score and findings (DESIGN §3).
        register_submission_snapshot(submission_snapshot)
