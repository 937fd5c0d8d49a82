"""Settings shared by every mode. Everything deployment-specific comes from
the environment (see README "Configuration"); with no variables set the app
runs embedded: SQLite, console e-mail and a filesystem Celery broker."""

from __future__ import annotations

import zoneinfo
from pathlib import Path

from celery.schedules import crontab  # noqa: F401  (used by later schedules)
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from core.secrets import derived_key
from okrkpi.env import (
    broker_url,
    cache_config,
    database_config,
    env_bool,
    env_int,
    env_list,
    env_str,
    trusted_proxies,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("OKRKPI_VAR_DIR") or BASE_DIR / "var")

SECRET_KEY = env_str("SECRET_KEY") or "dev-insecure-key-only-for-the-embedded-mode-change-me"
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "core",
    "orgs",
    "identity",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "activity",
    "cycles",
    "objectives",
    "rituals",
    "conversations",
    "integrations",
    "kpis",
    "scorecards",
    "notifications",
    "reminders",
    "datasources",
    "transfer",
    "okrkpi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "identity.middleware.SessionActivityMiddleware",
    "orgs.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "okrkpi.urls"
WSGI_APPLICATION = "okrkpi.wsgi.application"
ASGI_APPLICATION = "okrkpi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "orgs.context_processors.tenancy",
                "notifications.context_processors.bell",
                "core.context_processors.numbers",
                "integrations.context_processors.push",
            ],
        },
    },
]

DATABASES = {
    "default": database_config(
        env_str("DATABASE_URL"),
        sqlite_path=VAR_DIR / "okrkpi.sqlite3",
        prepared_statements=env_bool("DATABASE_PREPARED_STATEMENTS", True),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.User"
AUTHENTICATION_BACKENDS = ["orgs.auth.EmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day

# Internationalisation: English and Vietnamese; a user's own choice wins,
# then their organisation's language, then the browser's.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("vi", _("Vietnamese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE") or "UTC"
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known IANA time zone.") from None
USE_I18N = True
# Our own date and number conventions per language (okrkpi/formats/<lang>/formats.py);
# core.numbers parses with the same separators.
FORMAT_MODULE_PATH = ["okrkpi.formats"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# E-mail: console by default (embedded mode); SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST") or ""
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "okrkpi <noreply@localhost>"
# The public address of the site, for links in e-mails sent by background jobs.
SITE_URL = env_str("SITE_URL") or "http://127.0.0.1:8000"
# Chat and webhook channels may only call public https addresses; self-hosters
# whose relay lives inside their network turn this on (plain http is then
# allowed to private addresses too).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)

# Check-ins from chat and e-mail (integrations/, README "Check in from chat and e-mail").
# Reminder e-mails carry a reply address checkin+<token>@INBOUND_EMAIL_DOMAIN (empty: no
# reply address); the inbound-mail webhook may require INBOUND_EMAIL_SECRET (?key= or the
# X-Okrkpi-Inbound-Key header). The IMAP poll runs when IMAP_HOST is set.
INBOUND_EMAIL_DOMAIN = env_str("INBOUND_EMAIL_DOMAIN") or ""
INBOUND_EMAIL_SECRET = env_str("INBOUND_EMAIL_SECRET") or ""
INBOUND_EMAIL_MAX_BYTES = env_int("INBOUND_EMAIL_MAX_BYTES", 1_000_000, minimum=10_000)
REPLY_ADDRESS_DAYS = env_int("REPLY_ADDRESS_DAYS", 14, minimum=1)
IMAP_HOST = env_str("IMAP_HOST") or ""
IMAP_PORT = env_int("IMAP_PORT", 993, minimum=1, maximum=65535)
IMAP_USER = env_str("IMAP_USER") or ""
IMAP_PASSWORD = env_str("IMAP_PASSWORD") or ""
IMAP_FOLDER = env_str("IMAP_FOLDER") or "INBOX"
# Slack and the Bot Framework are reached at these addresses (tests point them at local fakes).
SLACK_API_URL = env_str("SLACK_API_URL") or "https://slack.com/api/"
SLACK_SIGNATURE_WINDOW = 300  # seconds: an older request timestamp is refused as a replay
TEAMS_APP_ID = env_str("TEAMS_APP_ID") or ""  # the bot's Microsoft App ID: the tokens' audience
TEAMS_OPENID_URL = env_str("TEAMS_OPENID_URL") or "https://login.botframework.com/v1/.well-known/openidconfiguration"
TEAMS_ISSUER = env_str("TEAMS_ISSUER") or "https://api.botframework.com"
# The bot's own credentials, to post the reminder card (client credentials at TEAMS_TOKEN_URL).
TEAMS_APP_PASSWORD = env_str("TEAMS_APP_PASSWORD") or ""
TEAMS_TOKEN_URL = env_str("TEAMS_TOKEN_URL") or "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
TEAMS_JWKS = env_str("TEAMS_JWKS") or ""  # a JSON key set given here instead of fetched (tests)
TEAMS_KEYS_CACHE_SECONDS = env_int("TEAMS_KEYS_CACHE_SECONDS", 24 * 3600, minimum=60)
# Web push (the installed app's reminders): VAPID keys, base64url, from `make vapid-keys`.
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY") or ""
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY") or ""
VAPID_SUBJECT = env_str("VAPID_SUBJECT") or "mailto:admin@localhost"

# Celery. REDIS_URL or CELERY_BROKER_URL selects Redis; with neither, kombu's
# filesystem transport runs a real worker and beat against a local folder.
# Publishing from the web gives up within about a second when Redis is down or
# hung (objectives/queue.py then marks the organisation for repair).
REDIS_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 1,
    "max_retries": 0,
    "visibility_timeout": 3600,
}
CELERY_BROKER_URL = broker_url(env_str("CELERY_BROKER_URL")) or broker_url(env_str("REDIS_URL"))
if CELERY_BROKER_URL is None:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # Poll the folder often and wake the worker's timer often, so that `make run`
        # stops within a few seconds of Ctrl-C (honcho kills what lingers after 5 s).
        "polling_interval": 0.2,
    }
    CELERY_WORKER_TIMER_PRECISION = 0.2
    BROKER_IS_EMBEDDED = True
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_TRANSPORT_OPTIONS
    BROKER_IS_EMBEDDED = False
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fixup closes the database connections around every task unless this is
# set; okrkpi/celery.py applies Django's CONN_MAX_AGE and health checks around tasks
# instead, and the fixup's own close comes only every thousand tasks.
CELERY_DB_REUSE_MAX = 1000
# Separate queues, so that a reminder or digest storm or a big export never delays the
# rollups people wait for. docker-compose.yml runs a worker per group (see README, "Scale").
# Every queue is declared: a worker started without --queues (`celery -A okrkpi worker`)
# consumes them all, and --queues picks some. Undeclared, a plain worker would take only
# the default queue and never run a rollup.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = (
    [
        ("*.export*", {"queue": "exports"}),
        ("objectives.*", {"queue": "rollups"}),
        ("reminders.*", {"queue": "reminders"}),
        ("notifications.*", {"queue": "reminders"}),
        ("datasources.*", {"queue": "pulls"}),
    ],
)
CELERY_QUEUE_NAMES = ("rollups", "reminders", "exports", "pulls", "celery")
# Named as Celery names the queues it creates for a route, so web and worker agree.
CELERY_TASK_QUEUES = tuple(Queue(name, Exchange(name), routing_key=name) for name in CELERY_QUEUE_NAMES)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_RETRY = True
# Only workers and beat read this (their consuming connections): they retry the broker
# forever, with kombu's backoff (2 s more per try, at most 30 s apart), so a Redis restart
# never leaves an organisation without workers. With 0 every worker exited for good when
# Redis restarted. Web-side publishing still gives up fast: the transport's own
# ``max_retries: 0`` and one-second timeouts above govern it (objectives/queue.py).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_POOL_LIMIT = 10

# Rollups normally run in the worker after commit; ROLLUP_INLINE=true computes
# them in the request instead (handy for scripts; the tests use it).
ROLLUP_INLINE = env_bool("ROLLUP_INLINE", False)
# How long a queued rollup batch waits for more of a burst's changes before it runs
# (objectives.tasks.rollup_pending_task), in milliseconds: progress shows this much later, and a Friday
# rush costs a few batches instead of one task per check-in.
ROLLUP_BATCH_WAIT_MS = env_int("ROLLUP_BATCH_WAIT_MS", 250, minimum=0, maximum=5000)
# After a publish fails, a web process leaves the broker alone this long (core.broker,
# one window per process for every publish: rollups, e-mails, channel posts): what it would
# have queued waits in its outbox (rollups with the organisation marked dirty) for the
# sweeps. A hung broker then costs one timed-out publish per process and window, not one
# per check-in. ROLLUP_PUBLISH_BACKOFF_SECONDS is the old name, still honoured.
BROKER_PUBLISH_BACKOFF_SECONDS = env_int(
    "BROKER_PUBLISH_BACKOFF_SECONDS",
    env_int("ROLLUP_PUBLISH_BACKOFF_SECONDS", 10, minimum=1, maximum=300),
    minimum=1,
    maximum=300,
)

# /healthz?strict=1 (for monitoring) answers 503 when the newest worker heartbeat (beat
# queues one per queue every minute) is older than this, or a queue's is, in seconds...
HEALTH_HEARTBEAT_MAX_AGE = env_int("HEALTH_HEARTBEAT_MAX_AGE", 180, minimum=60)
# ... or when a rollup has waited in the outbox, or an organisation has been marked dirty,
# longer than this: the batch and the repair sweep (every minute) would have taken it.
HEALTH_OUTBOX_MAX_AGE = env_int("HEALTH_OUTBOX_MAX_AGE", 300, minimum=60)

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "orgs.auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
    "DEFAULT_THROTTLE_RATES": {"login": env_str("LOGIN_THROTTLE_RATE") or "10/min"},
}
# The schema and the docs page need a login (on by default in production).
API_DOCS_REQUIRE_LOGIN = env_bool("API_DOCS_REQUIRE_LOGIN", False)
# The API's version, the schema's info.version: raised, with an entry in
# docs/api/CHANGELOG.md, by a change that breaks clients (see docs/api/README.md).
API_VERSION = "1.0.0"
SPECTACULAR_SETTINGS = {
    "TITLE": "okrkpi API",
    "DESCRIPTION": "OKRs and KPIs, cascading from the company to teams to people.",
    "VERSION": API_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    # The schema documents JSON bodies only (the API still reads forms and multipart,
    # as browsers and tests send them): one request media type per operation.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Every choice set's name, fixed: a name derived from a field or a component would
    # change when another field with the same choices is added.
    "ENUM_NAME_OVERRIDES": {
        "RagStatusEnum": ["green", "amber", "red"],
        "ImportKindEnum": "transfer.models.ImportKind",
        "ImportStatusEnum": "transfer.models.ImportStatus",
        "CoachObjectTypeEnum": "rituals.api.COACH_OBJECT_TYPES",
        "CycleKindEnum": "cycles.models.CycleKind",
        "CycleStatusEnum": "cycles.models.CycleStatus",
        "ObjectiveStatusEnum": "objectives.models.ObjectiveStatus",
        "CommitmentEnum": "objectives.models.Commitment",
        "KeyResultKindEnum": "objectives.models.KeyResultKind",
        "InitiativeStatusEnum": "objectives.models.InitiativeStatus",
        "ObjectiveHealthEnum": ["on_track", "at_risk", "off_track"],
        "AttentionHealthEnum": ["at_risk", "off_track"],
        "MoverTypeEnum": ["objective", "key_result"],
        "OwnerTypeEnum": "orgs.ownership.OwnerType",
        "RoleEnum": "orgs.models.Role",
        "ReactionKindEnum": "conversations.models.ReactionKind",
        "DirectionEnum": "kpis.models.Direction",
        "FrequencyEnum": "kpis.models.Frequency",
        "PerspectiveEnum": "kpis.models.Perspective",
        "NotificationKindEnum": "notifications.models.NotificationKind",
        "ChannelKindEnum": "notifications.models.ChannelKind",
        "ChannelEventEnum": "notifications.models.ChannelEvent",
        "OriginEnum": "core.provenance.Origin",
        "SourceKindEnum": "datasources.models.SourceKind",
        "PullStatusEnum": "datasources.models.PullStatus",
        "SourceLanguageEnum": ["en", "vi"],  # how a data source writes its numbers
        "GradeGroupTypeEnum": ["committed", "aspirational"],  # the retrospective statistics' groups
        "ForecastMethodEnum": "objectives.forecast.METHODS",
        "ForecastCheckpointEnum": ["mid", "two_thirds"],
        "DeliveryKindEnum": ["email", "channel"],
        "DeliveryStatusEnum": ["pending", "sent", "failed"],
        "InboxItemKindEnum": [
            "check_in",
            "kpi",
            "acknowledge",
            "mention",
            "retrospective",
            "retrospective_review",
            "data_source",
        ],
        "FindingSeverityEnum": ["error", "warning", "info"],
        "FindingCodeEnum": [
            "cycle_key_results_concentrated",
            "key_result_is_activity",
            "key_result_no_baseline",
            "key_result_no_owner",
            "key_result_no_target",
            "key_result_no_unit",
            "key_result_target_equals_start",
            "kpi_not_achievable",
            "kpi_not_measurable",
            "kpi_not_measured",
            "kpi_not_relevant",
            "kpi_not_specific",
            "kpi_not_time_bound",
            "kpi_owner_too_many",
            "objective_not_aligned",
            "objective_title_has_numbers",
            "objective_title_too_long",
            "objective_too_few_key_results",
            "objective_too_many_key_results",
            "owner_too_many_objectives",
        ],
    },
}

# One cache every web process shares (login throttling counts failures in it):
# Redis when REDIS_URL is set, else a database table that `migrate` creates.
CACHES = {
    "default": cache_config(env_str("REDIS_URL")),
    # The executive documents (scorecards/documents.py), keyed by the organisation's data
    # version: never stale, so a per-process cache is safe; a few big entries at most.
    "documents": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "okrkpi-documents",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 64},
    },
}

# Reverse proxies whose X-Forwarded-For is believed for the client's address
# (login throttling); comma-separated addresses or networks. Default: none.
TRUSTED_PROXIES = trusted_proxies("TRUSTED_PROXIES")

# The Django admin (/admin/), for operators. Production can switch it off.
ADMIN_ENABLED = env_bool("ADMIN_ENABLED", True)

# Content security policy: everything is served from this origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],  # no inline styles: classes in static/css
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Under /api/ a refused CSRF token is answered in JSON (core.errors), elsewhere by Django.
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"

# Identity (identity/, SECURITY.md). Stored secrets (an identity provider's client secret) are
# encrypted with SECRETS_KEYS (Fernet keys, comma-separated; the first encrypts, all decrypt);
# without it, a key derived from SECRET_KEY.
SECRETS_KEYS = env_list("SECRETS_KEYS", []) or [derived_key(SECRET_KEY)]
# OpenID Connect issuers must be https; true allows http on loopback addresses (development, tests).
OIDC_ALLOW_HTTP_LOOPBACK = env_bool("OIDC_ALLOW_HTTP_LOOPBACK", False)
OIDC_HTTP_TIMEOUT = env_int("OIDC_HTTP_TIMEOUT", 10, minimum=1, maximum=60)
OIDC_CACHE_SECONDS = env_int("OIDC_CACHE_SECONDS", 3600, minimum=60)  # discovery documents and key sets
OIDC_NONCE_SECONDS = 24 * 3600
OTP_TOTP_ISSUER = "okrkpi"  # the name authenticator apps show beside the code
# Wrong codes are counted by the login throttle (orgs.throttle), like wrong passwords, per account
# and per client; django-otp's own per-device waits would count them a second way.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7, minimum=1, maximum=90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
