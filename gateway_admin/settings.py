"""Settings for Vertex Gateway Admin.

Every value comes from the environment through django-environ; the defaults are the embedded
mode (SQLite under var/, Celery tasks in process, local cache, a generated credential key), so a
fresh checkout runs with no services. Production sets DATABASE_URL, CELERY_BROKER_URL, REDIS_URL,
CREDENTIAL_KEYS and SECRET_KEY. There is no code path that exists only in production.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
# Session keys, request bodies and secrets live here: owner only (an existing var/ is tightened too).
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
VAR_DIR.chmod(0o700)


def _local_secret(filename: str, make: Callable[[], str]) -> str:
    """Read (or create once, mode 0600) a secret file under var/ for the embedded mode."""
    path = VAR_DIR / filename
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(make())
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret(
    "secret_key", lambda: secrets.token_urlsafe(50)
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Credential encryption keys: a comma list of Fernet keys, the first one encrypts. Never derived
# from SECRET_KEY. Embedded mode generates one under var/ on first run.
CREDENTIAL_KEYS: list[str] = env.list("CREDENTIAL_KEYS", default=[]) or [
    _local_secret("credential_key", lambda: Fernet.generate_key().decode())
]
# token_uri values other than Google's that a service-account credential may name (the emulator).
ALLOWED_TOKEN_URIS: list[str] = env.list("ALLOWED_TOKEN_URIS", default=[])
# Operator override of the Vertex host (emulator, private endpoint). Never user input.
VERTEX_BASE_URL: str = env.str("VERTEX_BASE_URL", default="")
VERTEX_TIMEOUT_SECONDS = env.float("VERTEX_TIMEOUT_SECONDS", default=120.0)
VERTEX_CONNECT_TIMEOUT_SECONDS = env.float("VERTEX_CONNECT_TIMEOUT_SECONDS", default=10.0)
VERTEX_MAX_CONNECTIONS = env.int("VERTEX_MAX_CONNECTIONS", default=5000)
VERTEX_KEEPALIVE_SECONDS = env.float("VERTEX_KEEPALIVE_SECONDS", default=60.0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "gateway_admin",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gateway_admin.middleware.no_store",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gateway_admin.urls"
WSGI_APPLICATION = "gateway_admin.wsgi.application"
ASGI_APPLICATION = "gateway_admin.asgi.application"

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
                "csp.context_processors.nonce",
                "gateway_admin.web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL keeps the embedded mode responsive while a background refresh writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="vga")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: without a broker, tasks run in process (embedded mode).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
MODELS_REFRESH_INTERVAL_SECONDS = env.int("MODELS_REFRESH_INTERVAL_SECONDS", default=900)
REQUEST_LOG_RETENTION_DAYS = env.int("REQUEST_LOG_RETENTION_DAYS", default=30)
# Where each web process journals the request-log rows it has queued but not yet written, so a
# killed process loses none (services/request_log_journal.py). A local directory, 0700.
REQUEST_LOG_JOURNAL_DIR = Path(env.str("REQUEST_LOG_JOURNAL_DIR", default=str(VAR_DIR / "request-log-journal")))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password sign-in is Django's ModelBackend, refusing everyone but superusers when LOCAL_LOGIN_ENABLED
# is off; the OIDC block below adds the identity provider's backend.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "gateway_admin.sso.backends.LocalPasswordBackend",
]
# Messages stay server-side: the admin shows a new API token once through a message.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

# Sign-in with the company's identity provider (OpenID Connect, authorization code flow with PKCE,
# through mozilla-django-oidc; see gateway_admin/sso/). On when OIDC_ISSUER is set: the provider's
# endpoints and keys come from {OIDC_ISSUER}/.well-known/openid-configuration, fetched at the first
# sign-in and cached. Roles come from the groups claim at every sign-in.
OIDC_ISSUER: str = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_ENABLED = bool(OIDC_ISSUER)
OIDC_CLIENT_ID: str = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET: str = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_SCOPES: str = " ".join(env.str("OIDC_SCOPES", default="openid email profile").replace(",", " ").split())
OIDC_GROUPS_CLAIM: str = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_ADMIN_GROUPS: list[str] = env.list("OIDC_ADMIN_GROUPS", default=[])
OIDC_DEVELOPER_GROUPS: list[str] = env.list("OIDC_DEVELOPER_GROUPS", default=[])
# The role of a user whose groups match neither list ("" = no access); for providers that send no
# groups claim, such as Google Workspace.
OIDC_DEFAULT_ROLE: str = env.str("OIDC_DEFAULT_ROLE", default="")
OIDC_ALLOWED_DOMAINS: list[str] = [d.lower().lstrip("@") for d in env.list("OIDC_ALLOWED_DOMAINS", default=[])]
OIDC_PROVIDER_NAME: str = env.str("OIDC_PROVIDER_NAME", default="your identity provider")
OIDC_SIGN_ALGO: str = env.str("OIDC_SIGN_ALGO", default="RS256")
OIDC_DISCOVERY_CACHE_SECONDS = env.int("OIDC_DISCOVERY_CACHE_SECONDS", default=3600)
# A session from the provider lasts at most this long, so someone who leaves the company is out of
# open browsers within a working day, not the two weeks of a password session.
OIDC_SESSION_SECONDS = env.int("OIDC_SESSION_SECONDS", default=12 * 3600)
# Password sign-in for everyone (on) or for superusers only (off; they sign in at /login/?local=1).
LOCAL_LOGIN_ENABLED = env.bool("LOCAL_LOGIN_ENABLED", default=True)
if OIDC_ENABLED:
    from gateway_admin.sso.config import validate_oidc_settings

    validate_oidc_settings(issuer=OIDC_ISSUER, client_id=OIDC_CLIENT_ID, client_secret=OIDC_CLIENT_SECRET,
                           scopes=OIDC_SCOPES, default_role=OIDC_DEFAULT_ROLE,
                           allowed_domains=OIDC_ALLOWED_DOMAINS, sign_algo=OIDC_SIGN_ALGO)
    AUTHENTICATION_BACKENDS.append("gateway_admin.sso.backends.OIDCBackend")
# mozilla-django-oidc's own names, derived from the ones above (read only by gateway_admin/sso/).
OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
OIDC_RP_SCOPES = OIDC_SCOPES
OIDC_RP_SIGN_ALGO = OIDC_SIGN_ALGO
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT_SECONDS", default=10.0)
OIDC_STORE_ID_TOKEN = True  # the hint for the provider's end-session endpoint at sign-out
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc-callback"

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The address counted is the socket's peer, or with TRUSTED_PROXY_COUNT proxies in front only the
# entry the outermost of them appended to X-Forwarded-For (gateway_admin/client_address.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ValueError(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}")
AXES_CLIENT_IP_CALLABLE = "gateway_admin.client_address.client_address"
# A locked sign-in gets a page in the app's layout saying for how long (429, as axes answers).
AXES_LOCKOUT_CALLABLE = "gateway_admin.web.views.lockout.locked_out"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "gateway_admin.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "gateway_admin.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "gateway_admin.api.filters.RejectNulBytes",
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "gateway_admin.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["gateway_admin.api.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "gateway_admin.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vertex Gateway Admin API",
    "DESCRIPTION": "Configuration of Vertex AI keys, deployments and models, and an OpenAI-compatible gateway.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "gateway_admin.api.schema.refuse_unknown_fields",
    ],
}

# Security headers. HTTPS-only settings are switched on by env in production (behind TLS).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): same-origin only, inline scripts only with a nonce (NONCE is
# django-csp's sentinel, replaced per response by the nonce a template used, dropped when none was).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
if OIDC_ENABLED:
    # Sign-out is a form POST that ends with a redirect to the provider's end-session endpoint, and
    # Chromium applies form-action to that redirect too.
    from gateway_admin.sso.config import origin_of

    _directives: dict[str, list[str]] = CONTENT_SECURITY_POLICY["DIRECTIVES"]  # type: ignore[assignment]
    _directives["form-action"].append(origin_of(OIDC_ISSUER))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # One line per upstream call is noise at gateway rates; failures are logged by routing.
        "httpx": {"level": "WARNING"},
    },
}

# Celery beat: model listings refreshed, and key health recorded, every few minutes. Other areas add
# their own entries to this dict (CELERY_BEAT_SCHEDULE["name"] = {...}).
KEY_HEALTH_INTERVAL_SECONDS = env.int("KEY_HEALTH_INTERVAL_SECONDS", default=300)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "models-refresh-all": {
        "task": "gateway_admin.keys_refresh_all",
        "schedule": float(MODELS_REFRESH_INTERVAL_SECONDS),
    },
    "keys-health": {"task": "gateway_admin.keys_health", "schedule": float(KEY_HEALTH_INTERVAL_SECONDS)},
}
# Gateway: request-log rows older than REQUEST_LOG_RETENTION_DAYS are pruned daily.
CELERY_BEAT_SCHEDULE["request-log-prune"] = {"task": "gateway_admin.request_log_prune", "schedule": 86400.0}
# Gateway (/v1): how long a process trusts its cached API tokens and key configuration, and how
# often a Celery task polls a Veo operation (and for how long at most).
GATEWAY_TOKEN_CACHE_SECONDS = env.float("GATEWAY_TOKEN_CACHE_SECONDS", default=10.0)
GATEWAY_CONFIG_CACHE_SECONDS = env.float("GATEWAY_CONFIG_CACHE_SECONDS", default=5.0)
# Gateway (/v1, /vertex): the largest request body. Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, kept
# for the dashboard and the config API) is below what Claude Code sends with a long conversation or
# images; Anthropic's own Messages API takes 32 MB. Larger bodies get a 413.
GATEWAY_MAX_BODY_BYTES = env.int("GATEWAY_MAX_BODY_BYTES", default=32 * 1024 * 1024)
VIDEO_POLL_INTERVAL_SECONDS = env.float("VIDEO_POLL_INTERVAL_SECONDS", default=5.0)
VIDEO_POLL_TIMEOUT_SECONDS = env.float("VIDEO_POLL_TIMEOUT_SECONDS", default=1800.0)

# Usage, cost and budgets. Budget counters live in Redis when REDIS_URL (or BUDGET_REDIS_URL) is set,
# else in the database (BUDGET_COUNTERS=auto|redis|database). Processes re-read budgets and price
# overrides every few seconds; the database backend re-reads a counter at most every
# BUDGET_DB_REFRESH_SECONDS (its own additions are seen at once).
BUDGET_COUNTERS = env.str("BUDGET_COUNTERS", default="auto")
BUDGET_REDIS_URL = env.str("BUDGET_REDIS_URL", default="")
BUDGET_CACHE_SECONDS = env.float("BUDGET_CACHE_SECONDS", default=5.0)
BUDGET_DB_REFRESH_SECONDS = env.float("BUDGET_DB_REFRESH_SECONDS", default=1.0)
BUDGET_REDIS_REFRESH_SECONDS = env.float("BUDGET_REDIS_REFRESH_SECONDS", default=0.0)
PRICE_CACHE_SECONDS = env.float("PRICE_CACHE_SECONDS", default=5.0)
# The Usage page reads days before today from a cached aggregate (they do not change) for this long.
USAGE_PAST_CACHE_SECONDS = env.float("USAGE_PAST_CACHE_SECONDS", default=600.0)

# Prometheus /metrics: prometheus-client in multiprocess mode, so every uvicorn worker reports into
# one scrape. The directory must be set before prometheus_client is imported, hence here.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default=str(VAR_DIR / "prometheus"))
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", PROMETHEUS_MULTIPROC_DIR)
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
# Who may scrape: a bearer token, and/or client addresses in these networks (CIDR list). Neither
# set: only loopback.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS: list[str] = env.list("METRICS_ALLOWED_NETWORKS", default=[])
