"""Login, logout, registration and the account page."""

from __future__ import annotations

from flask import Blueprint

from portal.auth.access import login_required, public

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    return "login"


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    return "register"


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    return "account"
