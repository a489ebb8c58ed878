"""Flask-Login wiring: the session version in the user id ends old sessions."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from portal.extensions import db
from portal.htmx import is_htmx, with_htmx_redirect


@cache
def _user_by_id() -> sa.Select:
    """The logged-in user's statement, built once: every request of a logged-in person
    runs it, and building it cost more than running it."""
    from portal.auth.models import User

    return sa.select(User).where(User.id == sa.bindparam("user_id", type_=sa.Integer))


def init_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):

        ident, _, version = user_id.partition(":")
        if not ident.isdigit() or not version.isdigit():
            return None
        user = db.session.scalar(_user_by_id(), {"user_id": int(ident)})
        if user is None or user.disabled or user.session_version != int(version):
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        target = url_for("auth.login", next=request.full_path.rstrip("?"))
        if is_htmx():
            return with_htmx_redirect(target)
        return redirect(target)
