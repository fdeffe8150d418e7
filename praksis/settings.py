"""Praksis settings: everything from the environment, parsed strictly (see .env.example).

``PRAKSIS_ENV`` selects the mode:

* ``production`` — refuses to start without ``SECRET_KEY``, ``ALLOWED_HOSTS`` and
  ``PRAKSIS_KEY``; secure cookies; two-factor login required for owners and practitioners.
* ``development`` (default) — embedded SQLite under ``var/``, secrets generated once into
  ``var/`` so that ``make demo`` works on a fresh machine; demo mode on.
* ``test`` — what the test suite uses.
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from praksis.core.env import env_bool, env_choice, env_int, env_list, env_networks, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PRAKSIS_VAR_DIR") or BASE_DIR / "var")

PRAKSIS_ENV = env_choice("PRAKSIS_ENV", "development", {"production", "development", "test"})
PRODUCTION = PRAKSIS_ENV == "production"
TESTING = PRAKSIS_ENV == "test"

# Demo mode: demo clinics may be seeded with the shared demo password, and two-factor
# login is not forced. Never on in production.
PRAKSIS_DEMO = env_bool("PRAKSIS_DEMO", default=not PRODUCTION)
if PRODUCTION and PRAKSIS_DEMO:
    raise ImproperlyConfigured("PRAKSIS_DEMO cannot be enabled when PRAKSIS_ENV=production")

DEBUG = env_bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be enabled when PRAKSIS_ENV=production")


def _local_secret(name: str, generate) -> str:
    """A secret kept in var/ for development: made once, then reused."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(generate())
        path.chmod(0o600)
    return path.read_text().strip()


def _new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


SECRET_KEY = env_str("SECRET_KEY")
PRAKSIS_KEY = env_str("PRAKSIS_KEY")
if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when PRAKSIS_ENV=production")
    if not PRAKSIS_KEY:
        raise ImproperlyConfigured("PRAKSIS_KEY must be set when PRAKSIS_ENV=production")
elif TESTING:
    SECRET_KEY = SECRET_KEY or "test-only-secret-key-not-for-production-use-0123456789"
    PRAKSIS_KEY = PRAKSIS_KEY or base64.urlsafe_b64encode(b"t" * 32).decode()
else:
    SECRET_KEY = SECRET_KEY or _local_secret("secret_key", lambda: secrets.token_urlsafe(50))
    PRAKSIS_KEY = PRAKSIS_KEY or _local_secret("praksis.key", _new_key)

try:
    if len(base64.urlsafe_b64decode(PRAKSIS_KEY)) != 32:
        raise ValueError
except ValueError as exc:
    raise ImproperlyConfigured("PRAKSIS_KEY must be 32 bytes, url-safe base64 encoded") from exc

# While rotating PRAKSIS_KEY: the previous key, so data keys wrapped by it still open
# until `praksis rotate-key` has re-wrapped them all.
PRAKSIS_KEY_PREVIOUS = env_str("PRAKSIS_KEY_PREVIOUS") or None

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when PRAKSIS_ENV=production")
if TESTING:
    ALLOWED_HOSTS = ["*"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    # Serves Swagger UI for /api/v1/docs from its own static files (no CDN: the content
    # security policy allows no third-party request, and a clinic may be offline).
    "ninja",
    "praksis.core",
    "praksis.clinics",
    "praksis.audit",
    "praksis.people",
    "praksis.privacy",
    "praksis.booking",
    "praksis.messaging",
    "praksis.journal",
    "praksis.recall",
    "praksis.sales",
    "praksis.processing",
    "praksis.disclosures",
    "praksis.breaches",
    "praksis.accounts",
    # Composition (pages and set-ups made of several apps); it wires the apps' hooks.
    "praksis.site",
]

MIDDLEWARE = [
    "praksis.core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "praksis.core.middleware.RequestIdMiddleware",
    "praksis.core.links.RequestLinksMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "praksis.core.input.ImpossibleInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "praksis.core.sessions.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Staff pages speak the clinic's language, or the one the member of staff chose.
    "praksis.clinics.language.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "praksis.urls"
WSGI_APPLICATION = "praksis.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "praksis" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "praksis.clinics.context_processors.staff_context",
                "praksis.breaches.context_processors.breach_clock",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'praksis.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time, taken at BEGIN, waiting instead of failing: with WAL this
    # lets a threaded server answer a burst of writes without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if env_bool("DB_PREPARED_STATEMENTS", default=True):
        # Parameters bound on the server, and a statement run a few times on a connection
        # prepared there: planned once instead of on every request. (Behind a pooler in
        # transaction mode, set DB_PREPARED_STATEMENTS=false.)
        DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 3}
# Chains side by side in each clinic's access log (PostgreSQL; SQLite has one writer).
AUDIT_LOG_LANES = env_int("AUDIT_LOG_LANES", 16)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------
AUTH_USER_MODEL = "clinics.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
if TESTING:
    # Still Argon2, with the cost lowered so the suite stays fast.
    PASSWORD_HASHERS = ["praksis.core.hashers.QuickArgon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"

# Idle timeout: the session ends after this many seconds without a request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
# Absolute lifetime: a staff session ends this many hours after sign-in, however busy.
PRAKSIS_SESSION_MAX_HOURS = env_int("PRAKSIS_SESSION_MAX_HOURS", 12)
if PRAKSIS_SESSION_MAX_HOURS < 1:
    raise ImproperlyConfigured("PRAKSIS_SESSION_MAX_HOURS must be at least 1")
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A form refused for its missing or stale CSRF token gets a branded, translated page.
CSRF_FAILURE_VIEW = "praksis.core.views.csrf_failure"
# Proxies (addresses or CIDR networks) in front of this server. Only from these are
# X-Forwarded-For (the client's address: rate limits, lock-outs, logs) and
# X-Forwarded-Proto (HTTPS or not) believed; from anyone else they are ignored.
PRAKSIS_TRUSTED_PROXIES = env_networks("PRAKSIS_TRUSTED_PROXIES")
if PRODUCTION:
    # HTTP is redirected to HTTPS, except /healthz (load balancers probe over HTTP).
    # Behind a proxy that ends TLS: list it in PRAKSIS_TRUSTED_PROXIES (its
    # X-Forwarded-Proto then tells), or let the proxy redirect (PRAKSIS_SSL_REDIRECT=0).
    SECURE_SSL_REDIRECT = env_bool("PRAKSIS_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    LANGUAGE_COOKIE_SECURE = True

# Two-factor login (REQ-34): every member of staff, whatever the role, must use TOTP
# outside demo mode; production cannot turn it off.
PRAKSIS_REQUIRE_2FA = env_bool("PRAKSIS_REQUIRE_2FA", default=not PRAKSIS_DEMO)
if PRODUCTION and not PRAKSIS_REQUIRE_2FA:
    raise ImproperlyConfigured(
        "PRAKSIS_REQUIRE_2FA cannot be turned off when PRAKSIS_ENV=production"
    )
# The operator of this installation, entered in every new clinic's processor register
# (hosting, the journal and booking system). Empty name: the clinic runs Praksis itself.
PRAKSIS_OPERATOR_NAME = env_str("PRAKSIS_OPERATOR_NAME", "Praksis") or ""
PRAKSIS_OPERATOR_COUNTRY = env_str("PRAKSIS_OPERATOR_COUNTRY", "SE") or "SE"
PRAKSIS_OPERATOR_LOCATION = env_str("PRAKSIS_OPERATOR_LOCATION", "EU/EEA") or ""
PRAKSIS_OPERATOR_CONTACT = env_str("PRAKSIS_OPERATOR_CONTACT", "") or ""
# Irreversible or data-releasing actions (erasure, answering a privacy request, ...) need
# the password (and code) given within this many seconds; older sign-ins are asked again.
PRAKSIS_REAUTH_SECONDS = env_int("PRAKSIS_REAUTH_SECONDS", 10 * 60)
# API bearer tokens stop working this many days after they are issued (unless a shorter
# period is asked for when issuing one).
PRAKSIS_API_TOKEN_DAYS = env_int("PRAKSIS_API_TOKEN_DAYS", 90)
if PRAKSIS_API_TOKEN_DAYS < 1:
    raise ImproperlyConfigured("PRAKSIS_API_TOKEN_DAYS must be at least 1")
OTP_TOTP_ISSUER = "Praksis"

# Lock-out after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "staff/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_SENSITIVE_PARAMETERS = ["username", "password", "ip_address"]
# The same client address as everywhere else (through PRAKSIS_TRUSTED_PROXIES only).
AXES_CLIENT_IP_CALLABLE = "praksis.core.middleware.client_ip"

# --- Content security: no third-party requests from any page --------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
    }
}

# --- I18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("nb", _("Norwegian Bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "praksis" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "praksis" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
if TESTING:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# --- E-mail ---------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "praksis@localhost")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Logging: never personal data (STYLE.md §12) --------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "praksis.core.logging.ScrubPersonalData"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["scrub"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Request bodies and SQL parameters can hold identity numbers: never log them.
        "django.db.backends": {"level": "WARNING", "propagate": True},
        "django.request": {"level": "ERROR", "propagate": True},
        # PDFs: WeasyPrint's and fontTools' warnings about fonts (and subsetting them) fill
        # the server log with nothing to act on; their errors still show.
        "weasyprint": {"level": "ERROR", "propagate": True},
        "fontTools": {"level": "ERROR", "propagate": True},
    },
}

# --- Praksis --------------------------------------------------------------------------
PRAKSIS_SEARCH_LIMIT = 20
PRAKSIS_API_PAGE_SIZE = env_int("PRAKSIS_API_PAGE_SIZE", 50)

# --- Messaging (outbox, e-mail, SMS) --------------------------------------------------
# The send-messages worker: attempts per message before it is given up (status failed),
# the timeout of one SMTP or SMS provider call, and how long a claimed message stays
# with its worker without news (renewed as the worker goes; a killed worker's messages
# are free again after this).
MESSAGING_MAX_ATTEMPTS = env_int("MESSAGING_MAX_ATTEMPTS", 6)
MESSAGING_SEND_TIMEOUT = env_int("MESSAGING_SEND_TIMEOUT", 20)
MESSAGING_LEASE_SECONDS = env_int("MESSAGING_LEASE_SECONDS", 60)
if MESSAGING_MAX_ATTEMPTS < 1 or MESSAGING_SEND_TIMEOUT < 1:
    raise ImproperlyConfigured("MESSAGING_MAX_ATTEMPTS and MESSAGING_SEND_TIMEOUT must be >= 1")
if MESSAGING_LEASE_SECONDS < 2 * MESSAGING_SEND_TIMEOUT:
    raise ImproperlyConfigured(
        "MESSAGING_LEASE_SECONDS must be at least twice MESSAGING_SEND_TIMEOUT"
    )
SMS_BACKEND = env_str(
    "SMS_BACKEND",
    "praksis.messaging.backends.HttpSmsBackend"
    if PRODUCTION
    else "praksis.messaging.backends.FileSmsBackend",
)
SMS_FILE_PATH = VAR_DIR / "sms"
SMS_API_URL = env_str("SMS_API_URL", "")
SMS_API_TOKEN = env_str("SMS_API_TOKEN", "")
if SMS_API_URL and not SMS_API_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SMS_API_URL must be an http(s) URL")
# Alphanumeric sender id (at most 11 characters); empty: each clinic's own name.
SMS_SENDER = env_str("SMS_SENDER", "")
# Inbound SMS (replies to reminders): the provider signs each webhook call with this
# secret (HMAC-SHA256, praksis/booking/sms_replies.py); empty: the webhook refuses all.
SMS_WEBHOOK_SECRET = env_str("SMS_WEBHOOK_SECRET", "")

# --- Journal ----------------------------------------------------------------------------
PRAKSIS_ATTACHMENT_MAX_BYTES = env_int("PRAKSIS_ATTACHMENT_MAX_BYTES", 10 * 2**20)

# --- Links in messages ------------------------------------------------------------------
# PRAKSIS_BASE_URL set: every link in an e-mail or SMS starts with it. Not set: a message
# queued during a request links to the address that request reached (praksis/core/links.py),
# one queued from the command line to the default below (production: the first of
# ALLOWED_HOSTS over HTTPS; otherwise this machine on PORT, as `make demo` serves).
_BASE_URL = (env_str("PRAKSIS_BASE_URL") or "").rstrip("/")
if _BASE_URL and not _BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("PRAKSIS_BASE_URL must be an http(s) URL")
PRAKSIS_LINKS_FROM_REQUEST = not _BASE_URL
if _BASE_URL:
    PRAKSIS_BASE_URL = _BASE_URL
elif PRODUCTION and not ALLOWED_HOSTS[0].startswith((".", "*")):
    PRAKSIS_BASE_URL = f"https://{ALLOWED_HOSTS[0]}"
else:
    PRAKSIS_BASE_URL = f"http://127.0.0.1:{env_int('PORT', 8000)}"

# --- Booking ----------------------------------------------------------------------------
# Public endpoints and forms: requests per minute per client address, counted in the
# database for all workers and machines together (praksis/core/ratelimit.py); 0: no limit.
PUBLIC_RATE_LIMIT_BOOKINGS = env_int("PUBLIC_RATE_LIMIT_BOOKINGS", 60)
PUBLIC_RATE_LIMIT_READS = env_int("PUBLIC_RATE_LIMIT_READS", 600)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Strong sign-in to the client's account: an eID through OpenID Connect (issue 15) ----
# A broker or an eID's own provider: Swedish BankID and Freja through a broker (e.g.
# Criipto, Signicat), Norwegian ID-porten and BankID. Not set: the account offers the
# one-time code only. The claim that carries the personal identity number differs by
# provider ("pid" in ID-porten; brokers name theirs, e.g. "ssn", "socialno", "nin").
PRAKSIS_OIDC_ISSUER = (env_str("PRAKSIS_OIDC_ISSUER") or "").rstrip("/")
PRAKSIS_OIDC_CLIENT_ID = env_str("PRAKSIS_OIDC_CLIENT_ID") or ""
PRAKSIS_OIDC_CLIENT_SECRET = env_str("PRAKSIS_OIDC_CLIENT_SECRET") or ""
PRAKSIS_OIDC_IDENTITY_CLAIM = env_str("PRAKSIS_OIDC_IDENTITY_CLAIM") or "pid"
PRAKSIS_OIDC_SCOPES = env_str("PRAKSIS_OIDC_SCOPES") or "openid"

# --- The evidence store (issue 16): erasures and access-log checkpoints outside the
# database, signed with Ed25519. A directory on other storage than the database's.
PRAKSIS_EVIDENCE_DIR = env_str("PRAKSIS_EVIDENCE_DIR") or ""
PRAKSIS_EVIDENCE_KEY = env_str("PRAKSIS_EVIDENCE_KEY") or ""
PRAKSIS_EVIDENCE_PUBLIC_KEY = env_str("PRAKSIS_EVIDENCE_PUBLIC_KEY") or ""
# Backups (`praksis backup`, `praksis restore`): where, and how long they are kept (the
# privacy notice states it).
PRAKSIS_BACKUP_DIR = env_str("PRAKSIS_BACKUP_DIR") or str(VAR_DIR / "backups")
PRAKSIS_BACKUP_DAYS = env_int("PRAKSIS_BACKUP_DAYS", 35)
