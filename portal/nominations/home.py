"""What good-neighbour nominations show on the village home."""

from __future__ import annotations

from portal.nominations import services
from portal.villages.models import Village


def home_context(village: Village) -> dict:
    """The village home's 好人榜 section: the latest commended nominees (one statement),
    shown only when there are some."""
    return {"nomination_home_entries": services.home_commended(village)}


def _console_figures():
    """One statement: whether the village has any nomination, those with enough
    endorsements waiting for review, and those whose 公示 has ended. The minimum is the
    village's setting, read inside the same statement."""
    import sqlalchemy as sa

    from portal.nominations.models import Nomination, NominationState
    from portal.publicity.models import Publicity
    from portal.settings.models import VillageSetting

    village_id = sa.bindparam("village_id", type_=sa.Integer)
    now = sa.bindparam("now", type_=Publicity.ends_at.type)
    stored = (
        sa.select(sa.cast(VillageSetting.value, sa.Integer))
        .where(
            VillageSetting.village_id == village_id,
            VillageSetting.key == services.MIN_ENDORSEMENTS.key,
        )
        .scalar_subquery()
    )
    needed = sa.func.coalesce(stored, services.MIN_ENDORSEMENTS.default)
    ended = sa.exists().where(
        Publicity.subject_type == services.SUBJECT,
        Publicity.subject_id == Nomination.id,
        Publicity.ends_at <= now,
    )
    count = sa.func.count(Nomination.id)
    return sa.select(
        count,
        count.filter(
            Nomination.state == NominationState.SUBMITTED,
            Nomination.endorsement_count >= needed,
        ),
        count.filter(Nomination.state == NominationState.NOTICE, ended),
    ).where(Nomination.village_id == village_id)


_CONSOLE_FIGURES = _console_figures()


def console_context(village: Village) -> dict:
    """The console home's 好人推荐 tile, once the village has a nomination: those waiting
    for review and those whose 公示 has ended."""
    from portal import clock
    from portal.extensions import db

    made, review, ended = db.session.execute(
        _CONSOLE_FIGURES, {"village_id": village.id, "now": clock.now()}
    ).one()
    if not made:
        return {"nominations_tile": None}
    return {"nominations_tile": {"review": review, "ended": ended}}
