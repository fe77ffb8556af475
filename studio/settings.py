"""Django settings for the Riffle studio, read from the environment.

Every value a deployment may change is an environment variable with a development
default; a malformed value stops start-up with ImproperlyConfigured naming the
variable, rather than surfacing later as a confusing runtime error.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1 or 0)")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def envjson_object(name: str, default: dict[str, Any]) -> dict[str, Any]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- core -----------------------------------------------------------------------------

# Debug is the default so that `make run` and the test suite work on a fresh clone;
# production (docker-compose.yml) sets DJANGO_DEBUG=0 together with a real secret key.
DEBUG = envbool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    # Only ever used with DEBUG on; it protects nothing worth protecting.
    SECRET_KEY = "riffle-development-only-not-a-secret"

# Fernet keys that encrypt the secrets stored in the database (connection passwords and
# client keys): comma-separated, the first encrypts, all decrypt, so a key is rotated by
# putting a new one first and running `manage.py rotate_secrets` (README.md).
RIFFLE_SECRETS_KEYS = envlist("RIFFLE_SECRETS_KEYS", [])
# Without keys, development derives one from SECRET_KEY; with DEBUG off the system check
# connections.E001 refuses to start. Decided here, from the environment: pytest-django
# turns DEBUG off for the tests after the settings load.
RIFFLE_SECRETS_DERIVED_KEY = DEBUG and not RIFFLE_SECRETS_KEYS

ALLOWED_HOSTS = envlist(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not ALLOWED_HOSTS and not DEBUG:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the served host names")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Set DJANGO_HTTPS=1 behind a TLS-terminating proxy (which must set X-Forwarded-Proto);
# off by default because the compose stack serves plain HTTP on localhost.
HTTPS = envbool("DJANGO_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 0, minimum=0) if HTTPS else 0
# What `manage.py check --deploy` asks of HSTS; turn them off only for a domain whose
# subdomains are not all served over HTTPS.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True) and SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD", True) and SECURE_HSTS_SECONDS > 0

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "channels",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "studio.ops",
    "studio.accounts",
    "studio.workspaces",
    "studio.topologies",
    "studio.deployments",
    "studio.monitoring",
    "studio.connections",
]

# knox's own AuthToken is swapped for accounts.ApiToken (KNOX_TOKEN_MODEL), but knox's
# migrations create its table regardless: an unused knox_authtoken whose foreign key to
# auth_user makes PostgreSQL refuse to TRUNCATE auth_user (the flush after every
# transactional test). The app needs no table of its own, so it gets no migrations.
MIGRATION_MODULES = {"knox": None}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # last, as django-axes requires: it answers a locked-out sign-in
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"
ASGI_APPLICATION = "studio.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "studio" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------

_DEFAULT_SQLITE = VAR_DIR / "riffle.sqlite3"
try:
    DATABASES = {
        "default": dj_database_url.config(
            env="DATABASE_URL",
            default=f"sqlite:///{_DEFAULT_SQLITE}",
            conn_max_age=0,  # ASGI: a persistent connection per request thread leaks
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if str(DATABASES["default"]["NAME"]) == str(_DEFAULT_SQLITE):
        VAR_DIR.mkdir(exist_ok=True)
    # Web, worker and beat share the file: WAL lets readers run beside the writer, the
    # timeout waits for the lock instead of failing, and IMMEDIATE takes the write lock
    # up front so that two writers never deadlock upgrading their read locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    })

elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # libpq waits forever for a server behind a dropped route; a request, and a
    # replica's poll of its desired state, give up after this instead (a URL's own
    # ?connect_timeout= wins). An outage then answers 503 instead of hanging.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    # A connection pool of at most this many connections per process (0 = none: a new
    # connection per request). Under ASGI each request runs in a thread of its own, so
    # persistent connections (CONN_MAX_AGE) would leak one per thread; a pool lends one
    # for the request instead. runstack and docker-compose.yml set it for the web
    # processes only: Celery's prefork workers keep it off, as a pool's threads do not
    # survive a fork.
    RIFFLE_DATABASE_POOL_MAX = envint("RIFFLE_DATABASE_POOL_MAX", 0, minimum=0)
    # With conn_health_checks (above), Django has the pool check a connection before
    # lending it: one the server dropped while it sat there (a restart, an outage) is
    # replaced, not found broken by a request.
    if RIFFLE_DATABASE_POOL_MAX:
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": RIFFLE_DATABASE_POOL_MAX,
            # as connect_timeout: an outage answers 503 after this, not after 30 s
            "timeout": 5,
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- services -------------------------------------------------------------------------

REDIS_URL = envstr("REDIS_URL", "redis://127.0.0.1:6379/0")
# First part of the studio's own Redis keys (docs/internals.md, "Redis keys"); tests
# give each session its own so that runs sharing a Redis never see each other's keys.
RIFFLE_KEY_PREFIX = envstr("RIFFLE_KEY_PREFIX", "riffle")
KAFKA_BOOTSTRAP_SERVERS = envstr("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
# Extra StreamsApp config for every deployment, e.g. {"security.protocol": "SASL_SSL",
# "consumer.max.poll.interval.ms": 600000}; Kafka Streams' keys.
RIFFLE_STREAMS_CONFIG = envjson_object("RIFFLE_STREAMS_CONFIG", {})
# Process limits of a replica (runtime.exec.limits), so that a runaway user function
# cannot take a worker machine down. Both apply only where a replica has a process of
# its own (a prefork pool child, the default): a shared process (-P threads / solo)
# runs replicas that one limit or one exit would take down together.
# Address space in MiB (0 = none): an idle replica reserves about 1 GiB of it (thread
# stacks, malloc arenas), so keep well above that.
RIFFLE_REPLICA_MEMORY_LIMIT_MB = envint("RIFFLE_REPLICA_MEMORY_LIMIT_MB", 4096, minimum=0)
# CPU time one stream thread may spend on one batch (0 = no watchdog); past it the
# replica reports the record and its process exits, for the reconciler to replace it.
RIFFLE_BATCH_CPU_LIMIT_MS = envint("RIFFLE_BATCH_CPU_LIMIT_MS", 60_000, minimum=0)
# Record samples per second per node that replicas relay to the dashboard (0 = none;
# runtime key riffle.sample.records.per.second, studio.monitoring.samples).
RIFFLE_SAMPLES_PER_SECOND = envint("RIFFLE_SAMPLES_PER_SECOND", 2, minimum=0)

# Metrics history (studio.monitoring.history): each replica writes one point per step,
# kept for the retention, at most MAX_POINTS points per deployment (all replicas).
RIFFLE_METRICS_HISTORY_STEP_S = envint("RIFFLE_METRICS_HISTORY_STEP_S", 10, minimum=1)
RIFFLE_METRICS_HISTORY_RETENTION_S = envint("RIFFLE_METRICS_HISTORY_RETENTION_S", 24 * 3600, minimum=60)
RIFFLE_METRICS_HISTORY_MAX_POINTS = envint("RIFFLE_METRICS_HISTORY_MAX_POINTS", 100_000, minimum=100)

# Topic tail websocket: records sent per second and socket at most; the rest (beyond a
# queue of two seconds' worth) is dropped and reported as "skipped".
RIFFLE_TAIL_MAX_RECORDS_PER_S = envint("RIFFLE_TAIL_MAX_RECORDS_PER_S", 50, minimum=1)

# The deployments feed (/ws/deployments/) sends every deployment's summary this often.
RIFFLE_FEED_SUMMARY_INTERVAL_S = envint("RIFFLE_FEED_SUMMARY_INTERVAL_S", 5, minimum=1)

# How long a reset or discard waits for the deployment's replicas to stop and its
# consumer group to empty before it gives up (the operation fails, nothing changed).
RIFFLE_REPROCESS_STOP_TIMEOUT_S = envint("RIFFLE_REPROCESS_STOP_TIMEOUT_S", 120, minimum=1)

_REDIS_DB = urlsplit(REDIS_URL).path.strip("/") or "0"
CHANNEL_LAYERS = {
    "default": {
        # Redis pub/sub: a group_send is one PUBLISH, and each web process receives it
        # once and hands it to its own sockets of the group. The list-based layer
        # (channels_redis.core) stores and pops one copy per socket instead; the load suite
        # measured 200 dashboards of one deployment at a fan-out p50 of 445 ms with it and
        # 45 ms with this one. What pub/sub gives up is delivery to a web process cut off
        # from Redis at that moment: metrics resume by themselves, a state change
        # published meanwhile shows at the row's next change or a reload
        # (docs/internals.md, "Back-pressure").
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        # Pub/sub channels, unlike keys, are shared by every database of a Redis server:
        # the database is in the prefix, so that studios sharing a server in different
        # databases never get each other's frames.
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{RIFFLE_KEY_PREFIX}:asgi:db{_REDIS_DB}"},
    }
}

# --- Celery (namespace CELERY_) -------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("replicas"))
CELERY_TASK_ROUTES = {"studio.deployments.tasks.run_replica": {"queue": "replicas"}}
# A replica task runs for as long as its deployment does; a worker must not reserve
# replicas it has no free slot for.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "reconcile": {
        "task": "studio.deployments.tasks.reconcile",
        "schedule": 5.0,
        # With no worker up, stale reconcile runs are useless; do not let them pile up.
        "options": {"expires": 10},
    },
}

# --- REST API -------------------------------------------------------------------------

_RENDERERS = ["rest_framework.renderers.JSONRenderer"]
if DEBUG:
    _RENDERERS.append("rest_framework.renderers.BrowsableAPIRenderer")

# The largest request body the API reads (bytes): topology documents may be large, so
# more than Django's 2.5 MB default. Larger bodies answer 413 (studio.parsers.JSONParser).
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("RIFFLE_MAX_REQUEST_BYTES", 5 * 1024 * 1024, minimum=1024)

REST_FRAMEWORK = {
    # Tokens first: an anonymous request is then answered 401 with
    # "WWW-Authenticate: Token", which tells a script what to send.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": _RENDERERS,
    # DRF's JSON parser, refusing bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with a 413.
    "DEFAULT_PARSER_CLASSES": ["studio.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "studio.api.exception_handler",
}

# API tokens (studio.accounts): hashed at rest; each token carries its own expiry.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
REST_KNOX = {"TOKEN_TTL": timedelta(days=90), "AUTO_REFRESH": False}

# Whether any signed-in user may create a workspace (and become its admin); when off,
# only superusers may.
RIFFLE_ANYONE_CAN_CREATE_WORKSPACES = envbool("RIFFLE_ANYONE_CAN_CREATE_WORKSPACES", True)

SPECTACULAR_SETTINGS = {
    "TITLE": "Riffle studio API",
    "DESCRIPTION": "Topologies, versions and deployments of the Riffle stream studio.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # key_serde and value_serde share one choice set: name it once.
    "ENUM_NAME_OVERRIDES": {"SerdeEnum": "studio.connections.records.SERDES"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # 401/403/400/413/415, which every operation may answer, documented once.
        "studio.api.document_common_errors",
    ],
}

# --- auth, pages, static --------------------------------------------------------------

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Repeated failed sign-ins lock that username out from that address (django-axes), so
# that guessing a password takes RIFFLE_LOGIN_FAILURE_LIMIT tries per lockout period
# while the user can still sign in from elsewhere. The address is REMOTE_ADDR: behind a
# proxy every client shares the proxy's, and the lock is then per username.
# `manage.py axes_reset_username <name>` lifts a lock early.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("RIFFLE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("RIFFLE_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Vite builds the SPA into frontend/dist with base "/static/".
STATICFILES_DIRS = [FRONTEND_DIST]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Vite already fingerprints asset names, so no manifest storage is needed.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from frontend/dist while developing, so a rebuild needs no
# collectstatic; production images run collectstatic into STATIC_ROOT.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# frontend/dist is missing until the first `make build`; the SPA view explains that.
SILENCED_SYSTEM_CHECKS = ["staticfiles.W004"]

# --- logging --------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {"once_a_minute": {"()": "studio.lib.log_throttle.RepeatThrottle", "interval_s": 60.0}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # Its receive loop logs a traceback each second while Redis is unreachable.
        "channels_redis.pubsub": {"filters": ["once_a_minute"]},
    },
    "root": {"handlers": ["console"], "level": envstr("DJANGO_LOG_LEVEL", "INFO")},
}
