"""Paper ballots of the assembly 村民会议, entered at the keyboard by a committee clerk.

Most of the roll votes on paper at the assembly, and a clerk enters every ballot
afterwards: after an assembly of 300 that must take an hour, not an evening. So the
page is built for the keyboard: type a name or a door number, Enter picks the first
match, 1 / 2 / 3 chooses 赞成 / 反对 / 弃权, Enter enters it, and the search box is empty
and focused for the next ballot. Without JavaScript the same page is plain forms
(a GET search, three buttons per person, post/redirect/get); static/js/paper.js adds
the keys, and htmx swaps the panel in place.

/v/<village>/manage/rules/<id>/versions/<n>/paper        GET the page (?q= searches the
                                                          roll); POST enters one ballot
/v/<village>/manage/rules/<id>/versions/<n>/paper/undo   POST takes back the clerk's
                                                          latest entry

The routes sit on the console's blueprint: the committee enters ballots, the
supervision committee 村务监督委员会 reads the page. A clerk may take back only their
own latest entry, and only until the vote is closed: the one who keyed a ballot is
the one who knows it was miskeyed, and the closed result must not move. The action
log keeps the entry and its undoing, so nothing disappears without a trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal import clock
from portal.actions import Refusal, unit_of_work
from portal.audit.services import record_action
from portal.auth.access import active_grants, village_role
from portal.auth.models import Role, User
from portal.database import write_transaction
from portal.extensions import db
from portal.htmx import htmx_target, is_boosted, redirect_after_post, render, with_htmx_redirect
from portal.manage.blueprint import EDITORS, READERS, can_edit
from portal.paging import clean_query
from portal.rules import services
from portal.rules.console import _roll_resident as _resident_of_village
from portal.rules.console import _version_or_404, bp
from portal.rules.manage_forms import BALLOT_LABELS, PaperBallotForm
from portal.rules.models import (
    CLOSED_STATES,
    Ballot,
    BallotChannel,
    BallotChoice,
    RuleVersion,
    VotePhase,
    vote_phase,
)
from portal.villages.models import Household, Resident

TEMPLATE = "rules/paper.html"
# The regions an htmx request may ask for, by the id of the element it swaps.
BLOCKS = {"paper-entry": "entry", "paper-results": "results"}
# Phases in which paper ballots are taken: during the vote and after its window, until
# the committee closes it (the assembly's ballots are entered after the assembly).
TAKING = (VotePhase.OPEN, VotePhase.ENDED)


# --- the running count, the matches, undo ----------------------------------------------


@dataclass(frozen=True)
class PaperCount:
    total: int  # paper ballots of this vote, whoever entered them
    by_clerk: int  # of those, the ones this clerk entered


@dataclass(frozen=True)
class Match:
    """A resident on the roll found by the search, and the channel of their ballot if any."""

    resident: Resident
    door_number: str
    ballot_channel: BallotChannel | None


@dataclass(frozen=True)
class UndoneEntry:
    """What an undone paper ballot said, for the message that confirms it."""

    resident_name: str
    door_number: str
    choice: BallotChoice


_VERSION_ID = sa.bindparam("version_id", type_=sa.Integer)
_CLERK_ID = sa.bindparam("clerk_id", type_=sa.Integer)
# The count shown after every entry, so built once: one statement for both figures.
_PAPER_COUNT = sa.select(
    sa.func.count(),
    sa.func.count(sa.case((Ballot.cast_by_id == _CLERK_ID, 1))),
).where(Ballot.version_id == _VERSION_ID, Ballot.channel == BallotChannel.PAPER)
# A clerk's latest paper entry: the highest id, since entries are rows inserted in turn
# and a paper ballot is never changed afterwards.
_LAST_ENTRY = (
    sa.select(Ballot)
    .options(joinedload(Ballot.resident).joinedload(Resident.household))
    .where(
        Ballot.version_id == _VERSION_ID,
        Ballot.channel == BallotChannel.PAPER,
        Ballot.cast_by_id == _CLERK_ID,
    )
    .order_by(Ballot.id.desc())
    .limit(1)
)


def paper_count(version: RuleVersion, clerk_id: int | None) -> PaperCount:
    total, mine = db.session.execute(
        _PAPER_COUNT, {"version_id": version.id, "clerk_id": clerk_id}
    ).one()
    return PaperCount(total, mine)


def last_entry(version: RuleVersion, clerk_id: int) -> Ballot | None:
    """The clerk's latest paper ballot still standing for this vote: the one undo takes back."""
    return db.session.scalar(_LAST_ENTRY, {"version_id": version.id, "clerk_id": clerk_id})


def roll_matches(version: RuleVersion, q: str) -> list[Match]:
    """Residents on the roll matching `q`, each with their door and any ballot.

    The search is the roll's own (`services.find_roll_residents`); the doors and the
    ballots of all its rows come in one more statement, whatever the number of rows.
    """
    residents = services.find_roll_residents(version, q)
    if not residents:
        return []
    rows = db.session.execute(
        sa.select(Resident.id, Household.door_number, Ballot.channel)
        .join(Household, Household.id == Resident.household_id)
        .outerjoin(
            Ballot, sa.and_(Ballot.version_id == version.id, Ballot.resident_id == Resident.id)
        )
        .where(Resident.id.in_([r.id for r in residents]))
    ).all()
    found = {resident_id: (door, channel) for resident_id, door, channel in rows}
    return [Match(r, *found[r.id]) for r in residents]


def undo_paper_ballot(
    clerk: User, version: RuleVersion, ballot_id: int, now: datetime | None = None
) -> UndoneEntry:
    """Take back the clerk's latest paper entry for this vote, until the vote is closed.

    The entry is named by id and must still be the clerk's latest: a repeated undo
    (a double press, a resent form) finds its ballot gone and is refused, instead of
    taking back the entry before it. The ballot row is deleted, so the one-ballot rule
    lets the right ballot be entered, and the action log keeps what it said. The
    version's row lock (PostgreSQL) or the write lock (SQLite) orders an undo and the
    close: a closed result never loses a ballot.
    """
    if not active_grants(clerk, [Role.COMMITTEE], village_id=version.village_id):
        raise Refusal(_("只有本村村委会成员可以撤销纸质选票。"), status=403)
    write_transaction()
    db.session.execute(
        sa.select(RuleVersion.id).where(RuleVersion.id == version.id).with_for_update()
    )
    db.session.refresh(version)
    if version.result is not None or version.state in CLOSED_STATES:
        raise Refusal(_("表决已经结束，已录入的选票不能再撤销。"), status=409)
    ballot = db.session.scalar(
        sa.select(Ballot)
        .options(joinedload(Ballot.resident).joinedload(Resident.household))
        .where(Ballot.id == ballot_id, Ballot.version_id == version.id)
    )
    if ballot is None:
        raise Refusal(_("这张选票已经撤销了，不能再撤销一次。"), status=409)
    if ballot.channel != BallotChannel.PAPER or ballot.cast_by_id != clerk.id:
        raise Refusal(_("只能撤销您自己录入的纸质选票。"), status=403)
    latest = last_entry(version, clerk.id)
    if latest is None or latest.id != ballot.id:
        raise Refusal(_("只能撤销您最近录入的那一张选票。"), status=409)
    undone = UndoneEntry(ballot.resident.name, ballot.resident.household.door_number, ballot.choice)
    record_action(
        clerk,
        Role.COMMITTEE,
        "rules.paper_ballot_undo",
        ballot,
        village=version.village,
        before={
            "version_id": version.id,
            "resident_id": ballot.resident_id,
            "choice": ballot.choice.value,
        },
    )
    db.session.delete(ballot)
    db.session.flush()
    return undone


# --- the page ----------------------------------------------------------------------------


def _urls(village, version: RuleVersion) -> dict:
    args = {"village": village.slug, "document_id": version.document_id, "number": version.number}
    return {
        "paper_url": url_for(".paper_entry", **args),
        "undo_url": url_for(".paper_undo", **args),
        "version_url": url_for(".version", **args),
    }


def _paper_context(
    village,
    version: RuleVersion,
    *,
    q: str = "",
    message: str | None = None,
    done: str | None = None,
) -> dict:
    """Everything the page shows, for the whole page or either of its blocks."""
    now = clock.now()
    phase = vote_phase(version, now)
    taking = phase in TAKING
    editor = can_edit()
    return {
        "village": village,
        "document": version.document,
        "version": version,
        "phase": phase,
        "taking": taking,
        "q": q,
        "matches": roll_matches(version, q) if taking and q else [],
        "count": paper_count(version, current_user.id),
        "turnout": services.turnout(version, now),
        "last": last_entry(version, current_user.id) if taking and editor else None,
        "ballot_labels": BALLOT_LABELS,
        "message": message,
        "done": done,
        **_urls(village, version),
    }


def _paper_page(village, version: RuleVersion, status: int = 200, **extras):
    return render(
        TEMPLATE, blocks=BLOCKS, status=status, **_paper_context(village, version, **extras)
    )


def _after(village, version: RuleVersion, done: str):
    """After an entry or an undo: the panel again for htmx, else post/redirect/get.

    Either way the search is cleared: the next ballot is someone else's.
    """
    if htmx_target() == "paper-entry":
        return _paper_page(village, version, done=done)
    flash(done, "success")
    return redirect_after_post(_urls(village, version)["paper_url"])


@bp.get("/<int:document_id>/versions/<int:number>/paper")
@village_role(*READERS)
def paper_entry(village, document_id: int, number: int):
    """The entry page; `?q=` searches the roll (the whole page, or its results for htmx).

    A boosted visit (a link or the login form's redirect, followed by htmx) would swap
    the page in without running its script, and the keys would be dead: it is sent to
    a full page load instead.
    """
    version = _version_or_404(village, document_id, number)
    if is_boosted():
        return with_htmx_redirect(request.full_path.rstrip("?"))
    return _paper_page(village, version, q=clean_query(request.args.get("q")))


@bp.post("/<int:document_id>/versions/<int:number>/paper")
@village_role(*EDITORS)
def paper_enter(village, document_id: int, number: int):
    """Enter one paper ballot; a refusal is shown in place, with the search kept."""
    version = _version_or_404(village, document_id, number)
    # The token is checked app-wide (CSRFProtect) before the view runs.
    form = PaperBallotForm(meta={"csrf": False})
    q = clean_query(request.form.get("q"))
    try:
        if not form.validate():
            if form.choice.errors:
                raise Refusal(str(form.choice.errors[0]), status=422)
            raise Refusal(_("请先查找并选定一位村民。"), status=422)
        resident = _resident_of_village(village, form.resident_id.data)
        if resident is None:
            raise Refusal(_("名单上没有这个人，请重新查找。"), status=422)
        with unit_of_work():
            ballot = services.enter_paper_ballot(current_user, version, resident, form.choice.data)
            done = _(
                "已录入%(name)s（%(door)s）的纸质选票：%(choice)s。",
                name=resident.name,
                door=resident.household.door_number,
                choice=BALLOT_LABELS[ballot.choice],
            )
    except Refusal as error:
        return _paper_page(village, version, error.status, q=q, message=error.message)
    return _after(village, version, done)


@bp.post("/<int:document_id>/versions/<int:number>/paper/undo")
@village_role(*EDITORS)
def paper_undo(village, document_id: int, number: int):
    """Take back the clerk's latest paper entry for this vote."""
    version = _version_or_404(village, document_id, number)
    ballot_id = request.form.get("ballot_id", type=int)
    try:
        if ballot_id is None:
            raise Refusal(_("没有指明要撤销哪一张选票，请刷新页面后再试。"), status=422)
        with unit_of_work():
            undone = undo_paper_ballot(current_user, version, ballot_id)
    except Refusal as error:
        return _paper_page(village, version, error.status, message=error.message)
    done = _(
        "已撤销%(name)s（%(door)s）的纸质选票（%(choice)s），可以重新录入。",
        name=undone.resident_name,
        door=undone.door_number,
        choice=BALLOT_LABELS[undone.choice],
    )
    return _after(village, version, done)
