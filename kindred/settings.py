"""Kindred settings: one file, configured from the environment.

Every value that differs between a laptop and production comes from an environment
variable; a secret may instead come from a file named by ``<NAME>_FILE`` (Docker and
systemd credentials). See docs/operations.md for the full list.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("KINDRED_DATA_DIR", BASE_DIR / ".kindred"))

env = environ.Env()

# pytest imports settings before any conftest can set variables, so tests are detected here.
TESTING = os.environ.get("KINDRED_TESTING") == "1" or "pytest" in sys.modules


def secret(name: str, default: str | None = None) -> str | None:
    """Read ``name`` from the environment, or from the file named by ``name_FILE``."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = secret("SECRET_KEY") or ""
if not SECRET_KEY:
    if TESTING:
        SECRET_KEY = "kindred-test-only-secret-key-never-used-in-production-0123456789"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set. `./dev run` creates one for you; "
            "in production generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'"
        )

# Keys of the application-level encryption (kindred/core/crypto.py; docs/operations.md):
# "id:base64key,..." with the current key first. DEBUG and tests derive a development key.
KINDRED_FIELD_KEYS: str = secret("KINDRED_FIELD_KEYS") or ""
if not KINDRED_FIELD_KEYS and not DEBUG and not TESTING:
    raise ImproperlyConfigured(
        "KINDRED_FIELD_KEYS (or KINDRED_FIELD_KEYS_FILE) must be set: it holds the keys that "
        "encrypt psychotherapy notes. Generate one with: python -c 'import base64, os; "
        'print("k1:" + base64.b64encode(os.urandom(32)).decode())\''
    )
# Key of encrypted backups (kindred/core/backups.py; docs/backups.md): "id:base64key,..."
# with the current key first, kept apart from the field keys. DEBUG and tests derive a
# development key; in production `backup` and `restore` refuse to run without it.
KINDRED_BACKUP_KEY: str = secret("KINDRED_BACKUP_KEY") or ""

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG or TESTING else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address of this deployment, used in emails (invitation and reset links).
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_tasks_db",
    "kindred.core",
    "kindred.audit",
    "kindred.accounts",
    "kindred.practice",
    "kindred.clients",
    "kindred.groups",
    "kindred.scheduling",
    "kindred.notifications",
    "kindred.intake",
    "kindred.measures",
    "kindred.notes",
    "kindred.matching",
    "kindred.psychnotes",
    "kindred.records",
    "kindred.billing",
    "kindred.space",
    "kindred.strategies",
    "kindred.goals",
    "kindred.milestones",
    "kindred.journal",
    "kindred.breakglass",
    "kindred.datarights",
    "kindred.web",
    "kindred.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: no-store on every answer but the listed public views (issue 9);
    # outside the others, so it also marks answers other middleware produce.
    "kindred.core.cache_control.CacheControlMiddleware",
    "kindred.core.middleware.RequestContextMiddleware",
    # Oversized bodies and unwanted files refused before anything reads the body (issue 9).
    "kindred.core.upload_limits.RequestSizeLimitMiddleware",
    "kindred.core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages, so the "you were signed out" notice reaches the sign-in page.
    "kindred.accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "kindred.accounts.middleware.RequireStaffMFAMiddleware",
    "kindred.accounts.middleware.ManagedAccountPagesMiddleware",
    # Idempotency-Key on /api/v1/ writes (issue 9; docs/api-idempotency.md).
    "kindred.api.idempotency.IdempotencyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # django-axes must stay last.
    "axes.middleware.AxesMiddleware",
]

# Request size limits (issue 9; kindred/core/upload_limits.py). One figure for every body:
# Django's in-memory limits equal it, so an accepted upload never goes to a temporary file.
KINDRED_MAX_REQUEST_BYTES = env.int("KINDRED_MAX_REQUEST_BYTES", default=2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = KINDRED_MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = KINDRED_MAX_REQUEST_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# The only views that take files (by URL name); each installs its own size-limited handler.
KINDRED_UPLOAD_VIEWS = ["web:instrument_load"]

ROOT_URLCONF = "kindred.urls"
FORM_RENDERER = "kindred.web.forms.KindredFormRenderer"
WSGI_APPLICATION = "kindred.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kindred" / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kindred.web.context_processors.kindred",
            ],
            "string_if_invalid": "",
        },
    }
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {})
    # IMMEDIATE makes write transactions take the lock up front, so concurrent writers
    # queue instead of failing half-way ("database is locked").
    _db["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    # Server-side cursors (QuerySet.iterator(), used by form choice fields) cost an extra
    # round trip per query and break behind a transaction-pooling PgBouncer.
    _db["DISABLE_SERVER_SIDE_CURSORS"] = True
    # No JIT: Kindred's queries are short and indexed, but a few (an OR over a group's
    # facilitators, NOT EXISTS over notes) get high cost estimates, and PostgreSQL then
    # spent ~1 s compiling a query that runs in 30 ms (EXPLAIN ANALYZE on the 20,000-client
    # data set: the facilitator home and the unsigned-notes pages). KINDRED_PG_JIT=on
    # gives it back for analytics-heavy deployments.
    if not env.bool("KINDRED_PG_JIT", default=False):
        _db.setdefault("OPTIONS", {})
        _options = _db["OPTIONS"].get("options", "")
        _db["OPTIONS"]["options"] = f"{_options} -c jit=off".strip()
    _db.setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default="test_kindred")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------
REDIS_URL = secret("REDIS_URL")
if REDIS_URL and not TESTING:
    CACHES = {
        "default": {
            # Falls back to "cache miss" when Redis is down, so nothing that uses the
            # cache can turn a Redis outage into a 500.
            "BACKEND": "kindred.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kindred",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks (Django Tasks API) ----------------------------------------------
_tasks_backend = env.str("TASKS_BACKEND", default="immediate" if DEBUG or TESTING else "database")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django.tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
        }[_tasks_backend],
        "QUEUES": ["default", "email"],
    }
}

# --- Accounts and authentication ------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out credentials before anything checks them.
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},
    },
    {"NAME": "kindred.accounts.passwords.MaximumLengthValidator"},
    # NIST SP 800-63B blocklist: common and breached passwords, near variants and the
    # person's own context (kindred/accounts/passwords.py, docs/security.md).
    {"NAME": "kindred.accounts.passwords.BlocklistValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "kindred.accounts.adapter.AccountAdapter"
MFA_ADAPTER = "kindred.accounts.adapter.MFAAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Kindred: "
# Nobody can sign up, so a reset request for an unknown address sends nothing.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_PREVENT_ENUMERATION = True
# Sensitive actions (two-factor changes, API tokens) need a sign-in or re-authentication
# this recent.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 10 * 60
# Failed password sign-ins are throttled and locked out by django-axes (database-backed, so
# it keeps working when Redis is down); the adapter skips allauth's cache-based counter for
# passwords. allauth's "login_failed" limit still guards two-factor codes.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Kindred"
MFA_RECOVERY_CODE_COUNT = 10
MFA_TRUST_ENABLED = False
# Record each signed-in session so deactivating an account can end all of them at once.
USERSESSIONS_TRACK_ACTIVITY = False

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_COOLOFF_TIME = "kindred.accounts.lockout.cooloff_time"
AXES_LOCKOUT_CALLABLE = "kindred.accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "kindred.accounts.lockout.username_from_request"
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
# A refused attempt during a lock-out does not restart the wait; the next lock-out of the
# same account or address waits longer instead (kindred.accounts.lockout).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# One row per failure (email, address, time; never the password): the lock-out history
# the growing wait is computed from.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ENABLE_ADMIN = False
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list(
    "AXES_IPWARE_META_PRECEDENCE_ORDER", default=["REMOTE_ADDR"]
)
AXES_VERBOSE = False

# Sessions end after 12 hours whatever happens; idle time-outs are a practice setting
# enforced by kindred.accounts.middleware.SessionTimeoutMiddleware.
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Security headers -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=63072000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix binds the cookies to this exact host over HTTPS.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Email ---------------------------------------------------------------------------
# EMAIL_URL: smtp://user@host:587/?tls=True (password from EMAIL_PASSWORD[_FILE]),
# consolemail:// (prints to the terminal) or dummymail://.
_email = env.email_url(
    "EMAIL_URL",
    default="consolemail://" if DEBUG or TESTING else "smtp://localhost:25",
)
_mail_options: dict[str, object] = {}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": _email.get("EMAIL_HOST") or "localhost",
        "port": _email.get("EMAIL_PORT") or 25,
        "username": _email.get("EMAIL_HOST_USER") or None,
        "password": secret("EMAIL_PASSWORD") or _email.get("EMAIL_HOST_PASSWORD") or None,
        "use_tls": bool(_email.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
        "timeout": 10,
    }
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kindred <no-reply@kindred.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kindred.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["kindred.api.permissions.HasTokenScope"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "kindred.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "kindred.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser; too deep a nesting is a 400, not a 500 (kindred/core/upload_limits.py).
    "DEFAULT_PARSER_CLASSES": ["kindred.core.upload_limits.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kindred.api.idempotency.document_idempotency_key",
    ],
    "TITLE": "Kindred API",
    "DESCRIPTION": (
        "REST API v1 of Kindred, a platform for running therapy groups. Authenticate with a "
        "session (browser) or an API token: `Authorization: Bearer kdt_…`. Each token "
        "carries scopes; each operation lists the scope it needs."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["kindred.api.permissions.IsStaffUser"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ScopeEnum": "kindred.api.v1.accounts.SCOPE_CHOICES",
        "StateEnum": "kindred.practice.states.STATE_CHOICES",
        "CredentialStatusEnum": "kindred.practice.models.CredentialStatus",
        "AttendanceStatusEnum": "kindred.scheduling.models.AttendanceStatus",
        "ReferralStatusEnum": "kindred.intake.models.ReferralStatus",
        "ReferralSourceEnum": "kindred.intake.models.ReferralSource",
        "StaffReferralSourceEnum": "kindred.api.v1.intake.STAFF_SOURCE_CHOICES",
        "WaitlistStatusEnum": "kindred.intake.models.WaitlistStatus",
        "WaitlistFilterStatusEnum": "kindred.api.v1.intake_waitlist.FILTER_STATUS_CHOICES",
        "ExclusionReasonEnum": "kindred.intake.models.ExclusionReason",
        "LicensureReasonEnum": "kindred.api.v1.practice.LICENSURE_REASONS",
        "AdministrationStatusEnum": "kindred.measures.models.AdministrationStatus",
        "AdministrationReasonEnum": "kindred.measures.models.Timing",
        "ScheduleTimingEnum": "kindred.measures.schedules.SCHEDULE_TIMING_CHOICES",
        "ScreeningAnswerEnum": "kindred.intake.models.Answer",
        "ScreeningDecisionEnum": "kindred.intake.models.ScreeningDecision",
        "ScreeningStatusEnum": "kindred.api.v1.screening.STATUS_CHOICES",
        "MatchRunStatusEnum": "kindred.matching.models.RunStatus",
        "ProposalDecisionEnum": "kindred.matching.models.Decision",
        "MatchingUrgencyEnum": "kindred.api.v1.matching.URGENCY_CHOICES",
        "ChargeStatusEnum": "kindred.billing.models.ChargeStatus",
        "NoteStatusEnum": "kindred.notes.models.NoteStatus",
        "NoteKindEnum": "kindred.api.v1.notes.KIND_CHOICES",
        "UnsignedNotesScopeEnum": "kindred.api.v1.notes.SCOPE_CHOICES",
        "SpaceReactionKindEnum": "kindred.space.models.ReactionKind",
        "SpaceReportReasonEnum": "kindred.space.models.ReportReason",
        "SpacePostStatusEnum": "kindred.space.models.PostStatus",
        "SpaceModerationChangeEnum": "kindred.api.v1.space.MODERATION_ACTIONS",
        "GoalStatusEnum": "kindred.goals.models.GoalStatus",
        "GoalReplyStatusEnum": "kindred.goals.models.ReplyStatus",
        "GoalReplyChangeEnum": "kindred.api.v1.goals.REPLY_CHANGES",
        "MilestoneKindEnum": "kindred.milestones.models.MilestoneKind",
        "MilestoneStateEnum": "kindred.api.v1.milestones.OWN_STATES",
        "StrategyStatusEnum": "kindred.strategies.models.StrategyStatus",
        "StrategyMarkKindEnum": "kindred.strategies.models.MarkKind",
        "StrategyDecisionEnum": "kindred.api.v1.strategies.DECISIONS",
    },
}

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", _("English"))]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# In development and tests WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Kindred-specific defaults (the practice profile overrides the time-outs).
KINDRED_STAFF_IDLE_MINUTES_DEFAULT = 15
KINDRED_MEMBER_IDLE_MINUTES_DEFAULT = 30
KINDRED_INVITATION_DAYS = 7
KINDRED_REAUTH_SECONDS = 10 * 60
KINDRED_TOKEN_DEFAULT_LIFETIME = timedelta(days=90)

# Video rooms for virtual sessions (kindred/scheduling/video/; docs/operations.md):
# "jitsi" (a Jitsi Meet server with token authentication), "external" (each group's
# fixed link) or "none".
KINDRED_VIDEO_PROVIDER = env.str("KINDRED_VIDEO_PROVIDER", default="external")
JITSI_DOMAIN = env.str("JITSI_DOMAIN", default="")
JITSI_APP_ID = env.str("JITSI_APP_ID", default="")
JITSI_APP_SECRET = secret("JITSI_APP_SECRET") or ""

# Text messages (kindred/scheduling/sms/; docs/operations.md "Reminders and text
# messages"): "console" (written to the log), "http" (a Twilio-compatible REST API) or
# "none". Reminders: KINDRED_REMINDERS_FOR_FACILITATORS also reminds facilitators.
KINDRED_SMS_PROVIDER = env.str(
    "KINDRED_SMS_PROVIDER", default="console" if DEBUG or TESTING else "none"
)
KINDRED_SMS_BASE_URL = env.str("KINDRED_SMS_BASE_URL", default="https://api.twilio.com")
KINDRED_SMS_ACCOUNT_SID = env.str("KINDRED_SMS_ACCOUNT_SID", default="")
KINDRED_SMS_AUTH_TOKEN = secret("KINDRED_SMS_AUTH_TOKEN") or ""
KINDRED_SMS_FROM = env.str("KINDRED_SMS_FROM", default="")
KINDRED_REMINDERS_FOR_FACILITATORS = env.bool("KINDRED_REMINDERS_FOR_FACILITATORS", default=False)

# Risk-language screening (kindred/space/risk.py; docs/risk-screening.md): "off" turns the
# embedding second opinion off and leaves the phrase list alone.
KINDRED_RISK_EMBEDDINGS = env.bool("KINDRED_RISK_EMBEDDINGS", default=True)

# Questionnaires (kindred/measures/reminders.py): a member is reminded of an unanswered
# check-in this many hours before the session it is for.
KINDRED_QUESTIONNAIRE_REMINDER_HOURS = env.float("KINDRED_QUESTIONNAIRE_REMINDER_HOURS", default=6)
