"""Helpers that walk a rule version through its states with the services, at a given time."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal import clock
from portal.auth.models import Role, User
from portal.extensions import db
from portal.rules import services
from portal.rules.models import RuleVersion, TallyVisibility
from portal.villages.models import Village
from tests.factories import official

ARTICLES = (
    "村民应当爱护公共环境，生活垃圾分类投放，不乱倒乱堆。",
    "提倡喜事新办、丧事简办，红白理事会负责引导。",
    "子女应当赡养父母，关心老人的生活和健康。",
)


def committee(village: Village) -> User:
    return official(Role.COMMITTEE, village=village)


def draft(village: Village, actor: User | None = None, articles=ARTICLES) -> RuleVersion:
    actor = actor or committee(village)
    document = services.create_document(actor, village, "湖滨村村规民约")
    db.session.commit()
    version = document.versions[0]
    for body in articles:
        services.add_article(actor, version, body)
    db.session.commit()
    return version


def in_consultation(
    village: Village, actor: User | None = None, now: datetime | None = None
) -> RuleVersion:
    actor = actor or committee(village)
    version = draft(village, actor)
    services.open_consultation(actor, version, now=now or clock.now())
    db.session.commit()
    return version


def announced(
    village: Village,
    actor: User | None = None,
    now: datetime | None = None,
    visibility: TallyVisibility = TallyVisibility.LIVE,
) -> RuleVersion:
    """A version whose vote opens 10 days after `now` and closes 7 days later."""
    now = now or clock.now()
    actor = actor or committee(village)
    version = in_consultation(village, actor, now)
    services.announce_vote(
        actor,
        version,
        opens_at=now + timedelta(days=10),
        closes_at=now + timedelta(days=17),
        tally_visibility=visibility,
        now=now,
    )
    db.session.commit()
    return version


def voting(
    village: Village,
    actor: User | None = None,
    now: datetime | None = None,
    visibility: TallyVisibility = TallyVisibility.LIVE,
) -> RuleVersion:
    """A version whose vote has opened, its roll frozen at the opening time."""
    now = now or clock.now()
    version = announced(village, actor, now, visibility)
    assert services.freeze_roll_if_due(version, version.vote_opens_at)
    db.session.commit()
    return version


def during(version: RuleVersion) -> datetime:
    return version.vote_opens_at + timedelta(days=1)


def after(version: RuleVersion) -> datetime:
    return version.vote_closes_at + timedelta(minutes=1)
