"""The Celery application. Configuration lives in Django settings
(``CELERY_*``); periodic schedules are declared in ``okrkpi/schedules.py``."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, task_prerun
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrkpi.settings.dev")
# The embedded broker's URL, filesystem://, names kombu's filesystem transport with waits
# short enough for Ctrl-C (core/embedded_broker.py). Set by the URL's scheme, not by
# broker_transport, so a Redis URL set anywhere still gets Redis.
TRANSPORT_ALIASES["filesystem"] = "core.embedded_broker:Transport"

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


@task_prerun.connect
@task_postrun.connect
def _recycle_connections(task: object = None, **kwargs: object) -> None:
    """Around each task, the rules Django applies around each request: a connection older
    than ``CONN_MAX_AGE`` or left unusable by an error is closed, a sound one is kept.
    Celery's own Django fixup would close every connection around every task (unless
    ``CELERY_DB_REUSE_MAX``, set in the settings for this): a rollup batch every quarter
    of a second would then start a PostgreSQL backend each time and lose its prepared
    statements. Eager tasks (tests, inline runs) belong to their caller's connection."""
    if getattr(getattr(task, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
