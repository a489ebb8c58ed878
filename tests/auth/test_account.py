"""The account page: status, roles, change password, log out everywhere."""

from __future__ import annotations

import pytest

from portal.auth.models import RegistrationStatus, Role
from portal.extensions import db
from tests.auth.conftest import user_by_phone
from tests.conftest import login_as
from tests.factories import PASSWORD, GridFactory, RoleGrantFactory, UserFactory, villager

NEW_PASSWORD = "autumn-rice-field-7"


def log_in(client, user, password=PASSWORD, **data):
    response = client.post("/login", data={"phone": user.phone, "password": password, **data})
    assert response.status_code == 303
    return response


def test_account_needs_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/account")


def test_account_shows_a_verified_villager_with_roles(client, hubin):
    user = villager(hubin)
    RoleGrantFactory(
        user=user,
        role=Role.GRID_WORKER,
        village=hubin,
        grid=GridFactory(village=hubin, name="第一网格"),
    )
    login_as(client, user)
    page = client.get("/account")
    assert page.status_code == 200
    for text in (user.name, user.phone, "湖滨村", "已核实", "村民", "网格员", "第一网格"):
        assert text in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_account_shows_a_pending_registration(client, hubin):
    user = UserFactory(village=hubin, claimed_door_number="8号", claimed_birth_year=1980)
    login_as(client, user)
    page = client.get("/account")
    assert "等待村委会核实" in page.text and "8号" in page.text and "1980" in page.text


def test_account_shows_a_refusal_with_its_reason(client, hubin):
    user = UserFactory(
        village=hubin, status=RegistrationStatus.REFUSED, refusal_reason="花名册上没有这一户"
    )
    login_as(client, user)
    page = client.get("/account")
    assert "未通过核实" in page.text and "花名册上没有这一户" in page.text


def test_change_password(client, app, hubin):
    user = villager(hubin)
    log_in(client, user)
    other = app.test_client()
    log_in(other, user)

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert client.get("/account").status_code == 200  # this session carries on
    assert other.get("/account").status_code == 302  # others end
    stored = user_by_phone(user.phone)
    assert stored.password_hash.startswith("$argon2id$")

    client.post("/logout")
    assert (
        client.post("/login", data={"phone": user.phone, "password": PASSWORD}).status_code == 422
    )
    log_in(client, user, password=NEW_PASSWORD)


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        (
            {
                "current_password": "not-my-password",
                "new_password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
            "现在的密码不对",
        ),
        (
            {"current_password": PASSWORD, "new_password": "short", "confirm": "short"},
            "密码至少要10个字符",
        ),
        (
            {"current_password": PASSWORD, "new_password": "qwertyuiop", "confirm": "qwertyuiop"},
            "这个密码太常见",
        ),
        (
            {
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirm": "something-else-1",
            },
            "两次输入的密码不一样",
        ),
        (
            {"current_password": PASSWORD, "new_password": PASSWORD, "confirm": PASSWORD},
            "新密码不能和现在的密码一样",
        ),
        (
            {"current_password": "", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "请填写现在的密码",
        ),
    ],
)
def test_change_password_refusals(client, hubin, data, field_message):
    user = villager(hubin)
    log_in(client, user)
    before = user_by_phone(user.phone)
    old_hash, old_version = before.password_hash, before.session_version
    response = client.post("/account/password", data=data)
    assert response.status_code == 422
    assert field_message in response.text
    after = user_by_phone(user.phone)
    assert (after.password_hash, after.session_version) == (old_hash, old_version)
    assert client.get("/account").status_code == 200


def test_change_password_with_the_phone_in_it_is_refused(client, hubin):
    user = villager(hubin)
    log_in(client, user)
    weak = f"ab{user.phone}"
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": weak, "confirm": weak},
    )
    assert response.status_code == 422 and "不能有手机号" in response.text


def test_change_password_by_get_is_refused(client, hubin):
    login_as(client, villager(hubin))
    assert client.get("/account/password").status_code == 405


def test_logout_everywhere_ends_every_session(client, app, hubin):
    user = villager(hubin)
    log_in(client, user)
    other = app.test_client()
    log_in(other, user, remember="y")
    assert other.get("/account").status_code == 200

    response = client.post("/account/logout-everywhere")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert "请重新登录" in client.get("/login").text
    assert user_by_phone(user.phone).session_version == 2

    stale = other.get("/account")
    assert stale.status_code == 302 and stale.headers["Location"].startswith("/login")
    # The remember-me cookie carries the old version too, and no longer works on its own.
    other.delete_cookie("session", domain="localhost")
    assert other.get_cookie("remember_token", domain="localhost") is not None
    assert other.get("/account").status_code == 302
    assert client.get("/account").status_code == 302


def test_logout_everywhere_by_get_or_without_token_is_refused(client, hubin):
    user = villager(hubin)
    log_in(client, user)
    assert client.get("/account/logout-everywhere").status_code == 405
    assert client.post("/account/logout-everywhere", csrf=False).status_code == 400
    db.session.rollback()
    assert user_by_phone(user.phone).session_version == 1
    assert client.get("/account").status_code == 200


def test_account_actions_need_login(client):
    for path in ("/account/password", "/account/logout-everywhere"):
        response = client.post(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_htmx_request_to_account_without_login_gets_hx_redirect(client):
    response = client.get("/account", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/login")
