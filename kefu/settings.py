"""Kefu settings: everything comes from KEFU_* environment variables with safe defaults."""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from kefu.core.config import database_from_url, env_bool, env_list, load_or_create_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KEFU_VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("KEFU_DEBUG", default=False)
SECRET_KEY = os.environ.get("KEFU_SECRET_KEY") or load_or_create_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("KEFU_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("KEFU_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs' Swagger UI from its own static files, not from a CDN
    "kefu.core",
    "kefu.accounts",
    "kefu.customers",
    "kefu.tickets",
    "kefu.sla",
    "kefu.channels",
    "kefu.portal",
    "kefu.surveys",
    "kefu.knowledge",
    "kefu.workforce",
    "kefu.analytics",
    "kefu.quality",
    "kefu.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kefu.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kefu.core.middleware.LoginRequiredEverywhereMiddleware",
]

ROOT_URLCONF = "kefu.urls"
WSGI_APPLICATION = "kefu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kefu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kefu.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("KEFU_DATABASE_URL", f"sqlite:///{VAR_DIR / 'kefu.sqlite3'}")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling: this many failures per user+IP within the window lock further tries.
KEFU_LOGIN_MAX_FAILURES = int(os.environ.get("KEFU_LOGIN_MAX_FAILURES", "5"))
# Retention: attachments of tickets closed more than N months ago are deleted (0 = keep them).
KEFU_RETENTION_ATTACHMENT_MONTHS = int(os.environ.get("KEFU_RETENTION_ATTACHMENT_MONTHS", "0"))
KEFU_LOGIN_WINDOW_SECONDS = int(os.environ.get("KEFU_LOGIN_WINDOW_SECONDS", str(15 * 60)))
KEFU_TOKEN_MAX_FAILURES = int(os.environ.get("KEFU_TOKEN_MAX_FAILURES", "20"))
KEFU_TOKEN_WINDOW_SECONDS = int(os.environ.get("KEFU_TOKEN_WINDOW_SECONDS", str(15 * 60)))

LANGUAGE_CODE = os.environ.get("KEFU_LANGUAGE", "zh-hans")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "kefu" / "locale"]
TIME_ZONE = os.environ.get("KEFU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "kefu" / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "kefu.core.staticfinders.PackageAssetFinder",
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("KEFU_MEDIA_ROOT", VAR_DIR / "media"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("KEFU_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Background tasks: Celery on Redis when KEFU_REDIS_URL is set, in-process otherwise.
KEFU_REDIS_URL = os.environ.get("KEFU_REDIS_URL", "")
KEFU_TASKS_EAGER = env_bool("KEFU_TASKS_EAGER", default=False)

# Short-lived shared state (who is viewing a ticket, import progress): Redis when configured,
# so every web process and worker sees the same values; process memory in the embedded mode.
if KEFU_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": KEFU_REDIS_URL,
            "KEY_PREFIX": "kefu",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without an SMTP server configured (the embedded demo), outgoing mail is written as files to
# var/mail/ so nothing is lost and it can be read; with KEFU_EMAIL_HOST it goes out by SMTP.
if os.environ.get("KEFU_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("KEFU_EMAIL_HOST", "localhost")
# The address customers use to reach Kefu, for links in emails (portal, status, surveys).
KEFU_SITE_URL = os.environ.get("KEFU_SITE_URL", "").rstrip("/")
EMAIL_PORT = int(os.environ.get("KEFU_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KEFU_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KEFU_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("KEFU_EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("KEFU_EMAIL_FROM", "support@kefu.localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEFU_LOG_LEVEL", "WARNING")},
}
