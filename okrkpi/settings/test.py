"""Test settings: the same database selection as production (DATABASE_URL
for PostgreSQL, SQLite otherwise), fast hashing, e-mail kept in memory."""

from .base import *  # noqa: F401,F403
from .base import REST_FRAMEWORK, cache_config

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "1000/min"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Unit tests compute rollups in the request; tests of the Celery path turn this off.
ROLLUP_INLINE = True
ROLLUP_BATCH_WAIT_MS = 0  # eager tasks run in the test's thread: no burst to wait for
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# Cached documents are keyed by the data version that commits bump; most tests never
# commit, so they build documents afresh. tests/scorecards/test_documents.py turns the
# cache on and commits.
# Whatever REDIS_URL says, the default cache lives in the test database: each test's
# rollback then clears the login throttle's counts (tests of Redis build their own client).
CACHES = {
    "default": cache_config(None),
    "documents": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
OIDC_ALLOW_HTTP_LOOPBACK = True  # the tests run their own provider on 127.0.0.1
OIDC_LOOPBACK_ONLY = True  # and no test reaches another address (an issuer fuzzed by the API tests)
