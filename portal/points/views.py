"""积分 pages as villagers and visitors read them (DESIGN.md 2.5).

/v/<village>/points: the catalogue 积分细则 by category, the leaderboard of households
(a page at a time; with htmx the pager swaps the board alone) and the entries in 公示
with a link to object. /v/<village>/points/households/<id>: a household's statement for
a book year (?year=), with its balance month by month as a chart and a table.
.../card: the household's printable QR card. /v/<village>/points/entries/<id>: one
entry, where a 公示's subject link leads; .../photo its photo.

Who sees what: the points scheme is public (DESIGN.md 2.5, "masked publicly"), so
everyone reads the figures; a household is named by its head's masked name and never
by its door number, and what people wrote (notes, a rejection's reason) is not shown.
The household's own members (verified villagers of it) and the village's committee and
supervisors read the full statement: the head's full name, the door number, the notes.
Those pages are private (no-store, noindex); the masked ones are as cacheable as any
public page (a visitor's page mints no CSRF token). The card is for the household's
members and the committee, who print cards for those without phones. A pending or
rejected entry is 404 for everyone but the household and the committee.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from portal import clock
from portal.actions import NotFound
from portal.auth.access import load_village, login_required, roles_in_village, village_page
from portal.auth.models import Role
from portal.extensions import db
from portal.htmx import render
from portal.notices.posters import qr_svg
from portal.paging import Page, clamp_page
from portal.points import services
from portal.points.chart import balance_chart
from portal.points.models import EntryState, ItemCategory, LedgerEntry, LedgerKind, PointsEntry
from portal.privacy import mask_name, private
from portal.publicity import services as publicity
from portal.publicity.models import Publicity
from portal.publicity.services import PublicityPhase
from portal.uploads import send_photo
from portal.villages.models import Household, Resident, Village

bp = Blueprint("points", __name__)

PER_PAGE = 20
# The entries in 公示 the index lists (the newest; at 3 days of 公示 a village has few).
NOTICE_LIMIT = 30
# The rejected entries of its own a household's full statement lists (the newest).
REJECTED_LIMIT = 10
BOARD_TARGET = "points-board"
STATEMENT_TARGET = "points-statement"
STAFF = frozenset({Role.COMMITTEE, Role.SUPERVISOR})
CATEGORY_ORDER = [c.value for c in ItemCategory]


@bp.app_template_global()
def points_signed(points: int) -> str:
    """+5 / -10 / 0: a movement of points always says which way."""
    return f"{points:+d}" if points else "0"


@bp.app_template_global()
def points_link(endpoint: str, **values) -> str | None:
    """The address of a page others are building (the console's recording and
    declaration forms, the shop), or None while it is not there: this page links to it
    from the day it exists."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.app_template_global()
def points_channel(entry: PointsEntry) -> str:
    return str(services.CHANNEL_LABELS[entry.channel])


@bp.app_template_global()
def points_cap(item) -> str | None:
    if item.cap is None:
        return None
    if item.cap_period is not None and item.cap_period.value == "month":
        return _("每户每月最多 %(cap)d 分", cap=item.cap)
    return _("每户每年最多 %(cap)d 分", cap=item.cap)


# --- who may see what -----------------------------------------------------------------


def _own_household_id(user) -> int | None:
    """The household of the user's roster entry, looked up once a request."""
    if user is None or not getattr(user, "is_authenticated", False) or user.resident_id is None:
        return None
    cache = g.setdefault("_points_household", {})
    if user.id not in cache:
        cache[user.id] = db.session.scalar(
            sa.select(Resident.household_id).where(Resident.id == user.resident_id)
        )
    return cache[user.id]


def _held(village: Village) -> set[Role]:
    if not current_user.is_authenticated:
        return set()
    return roles_in_village(current_user, village)


def is_member(village: Village, household_id: int) -> bool:
    """A verified villager of the household: one of its own members."""
    return Role.VILLAGER in _held(village) and _own_household_id(current_user) == household_id


def may_see_full(village: Village, household_id: int) -> bool:
    """The household's members, and the committee and supervisors: the full statement,
    the notes, a rejected or pending entry."""
    return bool(_held(village) & STAFF) or is_member(village, household_id)


def may_print_card(village: Village, household_id: int) -> bool:
    return Role.COMMITTEE in _held(village) or is_member(village, household_id)


def _masked_heads(household_ids) -> dict[int, str]:
    found = services.heads(household_ids)
    return {
        household_id: mask_name(found[household_id].name if household_id in found else None)
        for household_id in set(household_ids)
    }


def _head_name(household: Household, full: bool) -> str:
    head = services.heads([household.id]).get(household.id)
    name = head.name if head is not None else None
    return mask_name(name, consented=True) if full and name else mask_name(name)


def _household_or_404(village: Village, household_id: int) -> Household:
    try:
        return services.get_household(village, household_id)
    except NotFound:
        abort(404)


# --- an entry's state as a page says it ------------------------------------------------


@dataclass(frozen=True)
class EntryView:
    entry: PointsEntry
    label: str
    period: Publicity | None
    ends_on: object
    is_open: bool
    objections: publicity.ObjectionCount | None


def _entry_views(entries: list[PointsEntry], now) -> list[EntryView]:
    """Each entry with its state in words, from its latest 公示 and the clock: an
    approved entry whose 公示 ended with every objection answered counts as final."""
    periods = publicity.periods_for(
        services.SUBJECT, [e.id for e in entries if e.state != EntryState.PENDING]
    )
    counts = publicity.objection_counts([p.id for p in periods.values()])
    views = []
    for entry in entries:
        period = periods.get(entry.id)
        label = str(services.STATE_LABELS[entry.state])
        ends_on = None
        is_open = False
        objections = None
        if period is not None:
            shown = publicity.describe(period, now)
            ends_on = shown.ends_on
            objections = counts.get(period.id, publicity.ObjectionCount())
            if entry.state == EntryState.APPROVED:
                if shown.phase != PublicityPhase.ENDED:
                    is_open = True
                elif objections.unanswered:
                    label = _("公示期满，等待答复异议")
                else:
                    label = str(services.STATE_LABELS[EntryState.FINAL])
        views.append(EntryView(entry, label, period, ends_on, is_open, objections))
    return views


# --- the index ------------------------------------------------------------------------


def _catalogue_groups(village: Village) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for found in services.catalogue(village):
        groups.setdefault(found.category, []).append(found)
    order = sorted(
        groups,
        key=lambda c: CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else len(CATEGORY_ORDER),
    )
    return [(services.category_label(c), groups[c]) for c in order]


def index_context(village: Village) -> dict:
    """The index and its board block, from one context."""
    now = clock.now()
    page = clamp_page(request.args.get("page", 1, type=int))
    rows = db.session.execute(
        services.leaderboard(village, now).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    total = db.session.scalar(
        sa.select(sa.func.count(Household.id)).where(Household.village_id == village.id)
    )
    board = Page(rows, total, page, PER_PAGE)
    notice = _entry_views(
        list(db.session.scalars(services.in_notice(village, now).limit(NOTICE_LIMIT))), now
    )
    names = _masked_heads([h.id for h, _balance in rows] + [v.entry.household_id for v in notice])
    held = _held(village)
    return {
        "village": village,
        "groups": _catalogue_groups(village),
        "board": board,
        "first_rank": (page - 1) * PER_PAGE + 1,
        "notice": notice,
        "names": names,
        "my_household_id": _own_household_id(current_user) if Role.VILLAGER in held else None,
        "may_record": bool(held & {Role.COMMITTEE, Role.GRID_WORKER}),
        "may_declare": Role.VILLAGER in held,
    }


@bp.get("/v/<village>/points")
@village_page
def index(village: Village):
    """积分细则, the leaderboard and the entries in 公示."""
    return render("points/index.html", blocks={BOARD_TARGET: "board"}, **index_context(village))


# --- a household's statement ----------------------------------------------------------


def _row_what(row: LedgerEntry) -> str:
    if row.kind == LedgerKind.AWARD and row.entry is not None:
        return row.entry.item.description
    if row.kind == LedgerKind.REDEMPTION and row.reward is not None:
        return _("%(reward)s × %(quantity)d", reward=row.reward.name, quantity=row.quantity or 0)
    if row.kind == LedgerKind.REVERSAL:
        return _("冲销第 %(number)d 笔", number=row.reverses_id)
    return str(services.KIND_LABELS[row.kind])


def statement_context(village: Village, household: Household) -> dict:
    now = clock.now()
    full = may_see_full(village, household.id)
    current = services.book_year(village.id, now)
    years = services.statement_years(household, current)
    year = request.args.get("year", type=int)
    if year not in years:
        year = current
    found = services.statement(household, year, now, current=current)
    open_views = _entry_views(found.open_entries, now)
    if not full:
        open_views = [v for v in open_views if v.entry.state == EntryState.APPROVED]
    rejected = []
    if full:
        rejected = list(
            db.session.scalars(
                services.household_entries(household)
                .where(PointsEntry.state == EntryState.REJECTED)
                .limit(REJECTED_LIMIT)
            )
        )
    head = _head_name(household, full)
    chart = balance_chart(found.months)
    return {
        "village": village,
        "household": household,
        "full": full,
        "head": head,
        "year": year,
        "years": years,
        "current_year": current,
        "statement": found,
        "standing": found.standing,
        "rows": [
            {
                "row": row,
                "what": _row_what(row),
                "kind": services.KIND_LABELS[row.kind],
                "reversed": row.id in found.reversed_ids,
            }
            for row in found.rows
        ],
        "open_views": open_views,
        "rejected": rejected,
        "chart": chart,
        "chart_summary": _("%(head)s，%(year)d年", head=head, year=year),
        "may_print": may_print_card(village, household.id),
    }


@bp.get("/v/<village>/points/households/<int:household_id>")
@village_page
def household(village: Village, household_id: int):
    """A household's statement: full for its members and the committee, masked for
    anyone else; ?year= an earlier book year."""
    found = _household_or_404(village, household_id)
    context = statement_context(village, found)
    response = render(
        "points/household.html", blocks={STATEMENT_TARGET: "statement_block"}, **context
    )
    return private(response) if context["full"] else response


# --- the QR card ----------------------------------------------------------------------


@bp.get("/v/<village>/points/households/<int:household_id>/card")
@login_required
def card(village: str, household_id: int):
    """The household's printable A6 card with the QR code of its statement: for its
    members and the committee; anyone else logged in is refused (403)."""
    village = load_village(village)
    found = _household_or_404(village, household_id)
    if not may_print_card(village, found.id):
        abort(403)
    url = url_for("points.household", village=village.slug, household_id=found.id, _external=True)
    return private(
        render(
            "points/card.html",
            village=village,
            household=found,
            head=_head_name(found, True),
            url=url,
            qr=qr_svg(url, _("扫码查看本户积分"), css_class="points-card-qr"),
        )
    )


# --- one entry ------------------------------------------------------------------------


def _entry_or_404(village: Village, entry_id: int) -> tuple[PointsEntry, bool]:
    """The entry and whether the viewer is an insider (its household, the committee and
    supervisors); a pending or rejected entry is 404 for anyone else."""
    entry = db.session.get(
        PointsEntry,
        entry_id,
        options=[joinedload(PointsEntry.item), joinedload(PointsEntry.household)],
    )
    if entry is None or entry.village_id != village.id:
        abort(404)
    insider = may_see_full(village, entry.household_id)
    if entry.state in (EntryState.PENDING, EntryState.REJECTED) and not insider:
        abort(404)
    return entry, insider


@bp.get("/v/<village>/points/entries/<int:entry_id>")
@village_page
def entry(village: Village, entry_id: int):
    """One entry: whose (masked), what, its state and 公示, and how to object."""
    found, insider = _entry_or_404(village, entry_id)
    now = clock.now()
    shown = _entry_views([found], now)[0]
    staff = bool(_held(village) & STAFF)
    response = render(
        "points/entry.html",
        village=village,
        entry=found,
        shown=shown,
        head=_head_name(found.household, insider),
        insider=insider,
        staff=staff,
        counts=shown.objections,
        photo=bool(found.photo_stored_name) and insider,
    )
    if insider:
        return private(response)
    return response


@bp.get("/v/<village>/points/entries/<int:entry_id>/photo")
@village_page
def entry_photo(village: Village, entry_id: int):
    """An entry's photo: for its household and the committee (and supervisors) only."""
    found, insider = _entry_or_404(village, entry_id)
    if not insider or not found.photo_stored_name:
        abort(404)
    return send_photo(
        services.ENTRY_PHOTOS,
        found.photo_stored_name,
        found.photo_content_type or "image/jpeg",
        shared=False,
    )
