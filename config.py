"""Configuration classes, read from the environment.

`SHANZHI_ENV` picks the class (development, testing, production); `DATABASE_URL`
picks the database, by default a SQLite file in `instance/`.

`SECRET_KEY` signs the session and remember-me cookies. No key written in this source
ever signs a cookie for people: production refuses to start without the variable, and
development (`make run`) generates a random key once and keeps it in
`instance/secret_key` (mode 600, ignored by git). Only the test suite uses a fixed key.

`SITE_URL` is the site's address as people reach it (`https://shanzhi.example.cn`):
every absolute URL (Atom feeds, the QR codes on posters, printed slips) is built on it,
never on the request's Host header, and requests for any other host are refused
(`TRUSTED_HOSTS`, its host by default). Production refuses to start without it.
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


def host_list(raw: str | None) -> list[str] | None:
    """`TRUSTED_HOSTS` as people write it: host names separated by commas or spaces."""
    hosts = [host for host in (raw or "").replace(",", " ").split() if host]
    return hosts or None


class Config:
    # Unset: generated once and kept in instance/secret_key (portal.create_app).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    # The site's address, scheme and host (and port): the base of every absolute URL.
    SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/")
    # Hosts a request may name; None accepts any. With SITE_URL set, its host is always
    # added; set this for the other names the site answers to (a health check's address).
    TRUSTED_HOSTS = host_list(os.environ.get("TRUSTED_HOSTS"))
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
    # Roster uploads waiting to be imported (`flask tick` runs what a restart left
    # queued); by default <instance>/roster-imports. Shared, like the attachments, when
    # several app servers run.
    ROSTER_IMPORT_DIR = os.environ.get("ROSTER_IMPORT_DIR") or None
    # Other uploads (board photos under photos/boards/), outside static/; by default the
    # instance folder. Shared storage when several app servers run.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or None

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")

    # Shared by every worker and host (redis://...): memory:// counts per process, so each
    # worker would grant its own five tries. Production refuses memory:// unless
    # RATELIMIT_ALLOW_MEMORY=1 says only one process ever serves (portal.check_config).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    RATELIMIT_ALLOW_MEMORY = os.environ.get("RATELIMIT_ALLOW_MEMORY") == "1"
    # Prepended to every limiter key: several sites (or test runs) can share one Redis.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "5 per minute"
    # Wrong reset codes 重设码 a person (and an address) may try in a while, as for logins.
    RESET_RATE_LIMIT = "5 per minute"

    # Pages, compressed as they are made. Static files never reach Flask-Compress:
    # WhiteNoise serves them, compressed once by `make setup` (portal/assets.py).
    COMPRESS_MIMETYPES = ["text/html", "application/atom+xml"]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIN_SIZE = 500
    # The fingerprinted copies of static/ and their manifest; by default static/build.
    STATIC_BUILD_DIR = None
    # Seconds a browser keeps a static file asked for by its plain name (a favicon); the
    # fingerprinted names are kept a year.
    STATIC_MAX_AGE = 600

    PROXY_FIX = int(os.environ.get("PROXY_FIX", "0"))
    PAGE_SIZE = 20
    # Seconds a public page, as anonymous visitors see it, is served from memory.
    PAGE_CACHE_SECONDS = float(os.environ.get("PAGE_CACHE_SECONDS", "5"))
    HSTS = False
    # A deployment that serves people: it refuses to start without SECRET_KEY and SITE_URL.
    PRODUCTION = False


class DevelopmentConfig(Config):
    DEBUG = False
    # `make run` serves on 127.0.0.1: any other Host header is refused.
    TRUSTED_HOSTS = Config.TRUSTED_HOSTS or ["127.0.0.1", "localhost"]


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SITE_URL = ""
    TRUSTED_HOSTS = None
    SQLALCHEMY_DATABASE_URI = database_url("sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    COMPRESS_REGISTER = False
    PAGE_CACHE_SECONDS = 0


class ProductionConfig(Config):
    # Both required: create_app refuses to start without them.
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True
    PRODUCTION = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    return CONFIGS[name or os.environ.get("SHANZHI_ENV", "development")]
