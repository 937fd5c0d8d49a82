"""The Celery application. Configuration lives in Django settings
(``CELERY_*``); periodic schedules are declared in ``okrkpi/schedules.py``."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrkpi.settings.dev")

app = Celery("okrkpi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _setup(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    from okrkpi.schedules import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE
    # The embedded filesystem broker needs its folders before the first publish.
    if getattr(settings, "BROKER_IS_EMBEDDED", False):
        for key in ("data_folder_in", "processed_folder", "control_folder"):
            Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]).mkdir(parents=True, exist_ok=True)
