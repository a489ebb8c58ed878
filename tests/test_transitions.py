"""The transition helper: lock, check the state, stamp, log, in one unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from portal.actions import Refusal, unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.notices import services
from portal.notices.models import Notice, NoticeState
from tests.factories import VillageFactory, official

NOON = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


@pytest.fixture
def village(app):
    return VillageFactory()


@pytest.fixture
def member(village):
    return official(Role.COMMITTEE, village=village)


@pytest.fixture
def draft(village, member):
    with unit_of_work():
        notice = services.create_draft(
            member, village, category="affairs", title="通知", body="明天开会。"
        )
    return notice


def log_rows(action: str) -> list[ActionLog]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(ActionLog).where(ActionLog.action == action)))


def test_a_move_sets_the_state_its_stamps_and_its_log_row(draft, member):
    with unit_of_work():
        services.NOTICE_LIFECYCLE.move(
            "publish", draft, actor=member, role=Role.COMMITTEE, village=draft.village, now=NOON
        )
    db.session.refresh(draft)
    assert draft.state == NoticeState.PUBLISHED
    assert draft.published_at == NOON and draft.updated_at == NOON
    [row] = log_rows("notice.publish")
    assert row.summary["before"]["state"] == "draft"
    assert row.summary["after"]["state"] == "published"
    assert row.actor_id == member.id and row.village_id == draft.village_id


def test_a_move_from_a_state_it_does_not_leave_is_refused_and_writes_nothing(draft, member):
    with pytest.raises(Refusal, match="只有已发布的公告可以归档") as refused, unit_of_work():
        services.NOTICE_LIFECYCLE.move(
            "archive", draft, actor=member, role=Role.COMMITTEE, village=draft.village
        )
    assert refused.value.status == 409
    assert isinstance(refused.value, services.NoticeError)
    db.session.refresh(draft)
    assert draft.state == NoticeState.DRAFT and draft.archived_at is None
    assert log_rows("notice.archive") == []


def test_the_row_is_read_again_under_the_lock(draft, member):
    """A stale object (someone else published meanwhile) is refreshed before the check."""
    db.session.execute(
        sa.update(Notice).where(Notice.id == draft.id).values(state=NoticeState.PUBLISHED)
    )
    db.session.commit()
    stale = draft
    with pytest.raises(Refusal, match="已经发布了"), unit_of_work():
        services.NOTICE_LIFECYCLE.move(
            "publish", stale, actor=member, role=Role.COMMITTEE, village=draft.village
        )
    assert log_rows("notice.publish") == []


def test_allows_reads_the_stored_state(draft):
    assert services.NOTICE_LIFECYCLE.allows("publish", draft)
    assert not services.NOTICE_LIFECYCLE.allows("archive", draft)
