"""The demo's notices for 湖滨村."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.notices.models import Notice, NoticeCategory, NoticeQuestion, NoticeState


@pytest.mark.demo
def test_demo_has_notices_in_every_category_once(runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    notices = db.session.scalars(sa.select(Notice)).all()
    published = [n for n in notices if n.state == NoticeState.PUBLISHED]
    assert {n.category for n in published} == set(NoticeCategory)
    finance = next(n for n in published if n.category == NoticeCategory.FINANCE)
    assert "季度" in finance.title and "<table>" in finance.body_html
    assert sum(n.pinned for n in notices) == 1
    assert any(n.corrects_id for n in notices)
    assert any(n.state == NoticeState.DRAFT for n in notices)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count(Notice.id))) == len(notices)
    page = client.get("/v/hubin/notices")
    assert page.status_code == 200 and finance.title in page.text
    assert "关于召开村民代表会议的通知" in client.get("/v/hubin/").text


@pytest.mark.demo
def test_demo_has_a_question_answered_in_public_and_one_waiting(runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    asked = db.session.scalars(sa.select(NoticeQuestion).order_by(NoticeQuestion.id)).all()
    answered = [q for q in asked if q.answered_at is not None]
    waiting = [q for q in asked if q.answered_at is None]
    assert len(answered) == 1 and len(waiting) == 1
    question = answered[0]
    assert question.notice.category == NoticeCategory.FINANCE
    assert question.notice.state == NoticeState.PUBLISHED
    assert question.created_at <= question.answered_at
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count(NoticeQuestion.id))) == 2
    page = client.get(f"/v/hubin/notices/{question.notice_id}").text
    assert question.body in page and "村委会答复" in page
    assert question.asked_by.name not in page and question.asked_by.phone not in page
