"""红黑榜 pages as villagers and visitors read them (DESIGN.md 2.3).

/v/<village>/boards?board=red|black&category=<id>&page=N: the board, a page at a time,
filtered by category (a plain GET form and links; with htmx they swap the list alone
and push the address). /v/<village>/boards/<id>: one entry, with its 公示 and the
objection form while the period is open; /v/<village>/boards/<id>/photo: its photo.

The red board is public, and as cacheable as any public page. The black board and
its entries are for those `services.may_read_black` admits (the village's verified
villagers, its committee and supervisors): everyone else is told so in words, with
403 and no entry data; every black-board answer, the refusal included, is
`portal.privacy.private` (no-store, noindex), so no cache keeps it. Only entries
listed now (`services.listed`, read from the clock) are ever shown: an expired,
withdrawn, warned, put right or declined entry is 404 here. The household's own view
of everything about it is on the account page (`household_board_context`).
"""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from portal import clock
from portal.auth.access import village_page, villager_standing
from portal.boards import services
from portal.boards.appeals import appeal_context
from portal.boards.models import Board, BoardEntry, EntryState
from portal.extensions import db
from portal.htmx import render
from portal.paging import clamp_page
from portal.privacy import private
from portal.publicity import services as publicity
from portal.publicity.views import objection_context
from portal.uploads import send_photo
from portal.villages.models import Village

bp = Blueprint("boards", __name__)

PER_PAGE = 20
LIST_TARGET = "board-list"
BOARD_BLOCKS = {LIST_TARGET: "board_list"}


@bp.app_template_global()
def board_subject_name(entry: BoardEntry) -> str:
    """An entry's subject as the boards show it (`services.subject_name`)."""
    return services.subject_name(entry)


def _board_arg() -> Board:
    try:
        return Board(request.args.get("board", Board.RED.value))
    except ValueError:
        return Board.RED


def _page_arg() -> int:
    return clamp_page(request.args.get("page", 1, type=int))


def black_refusal(village: Village) -> str | None:
    """Why the current user may not read the village's black board, in words; None if
    they may."""
    if services.may_read_black(current_user, village):
        return None
    standing = villager_standing(current_user, village.id)
    if standing == "visitor":
        return _("黑榜只给本村已核实的村民看。本村村民请先登录。")
    if standing == "unverified":
        return _("黑榜只给本村已核实的村民看。您的注册还在等村委会核实。")
    return _("黑榜只给本村已核实的村民看。")


def _periods(entries: list[BoardEntry]) -> dict[int, publicity.PeriodView]:
    """The 公示 of the entries in it, as a page says it (one statement for the page)."""
    ids = [entry.id for entry in entries if entry.state == EntryState.NOTICE]
    now = clock.now()
    return {
        subject_id: publicity.describe(period, now)
        for subject_id, period in publicity.periods_for(services.SUBJECT, ids).items()
    }


def _bare_context(village: Village, board: Board, refusal: str | None = None) -> dict:
    """The board page's names with nothing on it (a refusal: no entry data at all)."""
    return {
        "village": village,
        "board": board,
        "refusal": refusal,
        "counts": None,
        "categories": [],
        "category": None,
        "pagination": None,
        "entries": [],
        "periods": {},
    }


def board_context(village: Village, board: Board) -> dict:
    """The board page and its list block, from one context."""
    context = _bare_context(village, board)
    if board == Board.BLACK:
        context["refusal"] = black_refusal(village)
        if context["refusal"] is not None:
            return context
        if services.black_display(village) == services.BlackDisplay.COUNTS:
            context["counts"] = services.counts_by_category(village, board)
            return context
    shown = [c for c in services.categories(village, board) if c.retired_at is None]
    category = services.get_category(village, request.args.get("category", type=int))
    if category is not None and category.board != board:
        category = None
    pagination = db.paginate(
        services.listed(village, board, category_id=category.id if category else None),
        page=_page_arg(),
        per_page=PER_PAGE,
        error_out=False,
    )
    entries = list(pagination.items)
    context.update(
        categories=shown,
        category=category,
        pagination=pagination,
        entries=entries,
        periods=_periods(entries),
    )
    return context


@bp.get("/v/<village>/boards")
@village_page
def index(village: Village):
    """A board: red for everyone, black for the village's verified villagers."""
    board = _board_arg()
    context = board_context(village, board)
    status = 403 if context["refusal"] else 200
    # The list block only where the page shows a list: a refusal or the counts are
    # the whole page, whatever region an htmx request aimed at.
    listing = context["pagination"] is not None
    blocks = BOARD_BLOCKS if listing else None
    response = render("boards/index.html", blocks=blocks, status=status, **context)
    return private(response) if board == Board.BLACK else response


def _listed_entry(village: Village, entry_id: int) -> BoardEntry:
    """An entry on its board now, or 404 (expired, withdrawn, warned, put right,
    declined, or another village's)."""
    entry = db.session.get(BoardEntry, entry_id)
    if entry is None or entry.village_id != village.id or not services.is_listed(entry):
        abort(404)
    return entry


def article_url(village: Village, article) -> str:
    """The place of an article in its version of the rules."""
    version = article.version
    anchor = f"article-{article.position}"
    try:
        return url_for(
            "rules.version",
            village=village.slug,
            document_id=version.document_id,
            number=version.number,
            _anchor=anchor,
        )
    except BuildError:
        return f"/v/{village.slug}/rules/{version.document_id}/versions/{version.number}#{anchor}"


def entry_context(village: Village, entry: BoardEntry) -> dict:
    period = publicity.period_for(services.SUBJECT, entry.id)
    context = {
        "village": village,
        "entry": entry,
        "subject": services.subject_name(entry),
        "article": entry.article,
        "article_url": article_url(village, entry.article) if entry.article else None,
        "paragraphs": [p.strip() for p in entry.description.splitlines() if p.strip()],
        "period": publicity.describe(period) if period is not None else None,
        "in_notice": entry.state == EntryState.NOTICE and period is not None,
    }
    if context["in_notice"]:
        context.update(objection_context(village, period, next_url=request.path))
    context.update(appeal_context(entry, current_user))
    return context


@bp.get("/v/<village>/boards/<int:entry_id>")
@village_page
def entry(village: Village, entry_id: int):
    """One entry on its board: the facts, the rule it rests on, its 公示."""
    found = _listed_entry(village, entry_id)
    if found.board == Board.BLACK:
        refusal = black_refusal(village)
        if refusal is not None:
            context = _bare_context(village, Board.BLACK, refusal)
            return private(render("boards/index.html", status=403, **context))
    response = render("boards/entry.html", **entry_context(village, found))
    return private(response) if found.board == Board.BLACK else response


@bp.get("/v/<village>/boards/<int:entry_id>/photo")
@village_page
def photo(village: Village, entry_id: int):
    """An entry's photo, under the entry's own rule; a black one `private`."""
    found = _listed_entry(village, entry_id)
    if not services.may_read_entry(current_user, found) or not found.photo_stored_name:
        abort(404)
    return send_photo(
        services.BOARD_PHOTOS,
        found.photo_stored_name,
        found.photo_content_type,
        shared=found.board == Board.RED,
    )


# --- the household's own view (the account page) --------------------------------------


def slip_url(entry: BoardEntry) -> str:
    try:
        return url_for("boards.slip", village=entry.village.slug, entry_id=entry.id)
    except BuildError:
        return f"/v/{entry.village.slug}/boards/{entry.id}/slip"


@bp.app_template_global()
def household_board_context(user) -> dict:
    """Everything the boards hold about the user's own household, in every state, with
    the full names (their own): for the account page. Empty without a resident."""
    resident_id = getattr(user, "resident_id", None) if user is not None else None
    if resident_id is None:
        return {"board_rows": []}
    entries = services.entries_of_residents_household(resident_id)
    now = clock.now()
    periods = publicity.periods_for(
        services.SUBJECT, [e.id for e in entries if e.state == EntryState.NOTICE]
    )
    rows = []
    for item in entries:
        period = periods.get(item.id)
        shown = services.shown_state(item, period, now)
        rows.append(
            {
                "entry": item,
                "shown": shown,
                "label": services.SHOWN_LABELS[shown],
                "name": item.resident.name if item.resident else None,
                "period": publicity.describe(period, now) if period is not None else None,
                "listed": services.is_listed(item, now),
                "slip_url": slip_url(item) if item.state == EntryState.WARNED else None,
            }
        )
    return {"board_rows": rows}
