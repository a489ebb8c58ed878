"""Configuration classes, read from the environment.

`SHANZHI_ENV` picks the class (development, testing, production); `DATABASE_URL`
picks the database, by default a SQLite file in `instance/`.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL") or default
    # Hosting platforms still hand out the old scheme SQLAlchemy no longer accepts.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{BASE_DIR / 'instance' / 'shanzhi.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_RECORD_QUERIES = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30

    WTF_CSRF_TIME_LIMIT = None
    # A request over this is refused before it is read (413, with a clear message);
    # each notice attachment is further capped, read no further than its cap.
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
    # Notice attachments, outside static/; by default <instance>/attachments.
    ATTACHMENT_DIR = os.environ.get("ATTACHMENT_DIR") or None

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "5 per minute"

    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/atom+xml",
        "image/svg+xml",
    ]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIN_SIZE = 500

    PROXY_FIX = int(os.environ.get("PROXY_FIX", "0"))
    PAGE_SIZE = 20
    # Seconds a public page, as anonymous visitors see it, is served from memory.
    PAGE_CACHE_SECONDS = float(os.environ.get("PAGE_CACHE_SECONDS", "5"))
    HSTS = False


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = database_url("sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    COMPRESS_REGISTER = False
    PAGE_CACHE_SECONDS = 0


class ProductionConfig(Config):
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    return CONFIGS[name or os.environ.get("SHANZHI_ENV", "development")]
