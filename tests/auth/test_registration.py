"""Registration with a person's code, a household's code, or none (the verification queue)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.auth.models import InviteCode, RegistrationStatus, Role, RoleGrant
from portal.extensions import db
from tests.auth.conftest import GOOD_PASSWORD, registration, user_by_phone, user_count
from tests.factories import UserFactory


def invite(code: str) -> InviteCode:
    db.session.rollback()
    return db.session.scalar(sa.select(InviteCode).where(InviteCode.code == code))


def villager_grants(user) -> list[RoleGrant]:
    return list(
        db.session.scalars(
            sa.select(RoleGrant).where(
                RoleGrant.user_id == user.id, RoleGrant.role == Role.VILLAGER
            )
        )
    )


def test_register_page_lists_villages_and_preselects_from_query(client, hubin, other_village):
    page = client.get("/register?village=hubin")
    assert page.status_code == 200
    assert '<option selected value="hubin">' in page.text
    assert "山前村" in page.text
    assert 'hx-post="/register/check-phone"' in page.text
    assert 'hx-post="/register/check-invite"' in page.text


def test_person_code_registers_a_verified_villager_and_spends_the_code(client, hubin, person_code):
    response = client.post("/register", data=registration(invite_code="hbp-0001"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account")

    user = user_by_phone("13912345678")
    assert user.status == RegistrationStatus.VERIFIED
    assert user.resident_id == person_code.resident_id
    assert user.village_id == hubin.id
    assert user.is_verified
    grants = villager_grants(user)
    assert [(g.role, g.village_id) for g in grants] == [(Role.VILLAGER, hubin.id)]
    code = invite("HBP0001")
    assert code.used_at is not None and code.used_by_id == user.id

    account = client.get("/account")
    assert account.status_code == 200
    assert "王建国" in account.text and "已核实" in account.text


def test_household_code_is_spent_when_every_member_has_an_account(client, hubin, household_code):
    first = client.post(
        "/register", data=registration(invite_code="HBH0001", name="李秀英", phone="13900000001")
    )
    assert first.status_code == 303
    user = user_by_phone("13900000001")
    assert user.is_verified and user.resident.name == "李秀英"
    assert invite("HBH0001").used_at is None  # 王建国 can still use it

    client.post("/logout")
    second = client.post(
        "/register", data=registration(invite_code="HBH0001", name="王建国", phone="13900000002")
    )
    assert second.status_code == 303
    second_user = user_by_phone("13900000002")
    code = invite("HBH0001")
    assert code.used_at is not None and code.used_by_id == second_user.id


def test_household_code_refuses_a_member_who_already_has_an_account(client, hubin, household_code):
    client.post(
        "/register", data=registration(invite_code="HBH0001", name="李秀英", phone="13900000001")
    )
    client.post("/logout")
    before = user_count()
    again = client.post(
        "/register", data=registration(invite_code="HBH0001", name="李秀英", phone="13900000003")
    )
    assert again.status_code == 422
    assert "已经注册过了" in again.text
    assert user_count() == before


def test_registration_without_code_waits_in_the_village_queue(client, hubin):
    response = client.post(
        "/register",
        data=registration(
            village="hubin",
            name="陈小梅",
            door_number="8号",
            birth_year="1988",
            phone="13700000000",
        ),
    )
    assert response.status_code == 303
    user = user_by_phone("13700000000")
    assert user.status == RegistrationStatus.PENDING
    assert user.village_id == hubin.id
    assert user.resident_id is None
    assert (user.claimed_door_number, user.claimed_birth_year) == ("8号", 1988)
    assert villager_grants(user) == []
    assert not user.is_verified
    account = client.get("/account")
    assert "等待村委会核实" in account.text and "8号" in account.text


def test_registration_with_boosted_form_redirects(client, hubin, person_code):
    response = client.post(
        "/register",
        data=registration(invite_code="HBP0001"),
        headers={"HX-Request": "true", "HX-Boosted": "true"},
    )
    assert response.status_code == 303


def test_stored_password_hash_is_argon2id(client, hubin, person_code):
    client.post("/register", data=registration(invite_code="HBP0001"))
    assert user_by_phone("13912345678").password_hash.startswith("$argon2id$")


@pytest.fixture
def registered_phone(app):
    UserFactory(phone="13811112222")
    return "13811112222"


BAD_INPUTS = [
    ("malformed phone", {"phone": "1381234567"}, "请填写11位手机号码"),
    ("phone of a landline", {"phone": "02512345678"}, "请填写11位手机号码"),
    ("phone already registered", {"phone": "13811112222"}, "这个手机号已经注册过了"),
    ("unknown code", {"invite_code": "NOPE999"}, "没有这个邀请码"),
    ("used code", {"invite_code": "USED001"}, "这个邀请码已经用过了"),
    ("foreign code", {"invite_code": "SQH0001", "village": "hubin"}, "这个邀请码不是湖滨村的"),
    ("expired code", {"invite_code": "HBX0001"}, "这个邀请码已过期"),
    ("short password", {"password": "abc-12", "confirm": "abc-12"}, "密码至少要10个字符"),
    ("one character", {"password": "a" * 14, "confirm": "a" * 14}, "不能全是同一个字符"),
    (
        "digits only",
        {"password": "9081726354", "confirm": "9081726354"},
        "只有数字的密码至少要12位",
    ),
    ("the phone", {"password": "13912345678", "confirm": "13912345678"}, "不能有手机号"),
    ("contains phone", {"password": "x13912345678", "confirm": "x13912345678"}, "不能有手机号"),
    ("common", {"password": "Password123", "confirm": "Password123"}, "这个密码太常见"),
    ("mismatch", {"confirm": "green-tea-river-8"}, "两次输入的密码不一样"),
    ("no name", {"name": ""}, "请填写姓名"),
    ("name not in household", {"invite_code": "HBH0001", "name": "张三"}, "名册上没有叫“张三”的人"),
    (
        "wrong name for person",
        {"invite_code": "HBP0001", "name": "李秀英"},
        "姓名和这个邀请码登记的人对不上",
    ),
    ("no code, no village", {}, "请选择您所在的村"),
    ("no code, no door", {"village": "hubin", "birth_year": "1970"}, "请填写门牌号"),
    ("no code, no year", {"village": "hubin", "door_number": "3号"}, "请填写出生年份"),
    ("bad year", {"village": "hubin", "door_number": "3号", "birth_year": "65"}, "4位数的出生年份"),
    ("unknown village", {"village": "nowhere", "invite_code": "HBP0001"}, "没有这个村"),
]


@pytest.mark.parametrize(
    ("data", "message"), [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_input_is_answered_clearly_and_nothing_is_written(
    client,
    hubin,
    person_code,
    household_code,
    expired_code,
    foreign_code,
    registered_phone,
    data,
    message,
):
    from tests.factories import InviteCodeFactory, UserFactory

    used = InviteCodeFactory(
        household=person_code.household, code="USED001", used_by_id=UserFactory().id
    )
    used.used_at = used.created_at
    db.session.commit()
    before = user_count()
    codes_before = db.session.execute(
        sa.select(InviteCode.code, InviteCode.used_at).order_by(InviteCode.code)
    ).all()

    response = client.post("/register", data=registration(**data))

    assert response.status_code == 422
    assert message in response.text
    assert "请改正下面标出的问题" in response.text
    assert user_count() == before
    assert (
        db.session.execute(
            sa.select(InviteCode.code, InviteCode.used_at).order_by(InviteCode.code)
        ).all()
        == codes_before
    )
    # Passwords are never sent back to the browser.
    assert GOOD_PASSWORD not in response.text


def test_bad_input_on_a_boosted_submission_returns_the_page_with_422(client, hubin):
    response = client.post(
        "/register",
        data=registration(phone="123"),
        headers={"HX-Request": "true", "HX-Boosted": "true"},
    )
    assert response.status_code == 422
    assert "<html" in response.text and "请填写11位手机号码" in response.text


def test_registration_without_csrf_token_is_refused(client, hubin, person_code):
    response = client.post("/register", data=registration(invite_code="HBP0001"), csrf=False)
    assert response.status_code == 400
    assert user_count() == 0


def test_logged_in_person_is_sent_from_register_to_account(client, hubin, person_code):
    client.post("/register", data=registration(invite_code="HBP0001"))
    response = client.get("/register")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")


def test_error_messages_on_a_failed_submission_sit_on_their_fields(client, hubin):
    response = client.post("/register", data=registration(phone="abc", village="hubin"))
    assert 'id="phone-error"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_many_villages_are_not_listed_but_the_chosen_one_is(client, hubin, monkeypatch):
    from portal.auth import services

    monkeypatch.setattr(services, "VILLAGE_SELECT_MAX", 0)
    plain = client.get("/register")
    assert "<select" not in plain.text and "找到您的村" in plain.text
    assert '请先到<a href="/">村名查找页</a>找到您的村' in plain.text
    chosen = client.get("/register?village=hubin")
    assert '<option selected value="hubin">' in chosen.text


def test_plain_invite_check_keeps_what_was_typed(client, hubin, person_code):
    response = client.post(
        "/register/check-invite", data=registration(invite_code="HBP0001", name="王建国")
    )
    assert response.status_code == 200
    assert "<html" in response.text
    assert "邀请码有效：湖滨村 12号" in response.text
    assert 'value="王建国"' in response.text
    assert '<option selected value="hubin">' in response.text
    assert GOOD_PASSWORD not in response.text
    assert user_count() == 0
