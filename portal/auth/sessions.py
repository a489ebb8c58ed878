"""Flask-Login wiring: each login is a row the cookie names, so logging out ends it.

A login's cookie (the session, and the remember-me cookie when asked for) carries
`get_id()`: the user's id, their session version and the login's random token. The
database keeps only the token's sha256 (`LoginSession.token_hash`). The one statement
that loads the logged-in user on every request checks all three: the login not
revoked (logout), the version current (logout everywhere, a new password), the account
not disabled. A copied cookie stops working the moment its login is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

import sqlalchemy as sa
from flask import Flask, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from portal import clock
from portal.actions import unit_of_work
from portal.auth.models import WORK_ROLES, LoginSession, RoleGrant, User
from portal.extensions import db
from portal.htmx import is_htmx, with_htmx_redirect

TOKEN_MAX = 64


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_login(user) -> str:
    """Record a new login for `user` and give them its token (read back by `get_id()`);
    the caller then hands `user` to `login_user`. One write of its own."""
    token = secrets.token_urlsafe(32)
    user_id = user.id
    with unit_of_work():
        db.session.add(LoginSession(user_id=user_id, token_hash=token_hash(token)))
    user.login_token = token
    return token


def end_login(user) -> None:
    """Revoke the login `user` came in with (logout): its cookies name nothing any more."""
    token = getattr(user, "login_token", None)
    if not token:
        return
    with unit_of_work():
        db.session.execute(
            sa.update(LoginSession)
            .where(
                LoginSession.user_id == user.id,
                LoginSession.token_hash == token_hash(token),
                LoginSession.revoked_at.is_(None),
            )
            .values(revoked_at=clock.now())
        )


def revoke_all_logins(user_id: int) -> None:
    """Revoke every login of the person; the caller's unit of work commits it."""
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


@cache
def _user_by_id() -> sa.Select:
    """The logged-in user's statement, built once: every request of a logged-in person
    runs it, and building it cost more than running it. The login it names must be
    there and not revoked; `has_work` says whether the person holds a role with a place
    of its own, for the header's link to it."""
    has_work = (
        sa.select(RoleGrant.id)
        .where(
            RoleGrant.user_id == User.id,
            RoleGrant.role.in_(WORK_ROLES),
            RoleGrant.revoked_at.is_(None),
        )
        .exists()
        .label("has_work")
    )
    return (
        sa.select(User, has_work)
        .join(
            LoginSession,
            sa.and_(
                LoginSession.user_id == User.id,
                LoginSession.token_hash == sa.bindparam("token_hash", type_=sa.String),
                LoginSession.revoked_at.is_(None),
            ),
        )
        .where(User.id == sa.bindparam("user_id", type_=sa.Integer))
    )


def user_for_cookie(user_id: str):
    """The user a cookie's `get_id()` names, if that login still stands; else None."""
    ident, _, rest = user_id.partition(":")
    version, _, token = rest.partition(":")
    if not (ident.isdigit() and version.isdigit() and token) or len(token) > TOKEN_MAX:
        return None
    row = db.session.execute(
        _user_by_id(), {"user_id": int(ident), "token_hash": token_hash(token)}
    ).first()
    if row is None:
        return None
    user, has_work = row
    if user.disabled or user.session_version != int(version):
        return None
    user.login_token = token
    user.has_work = bool(has_work)
    return user


def init_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(user_for_cookie)

    @login_manager.unauthorized_handler
    def unauthorized():
        # The login page then says why the person was sent there.
        flash(login_manager.login_message, login_manager.login_message_category)
        target = url_for("auth.login", next=request.full_path.rstrip("?"))
        if is_htmx():
            return with_htmx_redirect(target)
        return redirect(target)
