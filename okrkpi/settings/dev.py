"""Embedded / development mode: `make run`. Debug on, local hosts only."""

from .base import *  # noqa: F401,F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
# `make run` pulls the demo data source from the app itself (127.0.0.1), which the outgoing
# address guard refuses elsewhere; production keeps the default (off).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", True)

# Serve static files straight from the source folders: no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
