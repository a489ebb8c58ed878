"""A way back in: the committee issues a reset code 重设码, the person sets a new password.

From the residents list to the printed slip, then `/reset` with the phone, the code and
a new password: single use, a day long, hashed, rate-limited, every older login ended.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import clock
from portal.audit.models import ActionLog
from portal.auth.models import LoginSession, PasswordReset, Role
from portal.auth.passwords import verify_password
from portal.extensions import db
from tests.auth.conftest import GOOD_PASSWORD, user_by_phone
from tests.conftest import HTMX, login_as
from tests.factories import PASSWORD, RoleGrantFactory, count, official, villager

NEW = "bamboo-lantern-47"
REFUSED = "手机号或重设码不对"


@pytest.fixture
def committee(hubin):
    return official(Role.COMMITTEE, village=hubin)


@pytest.fixture
def elder(hubin):
    """王奶奶, a verified villager of 湖滨村 who forgot her password."""
    return villager(hubin, name="王奶奶", birth_year=1950)


def reset_url(elder) -> str:
    return f"/v/hubin/manage/residents/{elder.resident_id}/reset"


def issue(client, committee, elder) -> str:
    """Issue a code as the committee member; the code as the slip shows it."""
    login_as(client, committee)
    response = client.post(reset_url(elder), data={"checked": "y"})
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return re.search(r'<p class="slip-code">([A-Z0-9-]+)</p>', response.text).group(1)


def use(client, phone, code, password=NEW, confirm=None, **kwargs):
    data = {"phone": phone, "code": code, "new_password": password, "confirm": confirm or password}
    return client.post("/reset", data=data, **kwargs)


def test_committee_issues_a_slip_from_the_residents_list(client, committee, elder):
    login_as(client, committee)
    residents = client.get("/v/hubin/manage/residents").text
    assert f'href="{reset_url(elder)}"' in residents and "重设密码" in residents

    page = client.get(reset_url(elder))
    assert page.status_code == 200
    assert "王奶奶" in page.text and "身份证" in page.text
    assert elder.phone[-4:] in page.text and elder.phone not in page.text

    slip = client.post(reset_url(elder), data={"checked": "y"})
    code = re.search(r'<p class="slip-code">([A-Z0-9]{4}-[A-Z0-9]{4})</p>', slip.text).group(1)
    assert "http://localhost/reset" in slip.text and "24小时" in slip.text
    stored = db.session.scalar(sa.select(PasswordReset))
    plain = code.replace("-", "")
    assert plain not in stored.code_hash and len(stored.code_hash) == 64
    assert stored.expires_at - stored.created_at == timedelta(hours=24)
    assert (stored.user_id, stored.issued_by_id) == (elder.id, committee.id)
    log = db.session.scalar(sa.select(ActionLog))
    assert (log.action, log.actor_id, log.village_id) == (
        "account.reset_issue",
        committee.id,
        elder.village_id,
    )
    assert plain not in str(log.summary)


def test_issuing_needs_the_id_card_checked_and_writes_nothing_without(client, committee, elder):
    login_as(client, committee)
    response = client.post(reset_url(elder), data={})
    assert response.status_code == 422 and "请先核对本人的身份证" in response.text
    assert count(PasswordReset) == 0 and count(ActionLog) == 0


def test_who_may_issue(client, hubin, committee, elder, other_village):
    # A supervisor reads the page but gets no button and cannot issue.
    supervisor = official(Role.SUPERVISOR, village=hubin)
    login_as(client, supervisor)
    page = client.get(reset_url(elder))
    assert page.status_code == 200 and 'name="checked"' not in page.text
    assert client.post(reset_url(elder), data={"checked": "y"}).status_code == 403
    # Another village's committee, and a villager, are refused.
    login_as(client, official(Role.COMMITTEE, village=other_village))
    assert client.get(reset_url(elder)).status_code == 403
    login_as(client, villager(hubin))
    assert client.post(reset_url(elder), data={"checked": "y"}).status_code == 403
    # A resident of another village is not found through this one.
    outsider = villager(other_village)
    login_as(client, committee)
    url = f"/v/hubin/manage/residents/{outsider.resident_id}/reset"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"checked": "y"}).status_code == 404
    assert count(PasswordReset) == 0


def test_an_office_holder_is_not_reset_by_the_committee(client, hubin, committee, elder):
    RoleGrantFactory(user=elder, role=Role.SUPERVISOR, village=hubin)
    login_as(client, committee)
    page = client.get(reset_url(elder))
    assert "请联系站点管理员" in page.text and 'name="checked"' not in page.text
    response = client.post(reset_url(elder), data={"checked": "y"})
    assert response.status_code == 403 and "请联系站点管理员" in response.text
    assert count(PasswordReset) == 0


def test_the_code_sets_a_new_password_and_ends_every_older_login(app, client, committee, elder):
    other_phone = app.test_client()
    login_as(other_phone, elder)
    assert other_phone.get("/account").status_code == 200
    code = issue(client, committee, elder)
    client.post("/logout")

    page = client.get("/reset")
    assert page.status_code == 200 and 'name="code"' in page.text
    response = use(client, elder.phone, code.lower())  # read off paper: case does not matter
    assert response.status_code == 303
    assert response.headers["Location"] == "/v/hubin/"
    user = user_by_phone(elder.phone)
    assert verify_password(user.password_hash, NEW) and user.session_version == 2
    assert client.get("/account").status_code == 200  # logged in with the new password
    assert other_phone.get("/account").status_code == 302  # the old login ended
    mine = LoginSession.user_id == elder.id
    assert count(LoginSession, mine, LoginSession.revoked_at.is_not(None)) == 1  # other phone
    assert count(LoginSession, mine, LoginSession.revoked_at.is_(None)) == 1  # this one
    assert db.session.scalar(sa.select(PasswordReset.used_at)) is not None
    actions = list(db.session.scalars(sa.select(ActionLog.action).order_by(ActionLog.id)))
    assert actions == ["account.reset_issue", "account.reset_use"]

    # Single use.
    client.post("/logout")
    again = use(client, elder.phone, code, password="another-lantern-58")
    assert again.status_code == 422 and REFUSED in again.text


def test_one_message_for_unknown_phone_wrong_code_and_expired_code(client, committee, elder, at):
    code = issue(client, committee, elder)
    client.post("/logout")
    unknown = use(client, "13700000000", code)
    wrong = use(client, elder.phone, "ABCD-2345")
    someone_elses = use(client, committee.phone, code)
    assert unknown.status_code == wrong.status_code == someone_elses.status_code == 422
    assert all(REFUSED in r.text for r in (unknown, wrong, someone_elses))
    at(clock.now() + timedelta(hours=24, minutes=1))
    late = use(client, elder.phone, code)
    assert late.status_code == 422 and REFUSED in late.text
    assert verify_password(user_by_phone(elder.phone).password_hash, PASSWORD)


def test_a_new_code_voids_the_older_one(client, committee, elder):
    first = issue(client, committee, elder)
    page = client.get(reset_url(elder))
    assert "还没用的重设码" in page.text
    second = issue(client, committee, elder)
    client.post("/logout")
    assert REFUSED in use(client, elder.phone, first).text
    assert use(client, elder.phone, second).status_code == 303


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"phone": "12345"}, "请填写11位手机号码"),
        ({"code": ""}, "请填写村委会给您的重设码"),
        ({"new_password": "short", "confirm": "short"}, "密码至少要10个字符"),
        ({"confirm": "not-the-same-9"}, "两次输入的密码不一样"),
    ],
)
def test_bad_input_is_answered_and_spends_nothing(client, committee, elder, data, message):
    code = issue(client, committee, elder)
    client.post("/logout")
    form = {"phone": elder.phone, "code": code, "new_password": NEW, "confirm": NEW, **data}
    response = client.post("/reset", data=form)
    assert response.status_code == 422 and message in response.text
    assert "请重新输入两遍" in response.text
    assert f'value="{form["phone"]}"' in response.text  # what can be kept is kept
    assert NEW not in response.text
    assert db.session.scalar(sa.select(PasswordReset.used_at)) is None


def test_wrong_codes_are_rate_limited_like_logins(client, app, elder):
    app.config["RESET_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert use(client, elder.phone, "WRONG-CODE").status_code == 422
    limited = use(client, elder.phone, "WRONG-CODE")
    assert limited.status_code == 429 and "重设码输错的次数太多了" in limited.text
    # Per phone across addresses too.
    far = use(client, elder.phone, "WRONG-CODE", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert far.status_code == 429


def test_reset_with_htmx_redirects_the_client(client, committee, elder):
    code = issue(client, committee, elder)
    client.post("/logout")
    response = use(client, elder.phone, code, headers=HTMX)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/v/hubin/"


def test_login_page_points_to_the_office_and_to_reset(client):
    page = client.get("/login").text
    assert "忘记密码？请带身份证到村委会，领取重设码" in page and 'href="/reset"' in page
    client.set_cookie("lang", "en")
    english = client.get("/login").text
    assert "Forgot your password?" in english and 'href="/reset"' in english


def test_reset_holds_the_password_rules(client, committee, elder):
    """The password rules of registration hold on /reset too."""
    code = issue(client, committee, elder)
    client.post("/logout")
    weak = use(client, elder.phone, code, password=elder.phone + "ab")
    assert weak.status_code == 422 and "密码里不能有手机号" in weak.text
    assert use(client, elder.phone, code, password=GOOD_PASSWORD).status_code == 303
