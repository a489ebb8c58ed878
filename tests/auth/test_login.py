"""Login, the failed-attempt limit, safe ?next=, logout and session cookies."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from portal.auth.models import LoginSession
from portal.auth.passwords import needs_rehash
from portal.auth.sessions import token_hash
from portal.extensions import db
from tests.auth.conftest import user_by_phone
from tests.factories import PASSWORD, UserFactory, villager

WRONG = "手机号或密码不对，请重新输入。"


@pytest.fixture
def person(app):
    """An account with no village: after login it lands on /."""
    return UserFactory(phone="13600000001", name="刘一")


def login(client, phone, password=PASSWORD, next=None, **kwargs):
    url = "/login" + (f"?next={next}" if next is not None else "")
    return client.post(url, data={"phone": phone, "password": password}, **kwargs)


def test_login_page(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="phone"' in page.text and 'type="password"' in page.text


def test_login_success_goes_to_own_village(client, hubin):
    user = villager(hubin)
    response = login(client, user.phone)
    assert response.status_code == 303
    assert response.headers["Location"] == "/v/hubin/"
    account = client.get("/account")
    assert account.status_code == 200 and user.name in account.text


def test_login_without_village_goes_home(client, person):
    response = login(client, person.phone)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_boosted_login_redirects_and_htmx_login_uses_hx_redirect(client, person):
    boosted = login(client, person.phone, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 303
    client.post("/logout")
    htmx = login(client, person.phone, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and htmx.headers["HX-Redirect"] == "/"


def test_session_cookie_is_httponly_and_lax(client, person):
    response = login(client, person.phone)
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies
    assert "HttpOnly" in cookies[0]
    assert "SameSite=Lax" in cookies[0]


def test_remember_cookie_is_httponly_and_lax(client, person):
    response = client.post(
        "/login", data={"phone": person.phone, "password": PASSWORD, "remember": "y"}
    )
    remember = [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    ]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]


def test_login_starts_a_new_session(client, person):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(client, person.phone)
    with client.session_transaction() as session:
        assert "planted" not in session
        ident, version, token = session["_user_id"].split(":")
    assert (ident, version) == (str(person.id), "1") and len(token) >= 32
    row = db.session.scalar(sa.select(LoginSession).where(LoginSession.user_id == person.id))
    assert row.token_hash == token_hash(token) and row.revoked_at is None


def test_wrong_password_and_unknown_phone_read_the_same(client, person):
    wrong_password = login(client, person.phone, password="not-the-password")
    unknown_phone = login(client, "13799999999")
    assert wrong_password.status_code == unknown_phone.status_code == 422
    assert WRONG in wrong_password.text and WRONG in unknown_phone.text
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"phone": "", "password": "x"}, "请填写手机号"),
        ({"phone": "12345", "password": "x"}, "请填写11位手机号码"),
        ({"phone": "13600000001", "password": ""}, "请填写密码"),
    ],
)
def test_incomplete_login_is_answered_clearly(client, person, data, message):
    response = client.post("/login", data=data)
    assert response.status_code == 422
    assert message in response.text


def test_disabled_user_cannot_log_in(client, person):
    person.disabled = True
    db.session.commit()
    response = login(client, person.phone)
    assert response.status_code == 422
    assert "这个账号已停用" in response.text
    assert client.get("/account").status_code == 302


def test_disabling_ends_an_open_session(client, person):
    login(client, person.phone)
    person.disabled = True
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_password_is_rehashed_when_parameters_change(client, person):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    person.password_hash = weak
    db.session.commit()
    assert needs_rehash(weak)
    assert login(client, person.phone).status_code == 303
    stored = user_by_phone(person.phone).password_hash
    assert stored != weak and stored.startswith("$argon2id$") and not needs_rehash(stored)


def test_sixth_bad_login_in_a_minute_is_refused(client, person):
    for _ in range(5):
        assert login(client, person.phone, password="wrong-password-1").status_code == 422
    sixth = login(client, person.phone, password="wrong-password-1")
    assert sixth.status_code == 429
    assert "登录失败的次数太多了" in sixth.text
    # Even the right password waits out the minute.
    assert login(client, person.phone).status_code == 429


def test_limit_counts_per_phone_across_addresses(client, person):
    for i in range(5):
        response = login(
            client, person.phone, password="wrong", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}
        )
        assert response.status_code == 422
    sixth = login(client, person.phone, password="wrong", environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert sixth.status_code == 429


def test_limit_counts_per_address_across_phones(client, person):
    for i in range(5):
        assert login(client, f"1370000000{i}", password="wrong").status_code == 422
    assert login(client, "13700000009", password="wrong").status_code == 429


def test_good_logins_are_not_counted(client, person):
    for _ in range(8):
        assert login(client, person.phone).status_code == 303
        client.post("/logout")
    for _ in range(5):
        assert login(client, person.phone, password="wrong").status_code == 422
    assert login(client, person.phone, password="wrong").status_code == 429


def test_limit_comes_from_config(client, person, app):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    login(client, person.phone, password="wrong")
    login(client, person.phone, password="wrong")
    assert login(client, person.phone, password="wrong").status_code == 429


@pytest.mark.parametrize(
    "target",
    ["https://evil.tld", "//evil.tld", "/\\evil.tld", "https:evil.tld", "javascript:alert(1)"],
)
def test_open_redirects_land_on_home(client, person, target):
    from urllib.parse import quote

    response = login(client, person.phone, next=quote(target, safe=""))
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_open_redirect_is_not_echoed_into_the_form(client):
    page = client.get("/login?next=https://evil.tld")
    assert 'action="/login"' in page.text


def test_relative_next_is_kept(client, person, hubin):
    page = client.get("/login?next=/v/hubin/%3Fpage%3D2")
    assert "next=/v/hubin/?page%3D2" in page.text or "next=%2Fv%2Fhubin%2F%3Fpage%3D2" in page.text
    response = login(client, person.phone, next="/v/hubin/%3Fpage%3D2")
    assert response.headers["Location"] == "/v/hubin/?page=2"


def test_logged_in_visit_to_login_moves_on(client, person):
    login(client, person.phone)
    response = client.get("/login?next=/account")
    assert response.status_code == 302 and response.headers["Location"] == "/account"


def test_logout_by_get_is_refused(client, person):
    login(client, person.phone)
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_logout_by_post(client, person):
    login(client, person.phone)
    page = client.get("/account")
    assert 'action="/logout"' in page.text
    response = client.post("/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    after = client.get("/account")
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_logout_without_csrf_token_is_refused(client, person):
    login(client, person.phone)
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/account").status_code == 200


def test_header_offers_logout_to_a_logged_in_person(client, person):
    assert 'action="/logout"' not in client.get("/").text
    login(client, person.phone)
    home = client.get("/")
    assert 'class="logout-form"' in home.text and 'action="/logout"' in home.text


def test_logout_also_ends_a_remember_me_login(client, person):
    client.post("/login", data={"phone": person.phone, "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token", domain="localhost") is not None
    client.post("/logout")
    assert client.get_cookie("remember_token", domain="localhost") is None
    assert client.get("/account").status_code == 302
