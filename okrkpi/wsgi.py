import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrkpi.settings.dev")
application = get_wsgi_application()


def _warm_up() -> None:
    """Import every view (the URLconf) and load the translation catalogues now, while
    the worker boots, instead of in the first requests it serves (over a second each
    on a busy 2-core machine). A worker only accepts connections once this is done."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 — the attribute's import is the point
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Objectives")


_warm_up()


def _freeze_what_lives_forever() -> None:
    """Everything loaded so far (settings, models, URLconf, catalogues: ~110,000 objects)
    lives as long as the worker. Out of the collector's sight, a full collection no longer
    walks it: measured 56 ms before, under a millisecond after — a pause that otherwise
    lands on one request in a few hundred, in the p99 of a busy worker."""
    import gc

    gc.collect()
    gc.freeze()


_freeze_what_lives_forever()
