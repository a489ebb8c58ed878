"""善治 Shanzhi: a public portal for village self-governance."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Request, Response
from werkzeug.exceptions import SecurityError
from werkzeug.routing import MapAdapter

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY_FILE = "secret_key"


class Portal(Flask):
    """Flask, with every absolute URL built on the configured site address (`SITE_URL`),
    never on the Host header a request happens to carry: a feed, a poster's QR code or
    a printed slip names the real site whoever asked for it first."""

    site_scheme: str | None = None
    site_host: str | None = None

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        adapter = super().create_url_adapter(request)
        if self.site_host is None:
            return adapter
        if adapter is None:
            return self.url_map.bind(
                self.site_host,
                script_name=self.config["APPLICATION_ROOT"],
                url_scheme=self.site_scheme,
            )
        adapter.server_name = self.site_host
        adapter.url_scheme = self.site_scheme
        return adapter


def create_app(config: str | dict | None = None) -> Flask:
    """Build the app. `config` is a config class name, or a dict of overrides for tests."""
    from config import config_for

    app = Portal(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    name = config if isinstance(config, str) else None
    if isinstance(config, dict) and config.get("TESTING"):
        name = "testing"
    app.config.from_object(config_for(name))
    if isinstance(config, dict):
        app.config.update(config)
    check_config(app)

    register_extensions(app)
    register_hosts(app)
    register_security(app)
    register_static(app)
    register_templating(app)
    register_blueprints(app)
    register_commands(app)
    return app


def check_config(app: Portal) -> None:
    """Refuse to serve people without a secret key of the site's own (and, in production,
    without its address, or with login limits each worker process counts for itself);
    derive the hosts it answers to from that address."""
    production = app.config.get("PRODUCTION") and not app.testing
    if not app.config.get("SECRET_KEY"):
        if production:
            raise RuntimeError("SECRET_KEY must be set in the environment in production.")
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    site = app.config.get("SITE_URL") or ""
    if site:
        parts = urlsplit(site)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RuntimeError(
                "SITE_URL must be the site's address, like https://shanzhi.example.cn"
            )
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise RuntimeError("SITE_URL must be a scheme and a host (and port), without a path.")
        app.site_scheme, app.site_host = parts.scheme, parts.netloc
        hosts = list(app.config.get("TRUSTED_HOSTS") or [])
        if parts.hostname not in hosts:
            hosts.append(parts.hostname)
        app.config["TRUSTED_HOSTS"] = hosts
    elif production:
        raise RuntimeError("SITE_URL must be set in the environment in production.")
    storage = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    shared_limits = not storage.startswith("memory://") or app.config.get("RATELIMIT_ALLOW_MEMORY")
    if production and not shared_limits:
        # Each worker process would keep its own counts: with four workers, four times
        # the login attempts the limit allows (SECURITY.md row 7).
        raise RuntimeError(
            "RATELIMIT_STORAGE_URI must name a store every worker shares (redis://...) in"
            " production; set RATELIMIT_ALLOW_MEMORY=1 only if a single process serves."
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.instance_path).mkdir(exist_ok=True)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def instance_secret_key(folder: Path) -> str:
    """The key this instance signs its cookies with when `SECRET_KEY` is unset: random,
    made once and kept in `instance/secret_key`, readable by its owner only.

    The file is written whole under another name and then linked into place, so workers
    starting together all end up with the one key the first of them made.
    """
    folder.mkdir(exist_ok=True)
    path = folder / SECRET_KEY_FILE
    if not path.exists():
        draft = folder / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key: delete it to have a new one made.")
    return key


def register_extensions(app: Flask) -> None:
    from portal import database, models  # noqa: F401  (every table registered)
    from portal.extensions import babel, compress, csrf, db, htmx, limiter, login_manager, migrate
    from portal.i18n import select_locale

    db.init_app(app)
    database.configure(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    limiter.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)

    from portal.auth import sessions

    sessions.init_login(app, login_manager)


def register_hosts(app: Flask) -> None:
    """A request naming a host the site does not answer to (`TRUSTED_HOSTS`) gets a short
    400: it is refused before any page is looked up, so no page can be built for it."""

    @app.errorhandler(SecurityError)
    def unknown_host(error):
        body = "400 网址不对：本站不认识这个主机名。 Unknown host.\n"
        return Response(body, 400, mimetype="text/plain")


def register_security(app: Flask) -> None:
    from portal import security

    security.init_app(app)


def register_static(app: Flask) -> None:
    """/static/ is answered by WhiteNoise in front of the app (portal/assets.py)."""
    from portal import assets

    assets.init_app(app)


def register_templating(app: Flask) -> None:
    from portal import pagecache, templating

    templating.init_app(app)
    # Registered after the security headers and compression: it keeps a page before
    # they are applied, and they are applied again to every page it serves.
    pagecache.init_app(app)


def register_blueprints(app: Flask) -> None:
    from portal.admin.views import bp as admin_bp
    from portal.audit.views import bp as audit_bp
    from portal.auth import console  # noqa: F401  (its routes join the console's blueprint)
    from portal.auth.views import bp as auth_bp
    from portal.boards.appeal_views import bp as board_appeals_bp
    from portal.boards.console import bp as boards_manage_bp
    from portal.boards.views import bp as boards_bp
    from portal.manage.views import bp as manage_bp
    from portal.nominations.console import bp as nominations_manage_bp
    from portal.nominations.views import bp as nominations_bp
    from portal.notices.posters import bp as posters_bp
    from portal.notices.schedule_views import bp as disclosure_bp
    from portal.notices.views import bp as notices_bp
    from portal.points.books import bp as points_books_bp
    from portal.points.console import bp as points_console_bp
    from portal.points.shop_views import bp as shop_bp
    from portal.points.views import bp as points_bp
    from portal.public.views import bp as public_bp
    from portal.publicity.views import bp as publicity_bp
    from portal.rules import paper  # noqa: F401  (its routes join rules_manage_bp)
    from portal.rules.console import bp as rules_manage_bp
    from portal.rules.views import bp as rules_bp
    from portal.search.views import bp as search_bp
    from portal.settings.views import bp as settings_bp
    from portal.town.views import bp as town_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(town_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(rules_bp)
    app.register_blueprint(rules_manage_bp)
    app.register_blueprint(posters_bp)
    app.register_blueprint(disclosure_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(publicity_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(boards_bp)
    app.register_blueprint(boards_manage_bp)
    app.register_blueprint(board_appeals_bp)
    app.register_blueprint(nominations_bp)
    app.register_blueprint(nominations_manage_bp)
    app.register_blueprint(points_bp)
    app.register_blueprint(points_console_bp)
    app.register_blueprint(points_books_bp)
    app.register_blueprint(shop_bp)


def register_commands(app: Flask) -> None:
    from portal import cli

    cli.init_app(app)
