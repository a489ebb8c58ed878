"""Template globals and filters shared by every page."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import cache
from pathlib import Path

from flask import Flask, g, has_app_context, url_for
from flask_babel import get_translations
from flask_login import current_user
from jinja2 import StrictUndefined
from markupsafe import Markup, escape

from portal import assets, errors, i18n, privacy, uploads


def init_app(app: Flask) -> None:
    if app.testing:
        # A name a template uses but no view passed fails the test that renders it,
        # instead of rendering as nothing: a partial rendered from a context built
        # apart from its page's is caught by the first test that swaps it.
        app.jinja_env.undefined = StrictUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["nav_endpoints"] = app.view_functions
    # The widths of the copies kept of each uploaded photo (templates/macros/photo.html).
    app.jinja_env.globals["rendition_widths"] = uploads.RENDITION_WIDTHS
    app.jinja_env.filters["date"] = i18n.format_date
    app.jinja_env.filters["datetime"] = i18n.format_datetime
    app.jinja_env.filters["list_of"] = i18n.list_of
    app.jinja_env.filters["iso"] = machine_time
    app.jinja_env.filters["zh"] = chinese_span
    app.jinja_env.globals["content_lang"] = content_lang
    # One rule for the names of people on every page (portal/privacy.py).
    app.jinja_env.globals["masked_name"] = privacy.mask_name
    app.jinja_env.globals["shown_name"] = privacy.shown_name
    app.jinja_env.globals["signed_name"] = privacy.signed_name
    # Flask-Babel's template callables look the request's catalogue up again for every
    # message (a page has a hundred or two); these look it up once per request.
    app.jinja_env.install_gettext_callables(
        lambda message: _translations().ugettext(message),
        lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, message: _translations().pgettext(context, message),
    )
    errors.init_app(app)
    static_root = Path(app.static_folder)
    manifest = assets.manifest_at(assets.build_folder(app))

    @cache
    def fingerprint(filename: str) -> str:
        path = static_root / filename
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        except OSError:
            return "0"

    def asset_url(filename: str) -> str:
        """The file's fingerprinted name from the set-up's build (`portal.assets`), which
        browsers keep for a year; without a build, the plain name with `?v=<hash>`, which
        `portal.assets.StaticFiles` sends with the same year's cache."""
        hashed = manifest.get(filename)
        if hashed is not None:
            return url_for("static", filename=f"{assets.BUILD}/{hashed}")
        return url_for("static", filename=filename, v=fingerprint(filename))

    @app.context_processor
    def globals_for_templates():
        return {
            "asset_url": asset_url,
            "html_lang": i18n.html_lang(),
            "is_english": i18n.is_english(),
            "current_village": g.get("village"),
            "nav_roles": _nav_roles(),
        }


def machine_time(value: date | datetime | None) -> str:
    """A `<time datetime>` value. Whole seconds: HTML takes at most three decimals, and a
    row written through the site carries microseconds."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.replace(microsecond=0)
    return value.isoformat()


def content_lang(text) -> Markup:
    """` lang="zh-Hans"` on an element holding what people wrote (a village's name, a
    notice, an article), when it is Chinese and the page around it is English; nothing
    on a Chinese page, which says zh-Hans once on <html>."""
    if text and i18n.is_english() and i18n.has_chinese(str(text)):
        return Markup(' lang="zh-Hans"')
    return Markup("")


def chinese_span(text) -> Markup:
    """`text` escaped, in a `<span lang="zh-Hans">` on an English page if it is Chinese.
    For text in an element's content only, never in an attribute."""
    value = escape(text if text is not None else "")
    attribute = content_lang(text)
    return Markup(f"<span{attribute}>{value}</span>") if attribute else value


def _translations():
    """The request's catalogue, fetched once and kept in `g` (one app context per request)."""
    if not has_app_context():
        return get_translations()
    translations = g.get("_translations")
    if translations is None:
        translations = g._translations = get_translations()
    return translations


def _nav_roles() -> set:
    village = g.get("village")
    if village is None or not current_user.is_authenticated:
        return set()
    from portal.auth.access import roles_in_village

    return roles_in_village(current_user, village)
