"""村务公开 services: each state change, each refusal, the action log, readers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.notices import services
from portal.notices.models import Notice, NoticeCategory, NoticeRead, NoticeState
from tests.factories import VillageFactory, official, villager
from tests.notices.conftest import make_notice


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(ActionLog.action).order_by(ActionLog.id)))


def test_create_draft_renders_the_body_and_logs_it(committee, village):
    notice = services.create_draft(
        committee, village, category="finance", title=" 三季度财务公开 ", body="| a |\n|---|\n| 1 |"
    )
    db.session.commit()
    assert notice.state == NoticeState.DRAFT
    assert notice.title == "三季度财务公开"
    assert notice.category == NoticeCategory.FINANCE
    assert "<table>" in notice.body_html
    assert notice.published_at is None
    log = db.session.scalar(sa.select(ActionLog))
    assert (log.action, log.actor_id, log.village_id, log.object_id) == (
        "notice.create",
        committee.id,
        village.id,
        notice.id,
    )


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("", "正文", "title"),
        ("   ", "正文", "title"),
        ("标" * 101, "正文", "title"),
        ("标题", "", "body"),
        ("标题", "字" * 20_001, "body"),
    ],
)
def test_bad_title_or_body_is_refused_and_nothing_written(committee, village, title, body, field):
    with pytest.raises(services.NoticeError) as refused:
        services.create_draft(committee, village, category="affairs", title=title, body=body)
    db.session.rollback()
    assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count(Notice.id))) == 0
    assert actions() == []


def test_limits_are_inclusive(committee, village):
    notice = services.create_draft(
        committee, village, category="affairs", title="标" * 100, body="字" * 20_000
    )
    db.session.commit()
    assert len(notice.title) == 100


def test_only_the_villages_committee_may_write(village):
    for user in (
        villager(village),
        official(Role.SUPERVISOR, village=village),
        official(Role.COMMITTEE, village=VillageFactory()),
    ):
        with pytest.raises(services.NoticeError):
            services.create_draft(user, village, category="affairs", title="t", body="b")
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Notice.id))) == 0


def test_edit_draft(committee, draft):
    services.edit_draft(committee, draft, category="party", title="新标题", body="**新**正文")
    db.session.commit()
    assert (draft.title, draft.category) == ("新标题", NoticeCategory.PARTY)
    assert "<strong>新</strong>" in draft.body_html
    assert actions()[-1] == "notice.edit"


def test_a_published_notice_is_never_edited(committee, notice):
    before = (notice.title, notice.body, notice.body_html)
    with pytest.raises(services.NoticeError, match="更正"):
        services.edit_draft(committee, notice, category="affairs", title="改", body="改")
    db.session.rollback()
    db.session.refresh(notice)
    assert (notice.title, notice.body, notice.body_html) == before
    assert "notice.edit" not in actions()


def test_publish_moves_a_draft_and_records_who_and_when(committee, draft):
    moment = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)
    services.publish(committee, draft, now=moment)
    db.session.commit()
    assert draft.state == NoticeState.PUBLISHED
    assert draft.published_at == moment
    assert draft.published_by_id == committee.id
    assert actions()[-1] == "notice.publish"
    with pytest.raises(services.NoticeError, match="已经发布"):
        services.publish(committee, draft)
    db.session.rollback()


def test_archive_only_a_published_notice_and_it_loses_its_pin(committee, notice, draft):
    services.set_pinned(committee, notice, True)
    services.archive(committee, notice)
    db.session.commit()
    assert notice.state == NoticeState.ARCHIVED
    assert notice.archived_at is not None
    assert notice.pinned is False
    for target in (draft, notice):
        with pytest.raises(services.NoticeError, match="只有已发布的公告可以归档"):
            services.archive(committee, target)
        db.session.rollback()
    with pytest.raises(services.NoticeError, match="已归档"):
        services.publish(committee, notice)
    db.session.rollback()


def test_pin_and_unpin(committee, notice, draft):
    services.set_pinned(committee, notice, True)
    db.session.commit()
    assert notice.pinned
    services.set_pinned(committee, notice, False)
    db.session.commit()
    assert not notice.pinned
    assert actions()[-2:] == ["notice.pin", "notice.unpin"]
    with pytest.raises(services.NoticeError, match="置顶"):
        services.set_pinned(committee, draft, True)
    db.session.rollback()


def test_nothing_is_deleted_there_is_no_delete(committee, notice):
    assert not hasattr(services, "delete")
    assert not hasattr(services, "delete_notice")


def test_a_correction_is_a_new_notice_linked_to_the_original(committee, notice):
    services.set_pinned(committee, notice, True)
    correction = services.publish_correction(
        committee, notice, title="更正：修缮村道", body="改为下周三开始。"
    )
    db.session.commit()
    assert correction.id != notice.id
    assert correction.corrects_id == notice.id
    assert correction.state == NoticeState.PUBLISHED
    assert correction.category == notice.category
    # The original keeps its words, and hands its pin to the correction.
    assert notice.state == NoticeState.PUBLISHED
    assert "下周一" in notice.body
    assert (notice.pinned, correction.pinned) == (False, True)
    assert services.corrections_of(notice) == [correction]
    assert services.corrected_ids([notice, correction]) == {notice.id}
    assert actions()[-1] == "notice.correct"


def test_a_draft_is_not_corrected_but_edited(committee, draft):
    with pytest.raises(services.NoticeError, match="草稿"):
        services.publish_correction(committee, draft, title="t", body="b")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Notice.id))) == 1


def test_a_correction_with_bad_input_writes_nothing(committee, notice):
    with pytest.raises(services.NoticeError):
        services.publish_correction(committee, notice, title="", body="b")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Notice.id))) == 1


def test_assembly_decision_is_published_at_once_in_the_callers_transaction(village, committee):
    notice = services.post_assembly_decision(
        village,
        "村民会议决定：《湖滨村村规民约》修订版通过",
        "应到 812 人，实到 530 人。\n\n| 同意 | 不同意 | 弃权 |\n|---|---|---|\n| 401 | 98 | 31 |",
        actor=committee,
    )
    db.session.commit()
    assert notice.category == NoticeCategory.DECISION
    assert notice.state == NoticeState.PUBLISHED
    assert notice.published_at is not None
    assert "<table>" in notice.body_html
    assert actions() == ["notice.post_decision"]
    listed = db.session.scalars(services.published_notices(village)).all()
    assert listed == [notice]


def test_assembly_decision_rolls_back_with_its_caller(village):
    services.post_assembly_decision(village, "决定", "正文")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Notice.id))) == 0


def test_assembly_decision_never_fails_on_length(village):
    notice = services.post_assembly_decision(village, "决" * 300, "")
    db.session.commit()
    assert len(notice.title) == 100
    assert notice.body


def test_a_reader_is_counted_once(notice, village):
    reader = villager(village)
    other = villager(village)
    assert services.mark_read(notice, reader) is True
    db.session.commit()
    assert services.mark_read(notice, reader) is False
    db.session.commit()
    assert services.mark_read(notice, other) is True
    db.session.commit()
    db.session.refresh(notice)
    assert notice.read_count == 2
    assert db.session.scalar(sa.select(sa.func.count(NoticeRead.id))) == 2
    assert services.has_read(notice, reader)


def test_the_database_refuses_a_second_read_row(notice, village):
    reader = villager(village)
    db.session.add(NoticeRead(notice_id=notice.id, user_id=reader.id))
    db.session.commit()
    db.session.add(NoticeRead(notice_id=notice.id, user_id=reader.id))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_lost_race_keeps_the_rest_of_the_transaction(notice, village, committee):
    """The second insert fails inside a savepoint: what else the transaction did stays."""
    reader = villager(village)
    db.session.add(NoticeRead(notice_id=notice.id, user_id=reader.id))
    db.session.flush()
    other = make_notice(committee, village, publish=False, title="同一事务中的草稿")
    assert services.mark_read(notice, reader) is False
    db.session.commit()
    assert db.session.get(Notice, other.id) is not None
    db.session.refresh(notice)
    assert notice.read_count == 0


def test_drafts_and_archived_notices_count_no_readers(draft, notice, committee, village):
    services.archive(committee, notice)
    db.session.commit()
    reader = villager(village)
    assert services.mark_read(draft, reader) is False
    assert services.mark_read(notice, reader) is False


def test_the_list_puts_pinned_first_then_newest(committee, village):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = []
    for day in range(3):
        n = services.create_draft(committee, village, category="affairs", title=f"{day}", body="b")
        services.publish(committee, n, now=start + timedelta(days=day))
        made.append(n)
    finance = services.create_draft(committee, village, category="finance", title="财", body="b")
    services.publish(committee, finance, now=start - timedelta(days=1))
    services.set_pinned(committee, made[0], True)
    make_notice(committee, village, publish=False, title="草稿")
    other_village = VillageFactory()
    make_notice(official(Role.COMMITTEE, village=other_village), other_village)
    db.session.commit()
    listed = db.session.scalars(services.published_notices(village)).all()
    assert [n.title for n in listed] == ["0", "2", "1", "财"]
    only_finance = db.session.scalars(
        services.published_notices(village, NoticeCategory.FINANCE)
    ).all()
    assert only_finance == [finance]
    assert [n.title for n in services.home_notices(village, limit=2)] == ["0", "2"]
    assert [n.title for n in services.feed_notices(village)] == ["2", "1", "0", "财"]
    assert len(db.session.scalars(services.committee_notices(village)).all()) == 5
