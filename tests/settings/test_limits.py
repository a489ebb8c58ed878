"""The limits that moved onto village settings follow the village's choice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal import clock
from portal.extensions import db
from portal.notices import questions, schedule
from portal.notices.models import DisclosureItem, NoticeQuestion
from portal.rules.models import ArticleComment
from portal.settings.registry import change_settings
from tests.conftest import htmx_headers, login_as
from tests.factories import count, villager
from tests.notices.conftest import make_notice
from tests.rules import factories as rf


def comment_url(version, position: int = 1) -> str:
    return (
        f"/v/hubin/rules/{version.document_id}/versions/{version.number}"
        f"/articles/{position}/comments"
    )


@pytest.mark.parametrize("headers", [None, htmx_headers("comments-1")])
def test_the_comment_limits_follow_the_villages_setting(client, village, committee, headers):
    change_settings(committee, village, {"rules.comments_per_minute": "1"})
    version = rf.in_consultation(village, committee)
    login_as(client, villager(village))
    first = client.post(comment_url(version), data={"body": "第一条意见"}, headers=headers)
    assert first.status_code in (200, 303)
    second = client.post(comment_url(version), data={"body": "第二条意见"}, headers=headers)
    assert second.status_code == 429 and "请过一分钟再提" in second.text
    assert count(ArticleComment) == 1


def test_the_daily_comment_limit_follows_the_villages_setting(client, village, committee, at):
    change_settings(committee, village, {"rules.comments_per_day": "2"})
    version = rf.in_consultation(village, committee)
    login_as(client, villager(village))
    start = clock.now()
    for n in range(2):
        at(start + timedelta(minutes=2 * n))
        assert client.post(comment_url(version), data={"body": f"意见{n}"}).status_code == 303
    at(start + timedelta(minutes=10))
    refused = client.post(comment_url(version), data={"body": "还有一条"})
    assert refused.status_code == 429 and "请明天再提" in refused.text
    assert count(ArticleComment) == 2


def test_the_question_limits_follow_the_villages_setting(village, committee):
    change_settings(
        committee,
        village,
        {"notices.open_questions_per_notice": "1", "notices.questions_per_day": "2"},
    )
    db.session.commit()
    notice = make_notice(committee, village)
    other = make_notice(committee, village, title="关于春耕的通知")
    asker = villager(village)
    questions.ask(asker, notice, "第一个问题？")
    db.session.commit()
    with pytest.raises(questions.NoticeError) as open_one:
        questions.ask(asker, notice, "第二个问题？")
    assert open_one.value.status == 429 and "还没有答复" in open_one.value.message
    db.session.rollback()
    questions.ask(asker, other, "另一条公告的问题？")
    db.session.commit()
    third = make_notice(committee, village, title="关于秋收的通知")
    with pytest.raises(questions.NoticeError) as daily:
        questions.ask(asker, third, "第三个问题？")
    assert daily.value.status == 429 and "请明天再问" in daily.value.message
    db.session.rollback()
    assert count(NoticeQuestion) == 2


def test_the_default_grace_follows_the_villages_setting(client, village, committee):
    change_settings(committee, village, {"disclosure.grace_days": "5"})
    login_as(client, committee)
    page = client.get("/v/hubin/manage/disclosure")
    assert 'name="grace_days"' in page.text and 'value="5"' in page.text
    assert "宽限 5 天" in page.text
    schedule.adopt_standard_schedule(committee, village)
    db.session.commit()
    db.session.rollback()
    graces = {item.grace_days for item in db.session.query(DisclosureItem)}
    assert graces == {5}
