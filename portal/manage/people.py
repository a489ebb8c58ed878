"""Households 户 and residents 村民 of the roster: search and pagination, and marking a
resident who moved away 迁出 or died 去世 (portal/villages/departures.py).

A departure is marked or cleared on the resident's own row of the residents list: with
htmx the row is swapped in place (HX-Target names the row); without JavaScript the form
posts, and the committee member is sent back to the same list, search and filters kept.
"""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.actions import Refusal
from portal.auth.access import village_role
from portal.htmx import htmx_target, redirect_after_post, render
from portal.manage.blueprint import EDITORS, READERS, bp, page_arg, with_query
from portal.manage.forms import ConfirmForm, DepartureForm
from portal.paging import clamp_page, clean_query
from portal.villages import departures, services

PER_PAGE = 20
ACCOUNT_FILTERS = ("with", "without")


@bp.get("/households")
@village_role(*READERS)
def households(village):
    q = clean_query(request.args.get("q"))
    pagination = services.search_households(village, q, page_arg(), per_page=PER_PAGE)
    return render(
        "manage/households.html",
        blocks={"household-results": "results"},
        village=village,
        q=q,
        pagination=pagination,
        members=services.members_of([household.id for household in pagination.items]),
        invites_url=url_for("manage.invites", village=village.slug),
    )


# --- residents ----------------------------------------------------------------------


def _list_args() -> dict:
    """The residents list's search, filters and page from the query string, cleaned.

    The row forms post to a URL carrying them, so after a change the committee member
    is back on the very list they were reading. Unknown values are dropped, never bound.
    """
    account = request.args.get("account")
    roster = request.args.get("roster")
    page = clamp_page(page_arg())
    return {
        "q": clean_query(request.args.get("q")) or None,
        "account": account if account in ACCOUNT_FILTERS else None,
        "roster": roster if roster in services.ROSTER_STATES else None,
        "page": page if page > 1 else None,
    }


def _row_text() -> dict[str, str]:
    """The words every row of the committee's list repeats, translated once per page:
    translated on each of twenty rows they took about 4 ms of an 11 ms page."""
    return {
        "on_roster": _("在册"),
        "undo": _("撤销登记"),
        "mark": _("登记迁出或去世"),
        "reason": _("原因"),
        "moved": _("迁出"),
        "died": _("去世"),
        "day": _("日期"),
        "submit": _("登记"),
        "account_stays": _("此人有账号：账号会保留，但从这一天起开始的表决不再列入名单。"),
        "for_name": _("：%(name)s", name="%(name)s"),
        "col_birth_year": _("出生年份"),
        "col_age": _("年龄"),
        "col_gender": _("性别"),
        "col_door": _("门牌号"),
        "col_account": _("账号"),
        "col_roster": _("在册情况"),
    }


def _context(village, args: dict) -> dict:
    """What the residents page and each of its rows draw on: the whole page, and a row
    redrawn alone after a change, are rendered from this one context."""
    today = clock.today_local()
    return {
        "village": village,
        "q": args["q"] or "",
        "account": args["account"],
        "roster": args["roster"],
        "today_iso": today.isoformat(),
        "this_year": today.year,
        "row_text": _row_text(),
        "households_url": url_for("manage.households", village=village.slug),
        "invites_url": url_for("manage.invites", village=village.slug),
        "depart_url": with_query(url_for("manage.mark_departure", village=village.slug), **args),
        "undo_url": with_query(url_for("manage.clear_departure", village=village.slug), **args),
        "problems": {},
        "done": {},
    }


def _residents_page(village, args: dict, status: int = 200, failed=None, problems=None):
    """The list; with `failed` (a row whose action was refused) kept in view with its
    message, whichever page it was on."""
    pagination = services.search_residents(
        village,
        args["q"] or "",
        args["page"] or 1,
        args["account"],
        per_page=PER_PAGE,
        roster=args["roster"],
    )
    rows = list(pagination.items)
    if failed is not None and all(row.id != failed.id for row in rows):
        rows.insert(0, failed)
    context = _context(village, args)
    context["problems"] = problems or {}
    return render(
        "manage/residents.html",
        blocks={"resident-results": "results"},
        status=status,
        pagination=pagination,
        rows=rows,
        **context,
    )


@bp.get("/residents")
@village_role(*READERS)
def residents(village):
    return _residents_page(village, _list_args())


def _row_or_404(village):
    """The resident a row form names (its hidden resident_id), as the list shows them."""
    resident_id = request.form.get("resident_id", type=int)
    row = services.resident_row(village, resident_id) if resident_id else None
    if row is None:
        abort(404)
    return row


def _row_target(row) -> str:
    return f"resident-{row.id}"


def _render_row(village, args: dict, row, status: int = 200, **state):
    context = _context(village, args)
    context.update(state)
    return render(
        "manage/residents.html",
        blocks={_row_target(row): "resident_row"},
        status=status,
        resident=row,
        **context,
    )


def _refused(village, row, status: int, form=None, message: str = "", field: str | None = None):
    """The row again with what was wrong, beside the field it concerns; nothing written."""
    args = _list_args()
    errors = {}
    if form is not None:
        errors = {
            name: [str(error) for error in form.errors[name]]
            for name in ("reason", "left_on")
            if form.errors.get(name)
        }
        if form.errors and not errors:  # only the CSRF token: the page is stale
            message = _("页面已过期，请刷新后重新提交。")
    if message and field in ("reason", "left_on"):
        errors.setdefault(field, []).append(message)
        message = ""
    problem = {
        "message": message,
        "errors": errors,
        "reason": request.form.get("reason", ""),
        "left_on": request.form.get("left_on", ""),
    }
    problems = {row.id: problem}
    if htmx_target() == _row_target(row):
        return _render_row(village, args, row, status, problems=problems)
    return _residents_page(village, args, status, failed=row, problems=problems)


def _done(village, row, message: str):
    """After a change: the row's new state in place for htmx, else back to the list."""
    args = _list_args()
    if htmx_target() == _row_target(row):
        fresh = services.resident_row(village, row.id)
        return _render_row(village, args, fresh, done={row.id: message})
    flash(message, "success")
    return redirect_after_post(url_for("manage.residents", village=village.slug, **args))


@bp.post("/residents/departure")
@village_role(*EDITORS)
def mark_departure(village):
    """Mark the resident as moved away or died on a day (default today, never later)."""
    row = _row_or_404(village)
    form = DepartureForm()
    if not form.validate_on_submit():
        return _refused(village, row, 422, form)
    try:
        resident = departures.mark_departure(
            current_user, village, row.id, form.reason.data, form.left_on.data
        )
    except Refusal as exc:
        if exc.status == 404:
            abort(404)
        return _refused(village, row, exc.status, form, exc.message, exc.field)
    mark = departures.describe_mark(resident.left_reason, resident.left_on)
    if row.registered:
        message = _(
            "已登记：%(name)s%(mark)s。此人的账号保留，但从这一天起开始的表决不再列入名单。",
            name=resident.name,
            mark=mark,
        )
    else:
        message = _("已登记：%(name)s%(mark)s。", name=resident.name, mark=mark)
    return _done(village, row, message)


@bp.post("/residents/departure/undo")
@village_role(*EDITORS)
def clear_departure(village):
    """Clear a departure marked by mistake: the resident is on the roster again."""
    row = _row_or_404(village)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _refused(village, row, 422, form)
    try:
        resident = departures.clear_departure(current_user, village, row.id)
    except Refusal as exc:
        if exc.status == 404:
            abort(404)
        return _refused(village, row, exc.status, message=exc.message)
    return _done(
        village, row, _("已撤销%(name)s的迁出或去世登记，此人重新列入花名册。", name=resident.name)
    )
