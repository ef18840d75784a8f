"""Retour's settings: one module, every value from the environment.

Without any variables set this is the embedded default of `make run`: SQLite in the
project folder, Celery tasks run in-process, e-mail written to files under var/mail/.
Production sets the variables listed in .env.example.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("RETOUR_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env_bool("RETOUR_PRODUCTION", default=False):
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    SECRET_KEY = "embedded-default-not-secret-" + "x" * 40  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",  # locks out repeated failed logins (accounts.lockout)
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "anymail",
    "ninja",  # serves the API docs' scripts from our own static files, not a CDN
    "sequences",
    # Retour's apps, from the bottom layer up (pyproject.toml's import contracts).
    "accounts",
    "notifications",
    "policies",
    "orders",
    "withdrawals",
    "rma",
    "vendors",
    "refunds",
    "backoffice",
    "deadlines",
    "demo",
    "portal",  # the public site: the withdrawal function (art. 11a), the status pages
    "config.apps.RetourConfig",  # the project's own deploy checks
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RefuseHostileInput",
    "config.middleware.PersonalDataNotCached",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
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
                "portal.context_processors.shop",
            ],
            # The staff lists' rows (core.admin_lists.LargeTableAdmin); core is no app.
            "libraries": {"admin_rows": "core.admin_rows"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite in the embedded default: wait for a lock rather than fail at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Logins: axes refuses a locked-out address or network first, then the e-mail address is
# looked up in any case (accounts.backends).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",
    "accounts.backends.EmailBackend",
]
# Brute force (accounts.lockout): 5 failures lock an e-mail address out, 50 a network (an
# office shares one), for a quarter of an hour after the last failure; a success forgets
# the address's failures. Behind reverse proxies set AXES_PROXY_COUNT (environment) to
# their number, so the client's address is read from X-Forwarded-For.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = 5
AXES_FAILURE_LIMIT_PER_IP = 50  # Retour's own (accounts.lockout.LockoutHandler)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_address"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out"
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
AXES_VERBOSE = False  # no banner on every start-up

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
# W2: public holidays of the shop's country extend the withdrawal period.
SHOP_COUNTRY = env_str("SHOP_COUNTRY", "NL")
SHOP_NAME = env_str("SHOP_NAME", "WebStore4")
SHOP_RETURN_ADDRESS = env_str(
    "SHOP_RETURN_ADDRESS", "WebStore4 Returns\nRetourweg 4\n1234 AB Amsterdam\nNetherlands"
)
# F6: the shop's own account, the debtor of the SEPA files that pay bank-transfer refunds
# (refunds.sepa); the name as the bank holds it. The defaults are a demo account.
SHOP_IBAN = env_str("SHOP_IBAN", "NL91ABNA0417164300")
SHOP_BIC = env_str("SHOP_BIC", "ABNANL2A")
SHOP_SEPA_NAME = env_str("SHOP_SEPA_NAME", "WebStore4 B.V.")

# The shop as the public site and its e-mails name it: who the consumer contracts with.
SHOP_LEGAL_ADDRESS = env_str(
    "SHOP_LEGAL_ADDRESS", "WebStore4 B.V.\nWinkelstraat 4\n1234 AB Amsterdam\nNetherlands"
)
SHOP_CONTACT_EMAIL = env_str("SHOP_CONTACT_EMAIL", "returns@webstore4.example")
SHOP_PHONE = env_str("SHOP_PHONE", "+31 20 123 4567")
SHOP_CHAMBER_OF_COMMERCE = env_str("SHOP_CHAMBER_OF_COMMERCE", "KvK 12345678")
# The shop's VAT identification number: every credit note states it (F8).
SHOP_VAT_NUMBER = env_str("SHOP_VAT_NUMBER", "NL812345678B01")

# The public site's withdrawal function (portal): a ticket's signed status link works
# this many days; a guest lookup is locked out after this many wrong order/e-mail pairs
# per address or order number (more per network, which many people may share), for
# this many minutes after the last failure (portal.services).
TICKET_LINK_MAX_AGE_DAYS = env_int("TICKET_LINK_MAX_AGE_DAYS", 365)
WITHDRAWAL_LOOKUP_FAILURE_LIMIT = env_int("WITHDRAWAL_LOOKUP_FAILURE_LIMIT", 5)
WITHDRAWAL_LOOKUP_FAILURE_LIMIT_PER_IP = env_int("WITHDRAWAL_LOOKUP_FAILURE_LIMIT_PER_IP", 30)
WITHDRAWAL_LOOKUP_COOLOFF_MINUTES = env_int("WITHDRAWAL_LOOKUP_COOLOFF_MINUTES", 15)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
# Customers' photos and documents: outside MEDIA_ROOT and the web root, served only by a
# view that checks the owner or staff (rma.models.Attachment).
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENT_MAX_COUNT = env_int("ATTACHMENT_MAX_COUNT", 5)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "core.storage.PrivateStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("RETOUR_PRODUCTION", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Tasks: with REDIS_URL set they go to Celery workers; without it (embedded default)
# they run in-process, at once.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker's pool process is replaced after this many tasks, or after a task that left it
# above this resident memory (KiB): the second line of defence should a library leak again
# (WeasyPrint's per-document fonts grew a worker a quarter MB a label; docs/operations.md).
# 0 turns either off.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 1000) or None
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 300_000) or None
# A worker that lost Redis reconnects for as long as it takes (the default gives up after
# 100 tries, about 45 minutes, and exits), at start-up too (docs/operations.md).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Workers and beat give up on a Redis that stops answering (a host that vanished, a hung
# server) after this many seconds, then reconnect. A request's publish has its own bound of
# about a second (REQUEST_PUBLISH_TIMEOUT in notifications/services.py; docs/operations.md).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": env_int("CELERY_BROKER_SOCKET_TIMEOUT", 5),
    "socket_connect_timeout": env_int("CELERY_BROKER_SOCKET_TIMEOUT", 5),
}
CELERY_BEAT_SCHEDULE: dict = {}
# The e-mail outbox: publish what the broker never got, retry what failed (notifications).
CELERY_BEAT_SCHEDULE["notifications-sweep-outbox"] = {
    "task": "notifications.tasks.sweep_outbox",
    "schedule": 60.0,
}
# D1–D6: chase the deadlines (deadlines.chasing); overlapping runs send nothing twice.
CELERY_BEAT_SCHEDULE["deadlines-chase"] = {
    "task": "deadlines.chase_deadlines",
    "schedule": 15 * 60.0,
}
# The dashboard's figures, computed before the cached ones expire (5 minutes).
CELERY_BEAT_SCHEDULE["backoffice-refresh-dashboard"] = {
    "task": "backoffice.refresh_dashboard",
    "schedule": 4 * 60.0,
}
# Credit notes whose PDF and e-mail a worker never got to (the broker was down when the
# refund was paid): rendered and e-mailed now (refunds.credit_notes).
CELERY_BEAT_SCHEDULE["refunds-deliver-credit-notes"] = {
    "task": "refunds.sweep_credit_notes",
    "schedule": 5 * 60.0,
}

# The cache (the API's per-token rate limit counts in it) is shared by every web worker
# through Redis in production; in-process memory in the embedded default.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "retour",
        }
    }

# E-mail: files under var/mail/ by default; EMAIL_PROVIDER picks an anymail backend.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Retour <returns@webstore4.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_PROVIDER = env_str("EMAIL_PROVIDER", "files")
_EMAIL_BACKENDS = {
    "files": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "postmark": "anymail.backends.postmark.EmailBackend",
    "mailgun": "anymail.backends.mailgun.EmailBackend",
    "sendgrid": "anymail.backends.sendgrid.EmailBackend",
    "brevo": "anymail.backends.brevo.EmailBackend",
    "amazon_ses": "anymail.backends.amazon_ses.EmailBackend",
}
if EMAIL_PROVIDER not in _EMAIL_BACKENDS:
    raise ImproperlyConfigured(
        f"EMAIL_PROVIDER must be one of {', '.join(_EMAIL_BACKENDS)}, not {EMAIL_PROVIDER!r}"
    )
EMAIL_BACKEND = _EMAIL_BACKENDS[EMAIL_PROVIDER]
EMAIL_FILE_PATH = VAR_DIR / "mail"
# A send never takes longer than this (SMTP socket timeout); an outbox row claimed for
# longer than EMAIL_OUTBOX_STUCK_SECONDS belongs to a dead worker and is sent again.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
EMAIL_OUTBOX_STUCK_SECONDS = env_int("EMAIL_OUTBOX_STUCK_SECONDS", 600)
ANYMAIL = {
    "POSTMARK_SERVER_TOKEN": env_str("ANYMAIL_API_KEY"),
    "MAILGUN_API_KEY": env_str("ANYMAIL_API_KEY"),
    "SENDGRID_API_KEY": env_str("ANYMAIL_API_KEY"),
    "BREVO_API_KEY": env_str("ANYMAIL_API_KEY"),
    "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET"),
}

# Production hardening: switched on by RETOUR_PRODUCTION so `check --deploy` is clean.
if env_bool("RETOUR_PRODUCTION", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# A strict Content-Security-Policy: scripts only from our own origin, never inline (the
# admin and the API docs need none); inline style attributes stay allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "config.middleware.RequestRefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # WeasyPrint narrates every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
