"""Django settings for gongyi, all read from the environment through ``gongyi.config``."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from gongyi.config import Config

CONFIG = Config.from_environment()
BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("GONGYI_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "gongyi.core",
    "gongyi.orgs",
    "gongyi.campaigns",
    "gongyi.projects",
    "gongyi.ledger",
    "gongyi.payments",
    "gongyi.giving",
    "gongyi.matching",
    "gongyi.ledger.translog",
    "gongyi.spending",
    "gongyi.oversight",
    "gongyi.aid",
    "gongyi.drives",
    "gongyi.funds",
    "gongyi.inkind",
    "gongyi.offline",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.weixin",
    "allauth.mfa",
    "gongyi.donors",
    "gongyi.backoffice",
    "gongyi.stories",
    "gongyi.reports",
    "gongyi.dashboard",
    "gongyi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gongyi.oversight.middleware.RegulatorReadOnlyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "gongyi.donors.wechat.silent.WechatSilentSignInMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

ROOT_URLCONF = "gongyi.urls"
WSGI_APPLICATION = "gongyi.wsgi.application"

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
            ],
        },
    },
]


def _database(url: str) -> dict:
    db = dj_database_url.parse(url, conn_max_age=0 if url.startswith("sqlite") else 60)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
        # read-then-write transactions cannot deadlock on the lock upgrade ("database is locked");
        # FULL because these are money records.
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=20000",
        }
        # Tests use a file, not :memory:, so threads and processes share one real database.
        db["TEST"] = {"NAME": os.environ.get("GONGYI_TEST_SQLITE") or str(CONFIG.data_dir / "test.sqlite3")}
    else:
        db.setdefault("OPTIONS", {})
    return db


DATABASES = {"default": _database(CONFIG.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = CONFIG.data_dir / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = CONFIG.data_dir / "media"

LOGIN_URL = "/admin/login/"

from gongyi.donors.auth_settings import *  # noqa: E402,F403 - allauth's settings live with the donors app

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CONFIG.production
CSRF_COOKIE_SECURE = CONFIG.production
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "gongyi",
    "filename": str(CONFIG.data_dir / "huey.sqlite3"),
    # Explicit: djhuey otherwise runs tasks inline whenever DEBUG is on.
    "immediate": CONFIG.huey_immediate,
    "consumer": {"workers": 2, "worker_type": "thread"},
}
if CONFIG.redis_url:
    HUEY = {**HUEY, "huey_class": "huey.RedisHuey", "url": CONFIG.redis_url}
    HUEY.pop("filename")

# The cache holds sign-in rate limits, allauth's used TOTP codes and the dashboard snapshot: with several server
# processes it must be shared (Redis), else each process counts on its own (check ``core.W001``).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CONFIG.redis_url, "KEY_PREFIX": "gongyi"}
        if CONFIG.redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "gongyi"}
    )
}

GONGYI = {
    "PUBLIC_BASE_URL": CONFIG.public_base_url,
    "SANDBOX_ENABLED": CONFIG.sandbox_enabled,
    "SANDBOX_KEY": CONFIG.sandbox_key,
    "DATA_DIR": CONFIG.data_dir,
    # An order not paid within this time may be closed by the stuck-order sweep.
    "ORDER_TTL_MINUTES": int(os.environ.get("GONGYI_ORDER_TTL_MINUTES", "30")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GONGYI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

GONGYI_NAMED_FUND_MINIMUM_FEN = int(os.environ.get("GONGYI_NAMED_FUND_MINIMUM_FEN", "20000000"))
GONGYI_NAMED_FUND_YEARLY_PERCENT = int(os.environ.get("GONGYI_NAMED_FUND_YEARLY_PERCENT", "20"))
GONGYI_NAMED_FUND_COMMITMENT_YEARS = int(os.environ.get("GONGYI_NAMED_FUND_COMMITMENT_YEARS", "3"))
GONGYI_FEDERATION_USCC = os.environ.get("GONGYI_FEDERATION_USCC", "")
GONGYI_EXPENDITURE_APPROVALS = int(os.environ.get("GONGYI_EXPENDITURE_APPROVALS", "2"))
