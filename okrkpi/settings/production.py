"""Production: refuses to start without SECRET_KEY; HTTPS-only cookies, HSTS,
static files served compressed by WhiteNoise. Passes
`manage.py check --deploy --fail-level WARNING` with production-like variables."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import env_bool, env_int, env_str

SECRET_KEY = env_str("SECRET_KEY") or ""
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 50 characters in production "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )
DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The Django admin is off unless asked for (ADMIN_ENABLED=true): organisations are
# run from the app itself, and an unused login page is one less to guess at.
ADMIN_ENABLED = env_bool("ADMIN_ENABLED", False)

# The API schema and docs page ask for a login (API_DOCS_REQUIRE_LOGIN=false to publish them).
API_DOCS_REQUIRE_LOGIN = env_bool("API_DOCS_REQUIRE_LOGIN", True)

# The API answers JSON only: the browsable API's pages carry inline styles that the content
# security policy refuses (a broken page). People read /api/v1/docs/, served from local files.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405 (from .base)
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.FallBackToFirstRenderer",
}
