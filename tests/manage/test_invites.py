"""Invite codes: issue one for a household or a person, issue in bulk, list, print."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal import clock
from portal.audit.models import ActionLog
from portal.auth.models import InviteCode, RegistrationStatus
from portal.extensions import db
from portal.manage import services
from tests.factories import (
    HouseholdFactory,
    InviteCodeFactory,
    ResidentFactory,
    UserFactory,
)
from tests.manage.conftest import as_user, count, log_actions

CODE = re.compile(r"^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$")


@pytest.fixture
def household(village):
    home = HouseholdFactory(village=village, door_number="8号")
    ResidentFactory(household=home, name="王芳", birth_year=1980)
    ResidentFactory(household=home, name="王强", birth_year=1978)
    return home


def codes() -> list[InviteCode]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(InviteCode).order_by(InviteCode.id)))


def test_codes_are_eight_unambiguous_characters_and_unique(app):
    generated = {services.new_code() for _ in range(2000)}
    assert len(generated) == 2000
    for code in generated:
        assert CODE.match(code)
        assert not set(code) & set("0O1I")


def test_fresh_codes_avoid_codes_already_issued(app, monkeypatch, household):
    InviteCodeFactory(household=household, code="AAAAAAAA")
    answers = iter(["AAAAAAAA", "BBBBBBBB"])
    monkeypatch.setattr(services, "new_code", lambda: next(answers))
    assert services.fresh_codes(1) == ["BBBBBBBB"]


def test_issue_a_household_code(client, village, committee, household):
    as_user(client, committee)
    response = client.post("/v/hubin/manage/invites", data={"door_number": "8号"})
    assert response.status_code == 303
    [invite] = codes()
    assert CODE.match(invite.code)
    assert (invite.village_id, invite.household_id, invite.resident_id) == (
        village.id,
        household.id,
        None,
    )
    assert invite.created_by_id == committee.id
    log = db.session.scalars(sa.select(ActionLog)).one()
    assert (log.action, log.object_id, log.village_id) == ("invite.issue", invite.id, village.id)
    assert f"issued={invite.id}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).text
    assert invite.code in page and "刚发出的邀请码" in page and "未使用" in page


def test_issue_a_personal_code(client, committee, household):
    as_user(client, committee)
    response = client.post("/v/hubin/manage/invites", data={"door_number": "8号", "name": "王强"})
    assert response.status_code == 303
    [invite] = codes()
    assert invite.resident.name == "王强" and invite.household_id == household.id


def test_full_width_door_number_is_understood(client, committee, household):
    ResidentFactory(household=HouseholdFactory(village=household.village, door_number="12号"))
    as_user(client, committee)
    response = client.post("/v/hubin/manage/invites", data={"door_number": "１２号"})
    assert response.status_code == 303
    assert codes()[0].household.door_number == "12号"


def test_one_usable_code_per_household(client, committee, household):
    as_user(client, committee)
    client.post("/v/hubin/manage/invites", data={"door_number": "8号"})
    [first] = codes()
    response = client.post("/v/hubin/manage/invites", data={"door_number": "8号"})
    assert response.status_code == 409
    assert f"已有可用的邀请码 {first.code}" in response.text
    assert len(codes()) == 1
    assert log_actions() == ["invite.issue"]


def test_one_unused_code_per_person(client, committee, household):
    as_user(client, committee)
    client.post("/v/hubin/manage/invites", data={"door_number": "8号", "name": "王芳"})
    response = client.post("/v/hubin/manage/invites", data={"door_number": "8号", "name": "王芳"})
    assert response.status_code == 409
    assert "已有未使用的邀请码" in response.text
    assert len(codes()) == 1


def test_no_personal_code_for_someone_already_registered(client, committee, household):
    UserFactory(resident=household.residents[0], status=RegistrationStatus.VERIFIED)
    as_user(client, committee)
    response = client.post("/v/hubin/manage/invites", data={"door_number": "8号", "name": "王芳"})
    assert response.status_code == 422
    assert "已经注册了" in response.text
    assert codes() == []


def test_no_household_code_when_everyone_is_registered(client, committee, household):
    for resident in household.residents:
        UserFactory(resident=resident, status=RegistrationStatus.VERIFIED)
    as_user(client, committee)
    response = client.post("/v/hubin/manage/invites", data={"door_number": "8号"})
    assert response.status_code == 422
    assert "不需要邀请码" in response.text
    assert codes() == []


@pytest.mark.parametrize(
    "data, message",
    [
        ({"door_number": ""}, "请填写门牌号"),
        ({"door_number": "99号"}, "没有门牌号“99号”"),
        ({"door_number": "8号", "name": "张三"}, "没有叫张三的人"),
        ({"door_number": "号" * 41}, "门牌号最多 40 个字"),
        ({"door_number": "8号", "name": "名" * 41}, "姓名最多 40 个字"),
    ],
)
def test_bad_issue_requests_are_answered_clearly(client, committee, household, data, message):
    as_user(client, committee)
    response = client.post("/v/hubin/manage/invites", data=data)
    assert response.status_code == 422
    assert message in response.text
    assert codes() == []
    assert log_actions() == []


def test_door_number_of_another_village_is_unknown(client, other_village, committee, household):
    ResidentFactory(household=HouseholdFactory(village=other_village, door_number="77号"))
    as_user(client, committee)
    response = client.post("/v/hubin/manage/invites", data={"door_number": "77号"})
    assert response.status_code == 422
    assert codes() == []


def test_bulk_issue_covers_households_without_accounts_in_one_transaction(
    client, village, other_village, committee
):
    waiting = [HouseholdFactory(village=village, door_number=f"{n}号") for n in (1, 2, 3)]
    for home in waiting:
        ResidentFactory(household=home)
    registered = HouseholdFactory(village=village, door_number="4号")
    UserFactory(resident=ResidentFactory(household=registered), status=RegistrationStatus.VERIFIED)
    ResidentFactory(household=registered)
    with_code = HouseholdFactory(village=village, door_number="5号")
    ResidentFactory(household=with_code)
    InviteCodeFactory(household=with_code)
    HouseholdFactory(village=village, door_number="6号")  # nobody on the roster
    ResidentFactory(household=HouseholdFactory(village=other_village))

    as_user(client, committee)
    assert "现在有 3 户" in client.get("/v/hubin/manage/invites").text
    response = client.post("/v/hubin/manage/invites/bulk")
    assert response.status_code == 303
    issued = [c for c in codes() if c.created_by_id == committee.id]
    assert sorted(c.household_id for c in issued) == sorted(h.id for h in waiting)
    assert len({c.code for c in codes()}) == len(codes())
    assert all(CODE.match(c.code) for c in issued)
    logs = list(db.session.scalars(sa.select(ActionLog)))
    assert [(log.action, log.summary["after"]["count"]) for log in logs] == [
        ("invite.issue_bulk", 3)
    ]
    page = client.get(response.headers["Location"]).text
    assert "这批发出了 3 个邀请码" in page and "打印这批邀请条" in page

    again = client.post("/v/hubin/manage/invites/bulk")
    assert again.status_code == 303
    assert len(codes()) == 4
    assert "这次没有发新码" in client.get(again.headers["Location"]).text
    assert log_actions() == ["invite.issue_bulk"]


def test_bulk_issue_without_token_changes_nothing(client, village, committee, household):
    as_user(client, committee)
    assert client.post("/v/hubin/manage/invites/bulk", csrf=False).status_code == 400
    assert codes() == []


def test_statuses_unused_used_and_spent(client, village, committee):
    fresh_home = HouseholdFactory(village=village, door_number="1号")
    ResidentFactory(household=fresh_home)
    unused = InviteCodeFactory(household=fresh_home, code="UNUSED22")

    half = HouseholdFactory(village=village, door_number="2号")
    first = ResidentFactory(household=half)
    ResidentFactory(household=half)
    UserFactory(resident=first, status=RegistrationStatus.VERIFIED)
    used = InviteCodeFactory(household=half, code="USEDCODE")  # the second can still use it

    done = HouseholdFactory(village=village, door_number="3号")
    only = ResidentFactory(household=done)
    UserFactory(resident=only, status=RegistrationStatus.VERIFIED)
    spent = InviteCodeFactory(household=done, code="SPENTXYZ")

    # Marked used when its last member registered; a member added to the roster later
    # cannot register with it (registration refuses a code marked used), so it is spent.
    grown = HouseholdFactory(village=village, door_number="4号")
    earlier = ResidentFactory(household=grown)
    member = UserFactory(resident=earlier, status=RegistrationStatus.VERIFIED)
    closed = InviteCodeFactory(
        household=grown, code="CLOSEDXY", used_at=clock.now(), used_by_id=member.id
    )
    ResidentFactory(household=grown)

    statuses = services.statuses_of([unused, used, spent, closed])
    assert statuses == {
        unused.id: "unused",
        used.id: "used",
        spent.id: "spent",
        closed.id: "spent",
    }
    assert services.unused_invite_count(village) == 1

    as_user(client, committee)
    for status, shown, hidden in [
        ("unused", "UNUSED22", "USEDCODE"),
        ("used", "USEDCODE", "SPENTXYZ"),
        ("spent", "SPENTXYZ", "UNUSED22"),
    ]:
        page = client.get(f"/v/hubin/manage/invites?status={status}").text
        assert shown in page and hidden not in page, status
    assert "1" in client.get("/v/hubin/manage/").text
    everything = client.get("/v/hubin/manage/invites?status=<script>").text
    assert all(c in everything for c in ("UNUSED22", "USEDCODE", "SPENTXYZ"))


def test_print_page_by_ids_has_a_slip_per_code(app, client, village, committee, household):
    other_home = HouseholdFactory(village=village, door_number="9号")
    person = ResidentFactory(household=other_home, name="赵敏")
    a = InviteCodeFactory(household=household, code="ABCDEFGH")
    b = InviteCodeFactory(household=other_home, resident=person, code="HJKLMNPQ")
    as_user(client, committee)
    page = client.get(f"/v/hubin/manage/invites/print?ids={a.id},{b.id}").text
    assert page.count('class="slip"') == 2
    assert "ABCDEFGH" in page and "HJKLMNPQ" in page
    assert "湖滨村" in page and "8号" in page and "9号 · 赵敏" in page
    assert "http://localhost/register" in page
    assert "用手机打开上面的网址" in page and "只给赵敏本人用一次" in page
    # Checkboxes on the list send ids=1&ids=2.
    repeated = client.get(f"/v/hubin/manage/invites/print?ids={a.id}&ids={b.id}").text
    assert repeated.count('class="slip"') == 2


def test_print_page_by_batch_range(client, village, committee):
    for n in range(1, 4):
        ResidentFactory(household=HouseholdFactory(village=village, door_number=f"{n}号"))
    as_user(client, committee)
    client.post("/v/hubin/manage/invites/bulk")
    issued = codes()
    page = client.get(
        f"/v/hubin/manage/invites/print?first={issued[0].id}&last={issued[-1].id}"
    ).text
    assert page.count('class="slip"') == 3
    assert page.index("1号") < page.index("2号") < page.index("3号")


def test_print_page_never_shows_another_villages_codes(client, other_village, committee):
    foreign = InviteCodeFactory(household=HouseholdFactory(village=other_village), code="FOREIGN2")
    as_user(client, committee)
    page = client.get(f"/v/hubin/manage/invites/print?ids={foreign.id}").text
    assert "FOREIGN2" not in page and 'class="slip"' not in page
    page = client.get(f"/v/hubin/manage/invites/print?first=1&last={foreign.id}").text
    assert "FOREIGN2" not in page


@pytest.mark.parametrize(
    "query", ["", "?ids=abc", "?ids=99999999999999999999", "?first=-1&last=x", "?ids=%00"]
)
def test_print_page_survives_odd_arguments(client, committee, query):
    as_user(client, committee)
    response = client.get(f"/v/hubin/manage/invites/print{query}")
    assert response.status_code == 200
    assert "没有选中邀请码" in response.text


def test_invite_list_is_paginated(client, village, committee):
    for n in range(25):
        InviteCodeFactory(household=HouseholdFactory(village=village), code=f"CODE{n:04d}")
    as_user(client, committee)
    first = client.get("/v/hubin/manage/invites").text
    assert "CODE0024" in first and "CODE0005" in first and "CODE0004" not in first
    second = client.get("/v/hubin/manage/invites?page=2").text
    assert "CODE0004" in second and "CODE0024" not in second


def test_households_page_links_to_issue_prefilled(client, committee, household):
    as_user(client, committee)
    page = client.get("/v/hubin/manage/invites?door=8号&name=王芳").text
    assert 'value="8号"' in page and 'value="王芳"' in page
    assert count(InviteCode) == 0


def register_with(app, code: str, name: str, phone: str) -> None:
    from portal.auth import services as identity

    with app.test_request_context():
        identity.register_with_invite(
            phone=phone, password="green-tea-river-9", name=name, code=code
        )
    db.session.commit()


def listed(client, status: str) -> str:
    return client.get(f"/v/hubin/manage/invites?status={status}").text


def test_a_household_code_a_member_registered_with_is_used_until_everyone_has(
    app, client, village, committee, household
):
    as_user(client, committee)
    client.post("/v/hubin/manage/invites", data={"door_number": "8号"})
    [invite] = codes()
    register_with(app, invite.code, "王芳", "13900000011")
    assert services.statuses_of(codes()) == {invite.id: "used"}
    assert services.unused_invite_count(village) == 0
    used = listed(client, "used")
    assert invite.code in used and "已使用（家里没注册的人还能用）" in used
    assert invite.code not in listed(client, "unused") and invite.code not in listed(
        client, "spent"
    )
    assert "还没有邀请码" not in used

    register_with(app, invite.code, "王强", "13900000012")
    assert services.statuses_of(codes()) == {invite.id: "spent"}
    assert invite.code in listed(client, "spent")
    empty = listed(client, "used")
    assert invite.code not in empty and "没有这种状态的邀请码" in empty


def test_a_household_code_issued_after_someone_registered_is_used_by_the_rest(
    client, village, committee, household
):
    UserFactory(resident=household.residents[0], status=RegistrationStatus.VERIFIED)
    code = InviteCodeFactory(household=household, code="HALFWAY2")
    assert services.statuses_of([code]) == {code.id: "used"}
    as_user(client, committee)
    assert "HALFWAY2" in listed(client, "used")


def test_the_supervisor_sees_codes_exist_their_state_and_use_but_never_the_codes(
    app, client, village, committee, supervisor, household
):
    waiting = InviteCodeFactory(household=household, code="SECRET22")
    home = HouseholdFactory(village=village, door_number="9号")
    person = ResidentFactory(household=home, name="赵敏")
    used = InviteCodeFactory(household=home, resident=person, code="SECRET33")
    register_with(app, "SECRET33", "赵敏", "13900000013")

    as_user(client, supervisor)
    for page in (
        client.get("/v/hubin/manage/invites").text,
        client.get(f"/v/hubin/manage/invites?issued={waiting.id},{used.id}").text,
        client.get(f"/v/hubin/manage/invites?batch={waiting.id},{used.id},2").text,
        client.get("/v/hubin/manage/invites?status=unused").text,
    ):
        assert "SECRET22" not in page and "SECRET33" not in page
        assert 'name="ids"' not in page and "invites/print" not in page
    page = client.get("/v/hubin/manage/invites").text
    assert "8号" in page and "9号" in page and "赵敏" in page
    assert "未使用" in page and "已使用" in page
    assert used_date(used) in page  # when it was used
    for query in (f"?ids={waiting.id}", f"?first={waiting.id}&last={used.id}", ""):
        response = client.get(f"/v/hubin/manage/invites/print{query}")
        assert response.status_code == 403 and "SECRET22" not in response.text

    as_user(client, committee)
    page = client.get("/v/hubin/manage/invites").text
    assert "SECRET22" in page and "SECRET33" in page and 'name="ids"' in page
    assert client.get(f"/v/hubin/manage/invites/print?ids={waiting.id}").status_code == 200


def used_date(code: InviteCode) -> str:
    from portal.i18n import format_date

    db.session.refresh(code)
    return format_date(code.used_at)


def test_slips_and_households_follow_door_numbers_as_people_read_them(client, village, committee):
    doors = ["三组1号", "十一组2号", "一组10号", "二组1号", "一组2号", "十组1号"]
    for door in doors:
        ResidentFactory(household=HouseholdFactory(village=village, door_number=door))
    as_user(client, committee)
    client.post("/v/hubin/manage/invites/bulk")
    issued = codes()
    slips = client.get(
        f"/v/hubin/manage/invites/print?first={issued[0].id}&last={issued[-1].id}"
    ).text
    expected = ["一组2号", "一组10号", "二组1号", "三组1号", "十组1号", "十一组2号"]
    positions = [slips.index(f'class="slip-door">{door}') for door in expected]
    assert positions == sorted(positions)
