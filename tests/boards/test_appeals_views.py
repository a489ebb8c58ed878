"""Appeal pages and actions: the household's box on the entry page, the committee's queue,
the paper entry and the town's review; each plain and with `HX-Request: true`, each
refusal writing nothing, every answer private, and each step visible to the household."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.boards import appeals
from portal.boards.models import AppealState, BoardAppeal, EntryState
from portal.extensions import db
from tests.boards.test_appeals import PUBLISHED, black_entry
from tests.conftest import htmx_headers, login_as
from tests.factories import TownFactory, VillageFactory, count, official, villager

FACT = "在村道旁长期堆放柴草，影响通行。"


@pytest.fixture
def entry(seeded, committee, second_member, household, subject, at):
    return black_entry(seeded, committee, second_member, household, subject, at)


@pytest.fixture
def published(seeded, committee, second_member, household, subject, at):
    return black_entry(seeded, committee, second_member, household, subject, at, publish=True)


@pytest.fixture
def town_official(village):
    return official(Role.TOWN_OFFICIAL, town=village.town, name="镇街刘干事")


def writes() -> tuple[int, int]:
    return count(BoardAppeal), count(ActionLog)


def entry_url(entry) -> str:
    return f"/v/hubin/boards/{entry.id}"


def appeal_url(entry) -> str:
    return f"/v/hubin/boards/{entry.id}/appeal"


def town_url(appeal) -> str:
    return f"/v/hubin/boards/{appeal.entry_id}/appeal/{appeal.id}/town"


QUEUE = "/v/hubin/manage/boards/appeals"


def decide_url(appeal) -> str:
    return f"{QUEUE}/{appeal.id}/decide"


def town_queue(town) -> str:
    return f"/town/{town.slug}/boards/appeals"


def assert_private(response) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]


def appeal_of(entry, user, reason="柴草是邻居家的，不是我家堆的。", kind="appeal"):
    with unit_of_work():
        return appeals.appeal(user, entry, reason, kind)


# --- the household --------------------------------------------------------------------


def test_the_box_is_shown_to_the_household_only_and_a_get_writes_nothing(
    client, entry, subject_user, neighbour, committee
):
    before = writes()
    login_as(client, subject_user)
    page = client.get(entry_url(entry)).get_data(as_text=True)
    assert 'id="appeal-box"' in page and f'action="{appeal_url(entry)}"' in page
    assert 'name="reason"' in page and "您家的申诉" in page
    assert 'value="withdrawal"' not in page  # 公示: an appeal, not yet a request to take it down
    for other in (neighbour, committee):
        login_as(client, other)
        page = client.get(entry_url(entry)).get_data(as_text=True)
        assert FACT in page and "appeal-box" not in page and "您家的申诉" not in page
    assert writes() == before


def test_a_member_appeals_with_a_plain_form_and_sees_it_on_the_entry_page(
    client, entry, subject_user
):
    login_as(client, subject_user)
    response = client.post(appeal_url(entry), data={"kind": "appeal", "reason": "不是我家堆的。"})
    assert response.status_code == 303 and response.headers["Location"].endswith(entry_url(entry))
    assert_private(response)
    [made] = db.session.scalars(db.select(BoardAppeal)).all()
    assert made.state == AppealState.PENDING and made.user_id == subject_user.id
    page = client.get(entry_url(entry)).get_data(as_text=True)
    assert "您的申诉已提交" in page and "不是我家堆的。" in page and "等待村委会处理" in page
    assert 'id="appeal-reason"' not in page and "正在办理" in page


def test_a_member_appeals_with_htmx_and_the_box_swaps_in_place(client, entry, subject_user):
    login_as(client, subject_user)
    response = client.post(
        appeal_url(entry),
        data={"kind": "appeal", "reason": "不是我家堆的。"},
        headers=htmx_headers("appeal-box"),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section class="card appeal-box" id="appeal-box"')
    assert "您的申诉已提交" in body and "等待村委会处理" in body
    assert_private(response)
    assert count(BoardAppeal) == 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"kind": "appeal", "reason": ""}, "请写下理由"),
        ({"kind": "appeal", "reason": "字" * 1001}, "最多 1000 个字"),
        ({"kind": "bogus", "reason": "理由"}, "请选择申诉"),
        ({"kind": "withdrawal", "reason": "理由"}, "公布以后"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_input_is_answered_in_the_box_and_nothing_written(
    client, entry, subject_user, data, words, htmx
):
    login_as(client, subject_user)
    before = writes()
    headers = htmx_headers("appeal-box") if htmx else {}
    response = client.post(appeal_url(entry), data=data, headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code in (409, 422) and words in body
    assert ("<html" in body) is not htmx
    assert 'id="appeal-box"' in body
    assert writes() == before
    assert_private(response)


@pytest.mark.parametrize("htmx", [False, True])
def test_others_cannot_appeal(client, entry, neighbour, htmx, village):
    headers = htmx_headers("appeal-box") if htmx else {}
    before = writes()
    visitor = client.post(appeal_url(entry), data={"reason": "理由"}, headers=headers)
    assert visitor.status_code in (302, 401) or "HX-Redirect" in visitor.headers
    login_as(client, neighbour)
    refused = client.post(appeal_url(entry), data={"reason": "理由"}, headers=headers)
    assert refused.status_code == 403 and "家庭成员" in refused.get_data(as_text=True)
    assert "appeal-box" not in refused.get_data(as_text=True)
    assert client.get(appeal_url(entry)).status_code == 404
    elsewhere = villager(VillageFactory(name="河口村", slug="hekou"), name="欧阳海")
    login_as(client, elsewhere)
    assert client.post(appeal_url(entry), data={"reason": "理由"}).status_code == 403
    assert (
        client.post(f"/v/hekou/boards/{entry.id}/appeal", data={"reason": "理由"}).status_code
        == 404
    )
    assert writes() == before


def test_csrf_is_required(client, entry, subject_user):
    login_as(client, subject_user)
    response = client.post(appeal_url(entry), data={"reason": "理由"}, csrf=False)
    assert response.status_code == 400 and count(BoardAppeal) == 0


def test_the_appeal_page_shows_the_household_every_step_even_off_the_board(
    client, entry, subject_user, neighbour, committee, at
):
    made = appeal_of(entry, subject_user)
    with unit_of_work():
        appeals.uphold(committee, made, "经查属实，撤下。")
    login_as(client, subject_user)
    assert client.get(entry_url(entry)).status_code == 404
    response = client.get(appeal_url(entry))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "经查属实，撤下。" in page
    assert "村委会认为理由成立，已撤下" in page and 'name="reason"' not in page
    assert_private(response)
    assert client.get(appeal_url(entry), headers=htmx_headers("appeal-box")).status_code == 200
    login_as(client, neighbour)
    assert client.get(appeal_url(entry)).status_code == 404


# --- the committee --------------------------------------------------------------------


@pytest.fixture
def pending(entry, subject_user):
    return appeal_of(entry, subject_user)


def test_the_queue_shows_who_appealed_and_why(client, pending, committee, supervisor, neighbour):
    before = writes()
    login_as(client, committee)
    response = client.get(QUEUE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "欧阳娜娜" in page and "柴草是邻居家的" in page
    assert "乱堆乱放" in page and f'action="{decide_url(pending)}"' in page
    assert "待处理 1 件" in page
    assert_private(response)
    counter = client.get(QUEUE, headers=htmx_headers("pending-appeals"))
    text = counter.get_data(as_text=True)
    assert "<html" not in text and 'id="pending-appeals"' in text and "待处理 1 件" in text
    login_as(client, supervisor)
    read = client.get(QUEUE).get_data(as_text=True)
    assert "欧阳娜娜" in read and f'action="{decide_url(pending)}"' not in read
    login_as(client, neighbour)
    assert client.get(QUEUE).status_code == 403
    assert writes() == before


def test_the_committee_dismisses_with_a_plain_form(client, pending, committee, subject_user):
    login_as(client, committee)
    prefix = f"a{pending.id}-"
    response = client.post(
        decide_url(pending),
        data={prefix + "decision": "dismiss", prefix + "reason": "确系这户堆放。"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(QUEUE)
    db.session.refresh(pending)
    assert pending.state == AppealState.DISMISSED
    assert "已驳回" in client.get(QUEUE).get_data(as_text=True)
    login_as(client, subject_user)
    page = client.get(entry_url(pending.entry)).get_data(as_text=True)
    assert "村委会驳回" in page and "确系这户堆放。" in page
    assert f'action="{town_url(pending)}"' in page


def test_the_committee_upholds_in_place_with_htmx(client, pending, committee):
    login_as(client, committee)
    prefix = f"a{pending.id}-"
    response = client.post(
        decide_url(pending),
        data={prefix + "decision": "uphold", prefix + "reason": "经查属实。"},
        headers=htmx_headers(f"appeal-{pending.id}"),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="appeal-{pending.id}"' in body and "已撤下" in body
    assert "board-appeals-changed" in response.headers["HX-Trigger"]
    assert_private(response)
    db.session.refresh(pending)
    assert pending.state == AppealState.UPHELD and pending.entry.state == EntryState.WITHDRAWN


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("fields", "words"),
    [({"reason": ""}, "请写下理由"), ({"decision": "", "reason": "理由"}, "请选择")],
)
def test_a_decision_without_a_reason_or_a_choice_is_refused(
    client, pending, committee, htmx, fields, words
):
    login_as(client, committee)
    before = writes()
    prefix = f"a{pending.id}-"
    data = {prefix + "decision": "dismiss"} | {prefix + k: v for k, v in fields.items()}
    headers = htmx_headers(f"appeal-{pending.id}") if htmx else {}
    response = client.post(decide_url(pending), data=data, headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and words in body
    assert ("<html" in body) is not htmx
    assert writes() == before


def test_a_supervisor_cannot_decide_and_deciding_twice_is_refused(
    client, pending, supervisor, committee, second_member
):
    prefix = f"a{pending.id}-"
    data = {prefix + "decision": "uphold", prefix + "reason": "理由"}
    login_as(client, supervisor)
    before = writes()
    response = client.post(decide_url(pending), data=data)
    assert response.status_code == 403 and "村委会作出" in response.get_data(as_text=True)
    assert writes() == before
    login_as(client, committee)
    client.post(decide_url(pending), data={**data, prefix + "decision": "dismiss"})
    login_as(client, second_member)
    before = writes()
    again = client.post(
        decide_url(pending), data=data, headers=htmx_headers(f"appeal-{pending.id}")
    )
    assert again.status_code == 409 and "已经处理过了" in again.get_data(as_text=True)
    assert writes() == before
    assert client.post(f"{QUEUE}/999/decide", data=data).status_code == 404


def test_another_villages_committee_is_refused(client, pending):
    other = VillageFactory(name="河口村", slug="hekou")
    stranger = official(Role.COMMITTEE, other)
    login_as(client, stranger)
    assert client.get(QUEUE).status_code == 403
    prefix = f"a{pending.id}-"
    data = {prefix + "decision": "uphold", prefix + "reason": "理由"}
    assert (
        client.post(f"/v/hekou/manage/boards/appeals/{pending.id}/decide", data=data).status_code
        == 404
    )
    assert count(BoardAppeal, BoardAppeal.state == AppealState.PENDING) == 1


# --- the paper path -------------------------------------------------------------------


def paper_url(entry) -> str:
    return f"/v/hubin/manage/boards/{entry.id}/appeals"


def test_a_clerk_enters_a_letter_plain_and_the_household_sees_it(
    client, entry, committee, subject, subject_user
):
    login_as(client, committee)
    page = client.get(paper_url(entry)).get_data(as_text=True)
    assert f'<option value="{subject.id}">欧阳建国</option>' in page
    assert "李四" not in page
    response = client.post(
        paper_url(entry),
        data={"resident_id": subject.id, "kind": "appeal", "reason": "来信：柴草不是我家的。"},
    )
    assert response.status_code == 303
    [made] = db.session.scalars(db.select(BoardAppeal)).all()
    assert made.entered_by_id == committee.id and made.resident_id == subject.id
    assert "来信：柴草不是我家的。" in client.get(paper_url(entry)).get_data(as_text=True)
    login_as(client, subject_user)
    box = client.get(entry_url(entry)).get_data(as_text=True)
    assert "来信：柴草不是我家的。" in box and "纸质信件" in box


def test_a_clerk_enters_a_letter_with_htmx(client, entry, committee, subject):
    login_as(client, committee)
    response = client.post(
        paper_url(entry),
        data={"resident_id": subject.id, "kind": "appeal", "reason": "来信。"},
        headers=htmx_headers("paper-appeal"),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'id="paper-appeal"' in body
    assert "已录入欧阳建国的纸质申诉" in body
    assert "board-appeals-changed" in response.headers["HX-Trigger"]
    assert count(BoardAppeal) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_a_letter_from_outside_the_household_or_without_a_reason_is_refused(
    client, entry, committee, subject, neighbour, supervisor, htmx
):
    headers = htmx_headers("paper-appeal") if htmx else {}
    login_as(client, committee)
    before = writes()
    wrong = client.post(
        paper_url(entry),
        data={"resident_id": neighbour.resident_id, "kind": "appeal", "reason": "来信"},
        headers=headers,
    )
    assert wrong.status_code == 422 and "这一户花名册" in wrong.get_data(as_text=True)
    assert ("<html" in wrong.get_data(as_text=True)) is not htmx
    empty = client.post(
        paper_url(entry),
        data={"resident_id": subject.id, "kind": "appeal", "reason": ""},
        headers=headers,
    )
    assert empty.status_code == 422 and "请写下理由" in empty.get_data(as_text=True)
    login_as(client, supervisor)
    assert client.get(paper_url(entry)).status_code == 200
    denied = client.post(
        paper_url(entry),
        data={"resident_id": subject.id, "kind": "appeal", "reason": "来信"},
        headers=headers,
    )
    assert denied.status_code == 403
    assert writes() == before


# --- the town -------------------------------------------------------------------------


@pytest.fixture
def dismissed(pending, committee):
    with unit_of_work():
        appeals.dismiss(committee, pending, "确系这户堆放。")
    return pending


@pytest.mark.parametrize("htmx", [False, True])
def test_the_household_asks_the_town(client, dismissed, subject_user, htmx):
    login_as(client, subject_user)
    headers = htmx_headers("appeal-box") if htmx else {}
    before = writes()
    empty = client.post(town_url(dismissed), data={"reason": ""}, headers=headers)
    assert empty.status_code == 422 and "请写下理由" in empty.get_data(as_text=True)
    assert writes() == before
    response = client.post(town_url(dismissed), data={"reason": "请镇街复核。"}, headers=headers)
    if htmx:
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in body
        assert "已请镇街复核" in body and "等待镇街决定" in body
    else:
        assert response.status_code == 303
        page = client.get(entry_url(dismissed.entry)).get_data(as_text=True)
        assert "已请镇街复核，等待镇街决定" in page and "请镇街复核。" in page
    assert_private(response)
    db.session.refresh(dismissed)
    assert dismissed.state == AppealState.TOWN_REVIEW


def test_asking_the_town_before_a_dismissal_or_by_another_is_refused(
    client, pending, subject_user, neighbour
):
    login_as(client, subject_user)
    before = writes()
    early = client.post(town_url(pending), data={"reason": "请复核"})
    assert early.status_code == 409 and "驳回以后" in early.get_data(as_text=True)
    login_as(client, neighbour)
    assert client.post(town_url(pending), data={"reason": "请复核"}).status_code == 403
    assert writes() == before


@pytest.fixture
def at_town(dismissed, subject_user):
    with unit_of_work():
        appeals.ask_town(subject_user, dismissed, "村委会没有听我们的解释。")
    return dismissed


def test_the_town_queue_shows_the_facts_and_both_reasons(
    client, at_town, town_official, committee, village
):
    town = village.town
    before = writes()
    login_as(client, town_official)
    index = client.get(f"/town/{town.slug}/").get_data(as_text=True)
    assert town_queue(town) in index and "待复核 1 件" in index
    response = client.get(town_queue(town))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "湖滨村" in page and "乱堆乱放" in page
    assert FACT in page and "确系这户堆放。" in page and "村委会没有听我们的解释。" in page
    assert "柴草是邻居家的" in page and "欧阳**" in page
    assert_private(response)
    counter = client.get(town_queue(town), headers=htmx_headers("town-appeals-count"))
    assert "<html" not in counter.get_data(as_text=True)
    assert "待复核 1 件" in counter.get_data(as_text=True)
    login_as(client, committee)
    assert client.get(town_queue(town)).status_code == 403
    assert writes() == before


def town_data(appeal, decision="uphold", reason="照片不能证明，撤下。"):
    return {f"t{appeal.id}-decision": decision, f"t{appeal.id}-reason": reason}


@pytest.mark.parametrize("htmx", [False, True])
def test_the_town_decides_without_a_reason_is_refused(client, at_town, town_official, htmx):
    login_as(client, town_official)
    before = writes()
    headers = htmx_headers(f"town-appeal-{at_town.id}") if htmx else {}
    response = client.post(
        f"{town_queue(at_town.village.town)}/{at_town.id}",
        data=town_data(at_town, reason=""),
        headers=headers,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "请写下理由" in body
    assert ("<html" in body) is not htmx
    assert writes() == before


def test_the_town_confirms_in_place_with_htmx(client, at_town, town_official, subject_user):
    login_as(client, town_official)
    response = client.post(
        f"{town_queue(at_town.village.town)}/{at_town.id}",
        data=town_data(at_town, "confirm", "事实清楚，维持。"),
        headers=htmx_headers(f"town-appeal-{at_town.id}"),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="town-appeal-{at_town.id}"' in body and "镇街复核维持村委会的决定" in body
    assert_private(response)
    db.session.refresh(at_town)
    assert at_town.state == AppealState.TOWN_CONFIRMED
    login_as(client, subject_user)
    page = client.get(entry_url(at_town.entry)).get_data(as_text=True)
    assert "镇街复核维持村委会的决定" in page and "事实清楚，维持。" in page


def test_an_official_of_another_town_is_refused(client, at_town, village):
    other = TownFactory(name="别镇", slug="biezhen")
    stranger = official(Role.TOWN_OFFICIAL, town=other)
    login_as(client, stranger)
    before = writes()
    own_town = client.post(f"/town/biezhen/boards/appeals/{at_town.id}", data=town_data(at_town))
    assert own_town.status_code == 404
    their_town = client.post(f"{town_queue(village.town)}/{at_town.id}", data=town_data(at_town))
    assert their_town.status_code == 403
    assert client.get(town_queue(village.town)).status_code == 403
    assert "欧阳" not in client.get("/town/biezhen/boards/appeals").get_data(as_text=True)
    assert writes() == before


# --- end to end -----------------------------------------------------------------------


def test_end_to_end_appeal_in_notice_dismissed_town_upholds_and_the_entry_leaves_the_board(
    client, entry, subject_user, committee, town_official, village, at
):
    login_as(client, subject_user)
    assert FACT in client.get("/v/hubin/boards?board=black").get_data(as_text=True)
    client.post(appeal_url(entry), data={"kind": "appeal", "reason": "不是我家堆的。"})
    [made] = db.session.scalars(db.select(BoardAppeal)).all()
    login_as(client, committee)
    prefix = f"a{made.id}-"
    client.post(
        decide_url(made), data={prefix + "decision": "dismiss", prefix + "reason": "确系。"}
    )
    login_as(client, subject_user)
    client.post(town_url(made), data={"reason": "请镇街复核。"}, headers=htmx_headers("appeal-box"))
    login_as(client, town_official)
    response = client.post(
        f"{town_queue(village.town)}/{made.id}", data=town_data(made, "uphold", "撤下。")
    )
    assert response.status_code == 303
    db.session.refresh(made)
    assert made.state == AppealState.TOWN_UPHELD and made.entry.state == EntryState.WITHDRAWN
    login_as(client, subject_user)
    assert FACT not in client.get("/v/hubin/boards?board=black").get_data(as_text=True)
    assert client.get(entry_url(entry)).status_code == 404
    page = client.get(appeal_url(entry)).get_data(as_text=True)
    for words in ("不是我家堆的。", "确系。", "请镇街复核。", "撤下。", "镇街复核认为理由成立"):
        assert words in page
    actions = [row.action for row in db.session.scalars(db.select(ActionLog))]
    for name in (
        "board_appeal.submit",
        "board_appeal.dismiss",
        "board_appeal.ask_town",
        "board_appeal.town_uphold",
        "board.withdraw",
    ):
        assert actions.count(name) == 1


def test_end_to_end_withdrawal_request_while_published_confirmed(
    client, published, subject_user, committee, at
):
    at(PUBLISHED + timedelta(days=3))
    login_as(client, subject_user)
    page = client.get(entry_url(published)).get_data(as_text=True)
    assert 'value="withdrawal"' in page and "已整改，申请撤下" in page
    response = client.post(
        appeal_url(published), data={"kind": "withdrawal", "reason": "柴草已经全部搬走。"}
    )
    assert response.status_code == 303
    [made] = db.session.scalars(db.select(BoardAppeal)).all()
    login_as(client, committee)
    prefix = f"a{made.id}-"
    assert "已整改，申请撤下" in client.get(QUEUE).get_data(as_text=True)
    client.post(
        decide_url(made), data={prefix + "decision": "uphold", prefix + "reason": "已清理。"}
    )
    db.session.refresh(made)
    assert made.state == AppealState.UPHELD and published.state == EntryState.WITHDRAWN
    login_as(client, subject_user)
    assert FACT not in client.get("/v/hubin/boards?board=black").get_data(as_text=True)
    assert "已清理。" in client.get(appeal_url(published)).get_data(as_text=True)


def test_the_entry_appeals_page_answers_htmx_with_its_blocks(client, pending, committee):
    login_as(client, committee)
    before = writes()
    for target in ("paper-appeal", "entry-appeals"):
        response = client.get(paper_url(pending.entry), headers=htmx_headers(target))
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in body and f'id="{target}"' in body
        assert_private(response)
    assert writes() == before


def paper_town_url(appeal) -> str:
    return f"{paper_url(appeal.entry)}/{appeal.id}/town"


@pytest.mark.parametrize("htmx", [False, True])
def test_a_clerk_enters_the_households_letter_for_the_town(
    client, dismissed, committee, supervisor, subject_user, htmx
):
    headers = htmx_headers("entry-appeals") if htmx else {}
    login_as(client, supervisor)
    before = writes()
    assert client.post(paper_town_url(dismissed), data={"reason": "来信"}).status_code == 403
    login_as(client, committee)
    page = client.get(paper_url(dismissed.entry)).get_data(as_text=True)
    assert f'action="{paper_town_url(dismissed)}"' in page
    empty = client.post(paper_town_url(dismissed), data={"reason": ""}, headers=headers)
    assert empty.status_code == 422 and "请写下理由" in empty.get_data(as_text=True)
    assert ("<html" in empty.get_data(as_text=True)) is not htmx
    assert writes() == before
    response = client.post(
        paper_town_url(dismissed), data={"reason": "来信请镇街复核。"}, headers=headers
    )
    if htmx:
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in body
        assert "已报镇街复核" in body and "来信请镇街复核。" in body
    else:
        assert response.status_code == 303
    db.session.refresh(dismissed)
    assert dismissed.state == AppealState.TOWN_REVIEW
    [row] = db.session.scalars(
        db.select(ActionLog).filter_by(action="board_appeal.ask_town_paper")
    ).all()
    assert row.role == Role.COMMITTEE
    again = client.post(paper_town_url(dismissed), data={"reason": "再来"}, headers=headers)
    assert again.status_code == 409
    login_as(client, subject_user)
    assert "来信请镇街复核。" in client.get(entry_url(dismissed.entry)).get_data(as_text=True)
