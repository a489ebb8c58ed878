"""The word of a registration's outcome: verified or refused, shown in the header (and so
on the village home) until the person says "知道了"."""

from __future__ import annotations

import pytest

from portal import clock
from portal.auth.models import RegistrationStatus, Role, User
from portal.extensions import db
from portal.manage import services as console
from tests.auth.conftest import registration, user_by_phone
from tests.conftest import htmx_headers, login_as
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, official

VERIFIED = "您的注册已通过核实，可以投票了"


@pytest.fixture
def applicant(hubin):
    return UserFactory(
        village=hubin, name="王芳", claimed_door_number="8号", claimed_birth_year=1980
    )


@pytest.fixture
def committee(hubin):
    return official(Role.COMMITTEE, village=hubin)


def header_of(client, path="/v/hubin/") -> str:
    return client.get(path).text.split("</header>")[0]


def fresh(user) -> User:
    db.session.rollback()
    return db.session.get(User, user.id)


def verify(committee, hubin, applicant):
    resident = ResidentFactory(
        household=HouseholdFactory(village=hubin, door_number="8号"), name="王芳"
    )
    console.match_registration(committee, hubin, applicant.id, resident.id)


def test_verified_word_shows_until_dismissed(client, hubin, committee, applicant):
    login_as(client, applicant)
    assert VERIFIED not in header_of(client)  # still waiting: nothing to say
    verify(committee, hubin, applicant)

    assert VERIFIED in header_of(client)
    assert VERIFIED in header_of(client, "/account")  # on every page until seen
    assert fresh(applicant).outcome_seen_at is None  # reading never writes

    response = client.post("/account/outcome-seen", data={"next": "/v/hubin/"})
    assert response.status_code == 303 and response.headers["Location"] == "/v/hubin/"
    assert fresh(applicant).outcome_seen_at is not None
    assert VERIFIED not in header_of(client)


def test_refusal_shows_with_its_reason_and_htmx_removes_it_in_place(
    client, hubin, committee, applicant
):
    console.refuse_registration(committee, hubin, applicant.id, "花名册上没有这个人")
    login_as(client, applicant)
    header = header_of(client)
    assert "您的注册没有通过核实" in header and "花名册上没有这个人" in header
    assert 'hx-post="/account/outcome-seen"' in header and 'hx-target="#outcome-note"' in header

    response = client.post("/account/outcome-seen", headers=htmx_headers("outcome-note"))
    assert response.status_code == 200 and response.text == ""
    assert "您的注册没有通过核实" not in header_of(client)


def test_a_new_decision_shows_again(hubin, committee, applicant):
    applicant.outcome_seen_at = clock.now()
    db.session.commit()
    verify(committee, hubin, applicant)
    assert fresh(applicant).outcome_seen_at is None
    other = UserFactory(village=hubin, outcome_seen_at=clock.now())
    console.refuse_registration(committee, hubin, other.id, "不是本村村民")
    assert fresh(other).outcome_seen_at is None


def test_in_english_too(client, hubin, committee, applicant):
    verify(committee, hubin, applicant)
    login_as(client, applicant)
    client.set_cookie("lang", "en")
    header = header_of(client)
    assert "Your registration has been verified" in header and "Got it" in header


def test_an_invite_registration_is_told_at_once_and_not_again(client, person_code):
    response = client.post("/register", data=registration(invite_code="HBP0001"))
    assert response.status_code == 303
    user = user_by_phone("13912345678")
    assert user.status == RegistrationStatus.VERIFIED and user.outcome_seen_at is not None
    assert VERIFIED not in header_of(client, "/account")


def test_dismissing_needs_a_login_and_a_token(client, hubin, applicant):
    assert client.post("/account/outcome-seen").status_code == 302
    login_as(client, applicant)
    assert client.post("/account/outcome-seen", csrf=False).status_code == 400
    assert fresh(applicant).outcome_seen_at is None


def test_an_unsafe_next_goes_to_the_account(client, applicant):
    login_as(client, applicant)
    response = client.post("/account/outcome-seen", data={"next": "//evil.tld/"})
    assert response.headers["Location"] == "/account"
