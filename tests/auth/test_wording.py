"""What the forms and slips tell people: the 户籍 name, which field is wrong, what was
kept, and why they were sent to log in."""

from __future__ import annotations

import re

from portal.auth.models import Role
from tests.auth.conftest import GOOD_PASSWORD, registration
from tests.conftest import login_as
from tests.factories import official


def test_a_refused_registration_names_the_wrong_field_and_keeps_the_rest(
    client, hubin, person_code
):
    data = registration(invite_code="HBP0001", name="王小明", phone="13912345678")
    response = client.post("/register", data=data)
    assert response.status_code == 422
    summary = response.text.split('<div class="form-errors" role="alert">')[1].split("</div>")[0]
    assert '<a href="#name-field">姓名</a>' in summary and "户籍上的姓名" in summary
    assert "phone-field" not in summary  # only the wrong field is named
    assert "其他内容都保留着" in summary and "密码没有保留" in summary
    for kept in ('value="HBP0001"', 'value="王小明"', 'value="13912345678"'):
        assert kept in response.text
    assert GOOD_PASSWORD not in response.text  # passwords are never sent back
    assert "请重新输入" in response.text.split('id="password-field"')[1]


def test_the_summary_in_english(client, hubin):
    client.set_cookie("lang", "en")
    response = client.post("/register", data=registration(phone="abc", village="hubin"))
    assert response.status_code == 422
    assert "Please correct the problems marked below:" in response.text
    assert re.search(r'<a href="#phone-field">[^<]+</a>: ', response.text)


def test_the_invite_slip_asks_for_the_name_in_the_household_register(client, hubin, person_code):
    login_as(client, official(Role.COMMITTEE, village=hubin))
    slip = client.get(f"/v/hubin/manage/invites/print?ids={person_code.id}")
    assert slip.status_code == 200 and "户籍上的名字" in slip.text


def test_the_login_page_has_no_login_link_of_its_own(client):
    page = client.get("/login").text
    header = page.split("</header>")[0]
    assert 'class="account-link"' not in header
    assert 'class="account-link"' in client.get("/").text  # other pages keep it


def test_sent_to_log_in_from_a_protected_page_says_why(client):
    redirected = client.get("/account")
    assert redirected.status_code == 302
    page = client.get(redirected.headers["Location"]).text
    assert "请先登录" in page
    assert "请先登录" not in client.get("/login").text  # a plain visit says nothing of it
    client.set_cookie("lang", "en")
    client.get("/account")
    assert "Please log in" in client.get("/login?next=/account").text
