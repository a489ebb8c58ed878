"""Villagers' questions 质询: asking under a notice, the committee's queue and answers,
refusals for everyone else, hostile text, and statement counts that do not grow."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import clock
from portal.audit.models import ActionLog
from portal.auth.models import RegistrationStatus, Role
from portal.extensions import db
from portal.notices import questions, services
from portal.notices.models import NoticeQuestion
from portal.privacy import mask_name
from tests.conftest import htmx_headers, login_as
from tests.factories import (
    HouseholdFactory,
    ResidentFactory,
    RoleGrantFactory,
    UserFactory,
    VillageFactory,
    official,
    villager,
)
from tests.notices.conftest import make_notice
from tests.notices.html_check import elements, injected
from tests.statements import statements
from tests.text import unwrapped

QUEUE = "/v/hubin/manage/notices/questions"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def page_of(notice) -> str:
    return f"/v/hubin/notices/{notice.id}"


def ask_url(notice) -> str:
    return f"/v/hubin/notices/{notice.id}/questions"


@pytest.fixture
def asker(village):
    return villager(village, name="张小明")


def ask(notice, user, body="村道修缮的钱从哪里来？", at=None):
    question = questions.ask(user, notice, body, now=at)
    db.session.commit()
    return question


# --- asking -------------------------------------------------------------------------


def test_a_visitor_sees_questions_and_is_asked_to_log_in(client, notice, asker, committee):
    question = ask(notice, asker)
    questions.answer(committee, notice.village, question.id, "由镇财政一事一议奖补资金列支。")
    db.session.commit()
    page = client.get(page_of(notice))
    assert page.status_code == 200
    text = page.text
    assert "村民质询" in text and "村道修缮的钱从哪里来？" in text
    assert "由镇财政一事一议奖补资金列支。" in text and "村委会答复" in text
    assert "村民张某问" in text and "张**" not in text
    assert "张小明" not in text and asker.phone not in text
    assert not re.search(r"1\d{10}", text)
    assert "登录后可以提问" in text
    assert f'href="/login?next=/v/hubin/notices/{notice.id}"' in text
    assert 'name="body"' not in text and 'name="csrf_token"' not in text


def test_a_villager_asks_with_a_plain_form(client, notice, asker):
    login_as(client, asker)
    page = client.get(page_of(notice)).text
    forms = [a for tag, a in elements(page) if tag == "form" and a.get("action") == ask_url(notice)]
    assert (
        forms and forms[0]["hx-post"] == ask_url(notice) and forms[0]["hx-target"] == "#questions"
    )
    response = client.post(ask_url(notice), data={"body": "  鱼塘承包费为什么比去年少？ "})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{page_of(notice)}#questions")
    question = db.session.scalar(sa.select(NoticeQuestion))
    assert question.body == "鱼塘承包费为什么比去年少？"
    assert (question.village_id, question.asked_by_id) == (notice.village_id, asker.id)
    assert question.answered_at is None
    shown = client.get(page_of(notice)).text
    assert "您的问题已经提交" in shown and "鱼塘承包费为什么比去年少？" in shown
    assert "等待村委会答复" in shown


def test_a_villager_asks_with_htmx_and_gets_the_questions_block(client, notice, asker):
    login_as(client, asker)
    response = client.post(
        ask_url(notice),
        data={"body": "什么时候开工？"},
        headers=htmx_headers("questions"),
        csrf="header",
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.strip().startswith('<section id="questions"')
    assert "什么时候开工？" in response.text and "您的问题已经提交" in response.text
    assert len(response.data) < 4096
    assert count(NoticeQuestion) == 1


def test_the_questions_block_alone_by_htmx_get(client, notice, asker):
    ask(notice, asker)
    response = client.get(page_of(notice), headers=htmx_headers("questions"))
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="questions"' in response.text and "村道修缮的钱从哪里来？" in response.text


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "请写下您的问题。"), ("   \n ", "请写下您的问题。"), ("问" * 501, "问题最多 500 个字。")],
)
def test_bad_questions_are_answered_422_and_nothing_written(client, notice, asker, body, message):
    login_as(client, asker)
    for headers in (None, htmx_headers("questions")):
        response = client.post(ask_url(notice), data={"body": body}, headers=headers)
        assert response.status_code == 422
        assert message in response.text and 'aria-invalid="true"' in response.text
    assert count(NoticeQuestion) == 0


def test_a_question_of_exactly_500_characters_is_taken(client, notice, asker):
    login_as(client, asker)
    assert client.post(ask_url(notice), data={"body": "问" * 500}).status_code == 303
    assert count(NoticeQuestion) == 1


def test_a_visitor_is_sent_to_log_in(client, notice):
    response = client.post(ask_url(notice), data={"body": "问题"})
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    htmx = client.post(ask_url(notice), data={"body": "问题"}, headers=htmx_headers("questions"))
    assert htmx.headers["HX-Redirect"].startswith("/login")
    assert count(NoticeQuestion) == 0


def _pending_here(village):
    resident = ResidentFactory(household=HouseholdFactory(village=village))
    return UserFactory(village=village, resident=resident, status=RegistrationStatus.PENDING)


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("other_village", "只有本村已核实的村民可以对本村的公告提问。"),
        ("unverified", "您的注册还在等村委会核实，核实以后就可以提问了。"),
        ("supervisor", "只有本村已核实的村民可以对本村的公告提问。"),
        ("foreign_committee", "只有本村已核实的村民可以对本村的公告提问。"),
        ("revoked", "只有本村已核实的村民可以对本村的公告提问。"),
    ],
)
def test_only_verified_villagers_of_the_village_ask(client, notice, village, who, message):
    if who == "other_village":
        user = villager(VillageFactory(slug="other"))
    elif who == "unverified":
        user = _pending_here(village)
        RoleGrantFactory(user=user, role=Role.VILLAGER, village=village)
    elif who == "supervisor":
        user = official(Role.SUPERVISOR, village=village)
    elif who == "foreign_committee":
        user = official(Role.COMMITTEE, village=VillageFactory(slug="other2"))
    else:
        user = villager(village)
        grant = user.grants[0]
        grant.revoked_at = clock.now()
        db.session.commit()
    login_as(client, user)
    page = client.get(page_of(notice)).text
    assert message in page and 'name="body"' not in page
    for headers in (None, htmx_headers("questions")):
        response = client.post(ask_url(notice), data={"body": "我也想问"}, headers=headers)
        assert response.status_code == 403
        assert message in response.text
    assert count(NoticeQuestion) == 0


def test_drafts_archived_and_foreign_notices_take_no_question(
    client, notice, draft, committee, asker
):
    login_as(client, asker)
    assert client.post(ask_url(draft), data={"body": "草稿？"}).status_code == 404
    other = VillageFactory(slug="other")
    assert (
        client.post(f"/v/other/notices/{notice.id}/questions", data={"body": "x"}).status_code
        == 404
    )
    assert other.id != notice.village_id
    services.archive(committee, notice)
    db.session.commit()
    refused = client.post(ask_url(notice), data={"body": "归档了还能问吗？"})
    assert refused.status_code == 403 and "这条公告已归档，不再接受提问。" in refused.text
    assert count(NoticeQuestion) == 0


def test_limits_on_open_questions_repeats_and_questions_a_day(
    client, committee, village, notice, asker
):
    login_as(client, asker)
    for i in range(3):
        assert client.post(ask_url(notice), data={"body": f"问题{i}"}).status_code == 303
    repeat = client.post(ask_url(notice), data={"body": "问题0"})
    assert repeat.status_code == 409 and "这个问题您已经问过了" in repeat.text
    fourth = client.post(ask_url(notice), data={"body": "问题3"}, headers=htmx_headers("questions"))
    assert fourth.status_code == 429 and "已有 3 个问题还没有答复" in fourth.text
    assert count(NoticeQuestion) == 3
    # Once one is answered, another may be asked.
    first = db.session.scalar(sa.select(NoticeQuestion).order_by(NoticeQuestion.id))
    questions.answer(committee, village, first.id, "已答复。")
    db.session.commit()
    assert client.post(ask_url(notice), data={"body": "问题3"}).status_code == 303
    # Ten a day in the village, over every notice.
    for n in range(6):
        other = make_notice(committee, village, title=f"公告{n}")
        ask(other, asker, body=f"另一个问题{n}")
    tenth_plus = make_notice(committee, village, title="再一条")
    refused = client.post(ask_url(tenth_plus), data={"body": "第十一个"})
    assert refused.status_code == 429 and "今天已经提了 10 个问题" in refused.text
    # A day later the count starts again.
    later = questions.ask(
        asker, tenth_plus, "第二天的问题", now=clock.now() + timedelta(days=1, minutes=1)
    )
    assert later.body == "第二天的问题"
    db.session.rollback()


def test_questions_page_newest_first(client, notice, asker, village):
    start = clock.now() - timedelta(days=2)
    for i in range(25):
        user = asker if i < 3 else villager(village)
        ask(notice, user, body=f"第{i:02d}问", at=start + timedelta(minutes=i))
    first = client.get(page_of(notice)).text
    assert first.index("第24问") < first.index("第05问")
    assert "第04问" not in first and "（25 条）" in unwrapped(first)
    assert f"{page_of(notice)}?qpage=2#questions" in first
    second = client.get(f"{page_of(notice)}?qpage=2", headers=htmx_headers("questions"))
    assert "<html" not in second.text and "第00问" in second.text and "第24问" not in second.text


# --- the committee's queue ----------------------------------------------------------


def test_the_queue_lists_unanswered_questions_oldest_first(client, committee, notice, asker):
    start = clock.now() - timedelta(hours=5)
    older = ask(notice, asker, "先问的", at=start)
    ask(notice, asker, "后问的", at=start + timedelta(hours=1))
    answered = ask(notice, asker, "答过的", at=start - timedelta(hours=1))
    questions.answer(committee, notice.village, answered.id, "答复")
    db.session.commit()
    login_as(client, committee)
    page = client.get(QUEUE)
    assert page.status_code == 200
    text = page.text
    assert text.index("先问的") < text.index("后问的") and "答过的" not in text
    assert "待答复 2 条" in text and notice.title in text and "张小明" in text
    assert f'action="{QUEUE}/{older.id}/answer"' in text
    assert 'aria-current="page"' in text and ">村民质询<" in text
    htmx = client.get(QUEUE, headers=htmx_headers("unanswered-count"))
    assert (
        htmx.text.strip().startswith('<span id="unanswered-count"') and "待答复 2 条" in htmx.text
    )


def test_the_queue_pages(client, committee, notice, village):
    start = clock.now() - timedelta(days=1)
    for i in range(23):
        ask(notice, villager(village), body=f"排队{i:02d}", at=start + timedelta(minutes=i))
    login_as(client, committee)
    first = client.get(QUEUE).text
    assert first.count('class="card question-row"') == 20 and "排队00" in first
    second = client.get(f"{QUEUE}?page=2").text
    assert second.count('class="card question-row"') == 3 and "排队22" in second
    assert client.get(f"{QUEUE}?page=abc").status_code == 200
    assert "现在没有待答复的问题" not in first


def test_answer_in_place_with_htmx(client, committee, notice, asker):
    question = ask(notice, asker)
    login_as(client, committee)
    url = f"{QUEUE}/{question.id}/answer"
    response = client.post(
        url,
        data={f"q{question.id}-answer": "由镇财政列支，详见第三季度财务公开。"},
        headers=htmx_headers(f"question-{question.id}"),
        csrf="header",
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.strip().startswith(
        f'<article class="card question-row" id="question-{question.id}"'
    )
    assert "已答复" in response.text and len(response.data) < 4096
    assert "questions-changed" in response.headers["HX-Trigger"]
    db.session.refresh(question)
    assert question.answer == "由镇财政列支，详见第三季度财务公开。"
    assert question.answered_by_id == committee.id and question.answered_at is not None
    log = db.session.scalar(
        sa.select(ActionLog).where(ActionLog.action == "notice.answer_question")
    )
    assert log.actor_id == committee.id and log.object_id == question.id
    assert log.village_id == notice.village_id
    public = client.get(page_of(notice)).text
    assert "详见第三季度财务公开" in public


def test_answer_with_a_plain_form(client, committee, notice, asker):
    question = ask(notice, asker)
    login_as(client, committee)
    response = client.post(f"{QUEUE}/{question.id}/answer", data={f"q{question.id}-answer": "答复"})
    assert response.status_code == 303 and response.headers["Location"].endswith(QUEUE)
    assert "已答复，答复已公开在公告下面。" in client.get(QUEUE).text
    db.session.refresh(question)
    assert question.answer == "答复"


@pytest.mark.parametrize(
    ("answer", "message"),
    [("", "请写下答复。"), ("  ", "请写下答复。"), ("答" * 2001, "答复最多 2000 个字。")],
)
def test_bad_answers_are_422_and_nothing_written(client, committee, notice, asker, answer, message):
    question = ask(notice, asker)
    login_as(client, committee)
    for headers in (None, htmx_headers(f"question-{question.id}")):
        response = client.post(
            f"{QUEUE}/{question.id}/answer",
            data={f"q{question.id}-answer": answer},
            headers=headers,
        )
        assert response.status_code == 422
        assert message in response.text and 'aria-invalid="true"' in response.text
    if headers:
        assert "<html" not in response.text
    db.session.refresh(question)
    assert question.answered_at is None and count(ActionLog) == 2  # the fixture's notice


def test_an_answer_is_given_once(client, committee, notice, asker):
    question = ask(notice, asker)
    login_as(client, committee)
    url = f"{QUEUE}/{question.id}/answer"
    assert client.post(url, data={f"q{question.id}-answer": "第一次"}).status_code == 303
    for headers in (None, htmx_headers(f"question-{question.id}")):
        again = client.post(url, data={f"q{question.id}-answer": "改一改"}, headers=headers)
        assert again.status_code == 409 and "已经答复过了" in again.text
    db.session.refresh(question)
    assert question.answer == "第一次"
    assert count(ActionLog) == 3


def test_supervisors_read_the_queue_but_do_not_answer(client, village, notice, asker):
    question = ask(notice, asker)
    login_as(client, official(Role.SUPERVISOR, village=village))
    page = client.get(QUEUE)
    assert page.status_code == 200 and "村道修缮的钱从哪里来？" in page.text
    assert f"{QUEUE}/{question.id}/answer" not in page.text and "不能修改" in page.text
    response = client.post(f"{QUEUE}/{question.id}/answer", data={f"q{question.id}-answer": "x"})
    assert response.status_code == 403
    db.session.refresh(question)
    assert question.answered_at is None


@pytest.mark.parametrize("who", ["visitor", "villager", "foreign_committee"])
def test_others_are_kept_out_of_the_queue(client, village, notice, asker, who):
    question = ask(notice, asker)
    if who == "villager":
        login_as(client, asker)
    elif who == "foreign_committee":
        login_as(client, official(Role.COMMITTEE, village=VillageFactory(slug="other")))
    get = client.get(QUEUE)
    post = client.post(f"{QUEUE}/{question.id}/answer", data={f"q{question.id}-answer": "x"})
    if who == "visitor":
        assert get.status_code in (302, 303) and post.status_code in (302, 303)
    else:
        assert get.status_code == 403 and post.status_code == 403
    db.session.refresh(question)
    assert question.answered_at is None


def test_another_villages_question_is_404(client, committee, village):
    other = VillageFactory(slug="other")
    foreign_notice = make_notice(official(Role.COMMITTEE, village=other), other)
    foreign = ask(foreign_notice, villager(other))
    login_as(client, committee)
    response = client.post(f"{QUEUE}/{foreign.id}/answer", data={f"q{foreign.id}-answer": "x"})
    assert response.status_code == 404
    assert "村道修缮的钱从哪里来？" not in client.get(QUEUE).text
    db.session.refresh(foreign)
    assert foreign.answered_at is None


def test_the_console_home_shows_the_unanswered_count(client, committee, notice, asker, village):
    ask(notice, asker)
    ask(notice, villager(village), body="另一个问题")
    answered = ask(notice, villager(village), body="答过的问题")
    questions.answer(committee, village, answered.id, "答复")
    db.session.commit()
    login_as(client, committee)
    home = client.get("/v/hubin/manage/").text
    tile = re.search(
        rf'<a href="{QUEUE}">\s*<span class="tile-count">(\d+)</span>\s*'
        r'<span class="tile-label">待答复的村民质询</span>',
        home,
    )
    assert tile and tile.group(1) == "2"


# --- hostile text, full page and partial -------------------------------------------

HOSTILE = (
    '<script>alert("evil")</script><img src=x onerror="evil()">'
    '<div hx-get="/evil" hx-trigger="load">x</div><a href="javascript:evil()">y</a>'
)


def test_hostile_questions_and_answers_never_reach_a_page(client, committee, notice, asker):
    login_as(client, asker)
    pages = {
        "ask partial": client.post(
            ask_url(notice),
            data={"body": HOSTILE},
            headers=htmx_headers("questions"),
            csrf="header",
        ),
        "ask bad-input page": client.post(ask_url(notice), data={"body": HOSTILE + "长" * 500}),
        "ask bad-input partial": client.post(
            ask_url(notice), data={"body": HOSTILE + "长" * 500}, headers=htmx_headers("questions")
        ),
    }
    question = db.session.scalar(sa.select(NoticeQuestion))
    login_as(client, committee)
    pages["queue"] = client.get(QUEUE)
    pages["answer bad-input partial"] = client.post(
        f"{QUEUE}/{question.id}/answer",
        data={f"q{question.id}-answer": HOSTILE + "长" * 2000},
        headers=htmx_headers(f"question-{question.id}"),
    )
    pages["answer partial"] = client.post(
        f"{QUEUE}/{question.id}/answer",
        data={f"q{question.id}-answer": HOSTILE},
        headers=htmx_headers(f"question-{question.id}"),
        csrf="header",
    )
    client.post("/logout")
    pages["notice page"] = client.get(page_of(notice))
    pages["questions partial"] = client.get(page_of(notice), headers=htmx_headers("questions"))
    for name, page in pages.items():
        assert page.status_code in (200, 422), name
        assert injected(page.text) == [], name
    assert "&lt;script&gt;" in pages["notice page"].text
    wrapped = [
        a for tag, a in elements(pages["notice page"].text) if a.get("class") == "question-list"
    ]
    assert wrapped and "hx-disable" in wrapped[0]


# --- statement counts ---------------------------------------------------------------


def _statements(client, path, headers=None) -> int:
    client.get(path, headers=headers)
    with statements() as seen:
        assert client.get(path, headers=headers).status_code == 200
    return len(seen)


def test_the_notice_page_and_the_queue_cost_a_fixed_number_of_statements(
    client, committee, notice, village
):
    ask(notice, villager(village))
    login_as(client, committee)
    few_queue = _statements(client, QUEUE)
    login_as(client, villager(village))
    few_page = _statements(client, page_of(notice))
    for i in range(30):
        question = ask(notice, villager(village), body=f"问{i}")
        if i % 2:
            questions.answer(committee, village, question.id, "答")
    db.session.commit()
    many_page = _statements(client, page_of(notice))
    login_as(client, committee)
    many_queue = _statements(client, QUEUE)
    assert many_page == few_page, (few_page, many_page)
    assert many_queue == few_queue, (few_queue, many_queue)
    assert many_queue <= 6, many_queue  # access (4) + the page and its total


def test_mask_name():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name("李") == "李*"
