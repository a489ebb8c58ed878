"""Each login is a record its cookies name: logging out ends it wherever a copy is.

SECURITY.md row 9: a copied `session` or `remember_token` cookie stops working at
logout, not only at logout-everywhere or a password change; the user is loaded with
its login in one statement.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from portal.auth.models import LoginSession
from portal.auth.sessions import token_hash
from portal.extensions import db
from tests.auth.conftest import GOOD_PASSWORD
from tests.factories import PASSWORD, count, villager
from tests.statements import statements


def log_in(client, user, remember=False):
    data = {"phone": user.phone, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 303


def copy_cookie(source, target, name: str) -> None:
    cookie = source.get_cookie(name, domain="localhost")
    assert cookie is not None, name
    target.set_cookie(name, cookie.value, domain="localhost")


def test_a_copied_session_cookie_dies_with_the_logout(app, client, hubin):
    user = villager(hubin)
    log_in(client, user)
    thief = app.test_client()
    copy_cookie(client, thief, "session")
    assert thief.get("/account").status_code == 200

    assert client.post("/logout").status_code == 303
    assert thief.get("/account").status_code == 302
    row = db.session.scalar(sa.select(LoginSession).where(LoginSession.user_id == user.id))
    assert row.revoked_at is not None


def test_a_copied_remember_cookie_dies_with_the_logout(app, client, hubin):
    user = villager(hubin)
    log_in(client, user, remember=True)
    thief = app.test_client()
    copy_cookie(client, thief, "remember_token")
    assert thief.get("/account").status_code == 200  # the remember cookie alone logs in

    client.post("/logout")
    fresh = app.test_client()
    copy_cookie(thief, fresh, "remember_token")
    assert fresh.get("/account").status_code == 302
    thief.delete_cookie("session", domain="localhost")
    assert thief.get("/account").status_code == 302


def test_logging_out_one_login_keeps_the_others(app, client, hubin):
    user = villager(hubin)
    log_in(client, user)
    phone = app.test_client()
    log_in(phone, user)
    client.post("/logout")
    assert phone.get("/account").status_code == 200
    assert count(LoginSession, LoginSession.revoked_at.is_(None)) == 1


def test_the_cookie_holds_a_token_the_database_keeps_only_hashed(client, hubin):
    user = villager(hubin)
    log_in(client, user)
    with client.session_transaction() as session:
        ident, version, token = session["_user_id"].split(":")
    stored = db.session.scalar(sa.select(LoginSession.token_hash))
    assert stored == token_hash(token) and token not in stored
    assert (ident, version) == (str(user.id), "1")


def test_a_forged_or_old_style_cookie_is_refused(client, hubin):
    user = villager(hubin)
    log_in(client, user)
    for forged in (f"{user.id}:1", f"{user.id}:1:", f"{user.id}:1:made-up-token", "x:1:y"):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/account").status_code == 302, forged


def test_the_user_and_their_login_come_in_one_statement(client, hubin):
    user = villager(hubin)
    log_in(client, user)
    with statements() as seen:
        client.get("/account")
    users = [s for s in seen if "password_hash" in s]  # statements that load the account
    assert len(users) == 1 and re.search(r"JOIN login_session", users[0])


def test_password_change_ends_every_other_login(app, client, hubin):
    user = villager(hubin)
    log_in(client, user)
    other = app.test_client()
    log_in(other, user, remember=True)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 303
    assert client.get("/account").status_code == 200
    other.delete_cookie("session", domain="localhost")
    assert other.get("/account").status_code == 302
    assert count(LoginSession, LoginSession.revoked_at.is_(None)) == 1


def test_logout_everywhere_revokes_every_login(app, client, hubin):
    user = villager(hubin)
    log_in(client, user)
    log_in(app.test_client(), user)
    client.post("/account/logout-everywhere")
    assert count(LoginSession, LoginSession.revoked_at.is_(None)) == 0
