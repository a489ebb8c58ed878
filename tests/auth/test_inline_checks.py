"""Inline validation of the phone number and the invite code: htmx fragments and plain pages."""

from __future__ import annotations

import pytest

from tests.auth.conftest import user_count
from tests.conftest import htmx_headers
from tests.factories import UserFactory


def test_phone_check_fragment_for_a_good_number(client, hubin):
    response = client.post(
        "/register/check-phone",
        data={"phone": "139 1234 5678"},
        headers=htmx_headers("phone-check"),
    )
    assert response.status_code == 200
    assert "这个手机号可以注册" in response.text
    assert "<html" not in response.text and "<form" not in response.text
    assert len(response.data) < 4096
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("phone", "message"),
    [("1391234567", "请填写11位手机号码"), ("", "请填写手机号"), ("13811112222", "已经注册过了")],
)
def test_phone_check_fragment_for_a_bad_number(client, hubin, phone, message):
    UserFactory(phone="13811112222", name="不该出现的名字")
    response = client.post(
        "/register/check-phone", data={"phone": phone}, headers=htmx_headers("phone-check")
    )
    assert response.status_code == 422
    assert message in response.text
    assert '<p class="error">' in response.text
    assert "<html" not in response.text
    assert "不该出现的名字" not in response.text


def test_phone_check_without_htmx_renders_the_whole_page(client, hubin):
    response = client.post("/register/check-phone", data={"phone": "12"})
    assert response.status_code == 422
    assert "<html" in response.text and "请填写11位手机号码" in response.text


def test_invite_check_fragment_names_village_and_door_but_no_person(client, hubin, person_code):
    response = client.post(
        "/register/check-invite",
        data={"invite_code": "hbp0001", "village": ""},
        headers=htmx_headers("invite-check"),
    )
    assert response.status_code == 200
    assert "邀请码有效：湖滨村 12号" in response.text
    assert "<html" not in response.text
    assert "王建国" not in response.text and "李秀英" not in response.text


def test_household_invite_check_lists_no_names(client, hubin, household_code):
    response = client.post(
        "/register/check-invite",
        data={"invite_code": "HBH0001"},
        headers=htmx_headers("invite-check"),
    )
    assert response.status_code == 200
    assert "邀请码有效：湖滨村 12号" in response.text
    assert "王建国" not in response.text and "李秀英" not in response.text
    whole = client.post("/register/check-invite", data={"invite_code": "HBH0001"})
    assert "王建国" not in whole.text and "李秀英" not in whole.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"invite_code": "ZZZ9999"}, "没有这个邀请码"),
        ({"invite_code": "SQH0001", "village": "hubin"}, "这个邀请码不是湖滨村的"),
        ({"invite_code": "HBX0001"}, "这个邀请码已过期"),
    ],
)
def test_invite_check_fragment_for_bad_codes(
    client, hubin, foreign_code, expired_code, data, message
):
    response = client.post(
        "/register/check-invite", data=data, headers=htmx_headers("invite-check")
    )
    assert response.status_code == 422
    assert message in response.text
    assert "<html" not in response.text
    assert "赵大山" not in response.text


def test_invite_check_for_a_used_code(client, hubin, person_code):
    from tests.auth.conftest import registration

    client.post("/register", data=registration(invite_code="HBP0001"))
    client.post("/logout")
    response = client.post(
        "/register/check-invite",
        data={"invite_code": "HBP0001"},
        headers=htmx_headers("invite-check"),
    )
    assert response.status_code == 422
    assert "这个邀请码已经用过了" in response.text


def test_invite_check_without_htmx_renders_the_whole_page(client, hubin, person_code):
    response = client.post("/register/check-invite", data={"invite_code": "HBP0001"})
    assert response.status_code == 200
    assert "<html" in response.text and "邀请码有效：湖滨村 12号" in response.text


@pytest.mark.parametrize("path", ["/register/check-phone", "/register/check-invite"])
def test_checks_refuse_a_request_without_csrf_token(client, hubin, path):
    response = client.post(
        path, data={"phone": "13912345678", "invite_code": "X"}, headers=htmx_headers(), csrf=False
    )
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/register/check-phone", "/register/check-invite"])
def test_checks_accept_the_token_in_the_header_as_htmx_sends_it(client, hubin, path):
    response = client.post(
        path,
        data={"phone": "13912345678", "invite_code": "X"},
        headers=htmx_headers("phone-check"),
        csrf="header",
    )
    assert response.status_code in (200, 422)


@pytest.mark.parametrize("path", ["/register/check-phone", "/register/check-invite"])
def test_checks_write_nothing(client, hubin, person_code, path):
    client.post(path, data={"phone": "13912345678", "invite_code": "HBP0001"})
    assert user_count() == 0


def test_checks_are_rate_limited(client, hubin, app):
    app.config["CHECK_RATE_LIMIT"] = "3 per minute"
    codes = [
        client.post(
            "/register/check-invite",
            data={"invite_code": f"GUESS{i}"},
            headers=htmx_headers("invite-check"),
        ).status_code
        for i in range(4)
    ]
    assert codes == [422, 422, 422, 429]


def test_invite_check_with_no_code_says_nothing(client, hubin):
    response = client.post(
        "/register/check-invite", data={"invite_code": " "}, headers=htmx_headers("invite-check")
    )
    assert response.status_code == 200
    assert "error" not in response.text and "ok" not in response.text
