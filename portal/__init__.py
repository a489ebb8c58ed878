"""善治 Shanzhi: a public portal for village self-governance."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | dict | None = None) -> Flask:
    """Build the app. `config` is a config class name, or a dict of overrides for tests."""
    from config import config_for

    app = Flask(
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
    register_security(app)
    register_templating(app)
    register_blueprints(app)
    register_commands(app)
    return app


def check_config(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment in production.")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.instance_path).mkdir(exist_ok=True)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


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


def register_security(app: Flask) -> None:
    from portal import security

    security.init_app(app)


def register_templating(app: Flask) -> None:
    from portal import pagecache, templating

    templating.init_app(app)
    # Registered after the security headers and compression: it keeps a page before
    # they are applied, and they are applied again to every page it serves.
    pagecache.init_app(app)


def register_blueprints(app: Flask) -> None:
    from portal.admin.views import bp as admin_bp
    from portal.audit.views import bp as audit_bp
    from portal.auth.views import bp as auth_bp
    from portal.manage.views import bp as manage_bp
    from portal.notices.posters import bp as posters_bp
    from portal.notices.schedule_views import bp as disclosure_bp
    from portal.notices.views import bp as notices_bp
    from portal.public.views import bp as public_bp
    from portal.rules import paper  # noqa: F401  (its routes join rules_manage_bp)
    from portal.rules.console import bp as rules_manage_bp
    from portal.rules.views import bp as rules_bp
    from portal.search.views import bp as search_bp
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


def register_commands(app: Flask) -> None:
    from portal import cli

    cli.init_app(app)
