"""The points books 积分台账 in the committee console (DESIGN.md 2.5): the catalogue
积分细则, the ledger with its corrections 冲销, the year end, and the CSV export.

/v/<village>/manage/points/catalogue: the items, active and retired; add one (POST),
retire one (POST .../<id>/retire, the row answered in place), load the common
catalogue (POST .../seed) while the village has none.
/v/<village>/manage/points/ledger: the village's ledger rows, newest first, keyset-paged
(`?before=<id>`: never OFFSET, the village may hold millions), `?household=<id>` one
household's; each award or redemption of the open year has a correction form (POST
.../ledger/<id>/reverse, the row answered in place).
/v/<village>/manage/points/year-end: the open book year, the village's setting (carry
over or reset), what would close; the year typed to confirm (POST); the past year ends.
/v/<village>/manage/points/export.csv?from=&to=: the period's final entries as CSV, for
the 公示栏 and the archive.

The committee acts; supervisors read the ledger and export it, and change nothing. The
household is named by door number and its head's full name: these pages are the
committee's and the supervisors' only.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields import SelectChoice

from portal import clock, i18n
from portal.actions import NotFound, Refusal, unit_of_work
from portal.auth.access import village_role
from portal.auth.models import Role
from portal.auth.redirects import safe_next
from portal.errors import render_error
from portal.extensions import db
from portal.htmx import htmx_target, redirect_after_post, render, trigger
from portal.manage.blueprint import console_globals
from portal.points import services
from portal.points.books_forms import OTHER, ItemForm, YearEndForm, reverse_form
from portal.points.catalogue import seed_catalogue
from portal.points.models import LedgerKind, PointItem
from portal.privacy import private, private_page
from portal.settings import registry as settings
from portal.spreadsheet import csv_response

bp = Blueprint("points_books", __name__)

PREFIX = "/v/<village>/manage/points"
LEDGER_PER_PAGE = 50
LEDGER_EVENT = "points-ledger-changed"
# One export covers at most a year (a book year is a calendar year).
EXPORT_DAYS_MAX = 366
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
READERS = (Role.COMMITTEE, Role.SUPERVISOR)


@bp.context_processor
def _names() -> dict:
    return {
        **console_globals(),
        "category_label": services.category_label,
        "kind_label": lambda kind: str(services.KIND_LABELS[LedgerKind(kind)]),
    }


def _field_error(form, error: Refusal, fields: dict | None = None) -> bool:
    """Put a refusal beside its field; False if it names none the form has."""
    name = (fields or {}).get(error.field, error.field)
    field = getattr(form, name, None) if name else None
    if field is None or not hasattr(field, "errors"):
        return False
    field.errors = [*field.errors, error.message]
    return True


# --- the catalogue 积分细则 ---------------------------------------------------------------


def _lang_of(text: str) -> dict:
    """`lang` for an option holding the village's own (Chinese) words on an English page."""
    return {"lang": "zh-Hans"} if i18n.is_english() and i18n.has_chinese(text) else {}


def _category_choices(items: list[PointItem]) -> list[SelectChoice]:
    """The three categories every village has, the village's own already in use, and
    "other" with its text field."""
    own = sorted({i.category for i in items if i.category not in services.CATEGORY_LABELS})
    return [
        SelectChoice("", _("请选择")),
        *(SelectChoice(key, str(label)) for key, label in services.CATEGORY_LABELS.items()),
        *(SelectChoice(name, name, render_kw=_lang_of(name)) for name in own),
        SelectChoice(OTHER, _("其他（自填）")),
    ]


def _catalogue_page(
    village, form=None, status=200, message=None, row_messages=None, item=None, form_message=None
):
    items = services.catalogue(village, with_retired=True)
    form = form or ItemForm(formdata=None)
    form.category.choices = _category_choices(items)
    blocks = {"add-item": "add_item"}
    if item is not None:
        blocks[f"item-{item.id}"] = "item"
    return private(
        render(
            "points/books_catalogue.html",
            blocks=blocks,
            status=status,
            village=village,
            items=items,
            active=sum(1 for i in items if i.retired_at is None),
            item=item,
            form=form,
            message=message,
            form_message=form_message,
            row_messages=row_messages or {},
            catalogue_url=url_for(".catalogue", village=village.slug),
        )
    )


@bp.get(f"{PREFIX}/catalogue")
@private_page
@village_role(Role.COMMITTEE)
def catalogue(village):
    """The catalogue, active and retired items, with the form to add one."""
    return _catalogue_page(village)


@bp.post(f"{PREFIX}/catalogue")
@private_page
@village_role(Role.COMMITTEE)
def add_item(village):
    """Add an item; a refusal beside its field (the form block for htmx), nothing written."""
    form = ItemForm()
    if not form.validate_on_submit():
        return _catalogue_page(village, form, 422)
    if form.category.data == OTHER and not form.category_other.data:
        form.category_other.errors = [_("选了“其他”，请填写类别的名称。")]
        return _catalogue_page(village, form, 422)
    fields = {"category": "category_other" if form.category.data == OTHER else "category"}
    try:
        with unit_of_work():
            item = services.add_item(
                current_user,
                village,
                code=form.code.data,
                category=form.chosen_category(),
                description=form.description.data,
                points=form.points.data,
                rule_article=form.rule_article.data,
                cap=form.cap.data,
                cap_period=form.cap_period.data or None,
            )
            code = item.code
    except Refusal as error:
        db.session.rollback()
        if _field_error(form, error, fields):
            return _catalogue_page(village, form, error.status)
        return _catalogue_page(village, form, error.status, form_message=error.message)
    flash(_("已添加积分细则 %(code)s。", code=code), "success")
    return redirect_after_post(url_for(".catalogue", village=village.slug))


@bp.post(f"{PREFIX}/catalogue/<int:item_id>/retire")
@private_page
@village_role(Role.COMMITTEE)
def retire_item(village, item_id: int):
    """Retire an item: entries already made with it keep it. The row answered in place."""
    try:
        found = services.get_item(village, item_id)
    except NotFound:
        abort(404)
    in_row = htmx_target() == f"item-{found.id}"
    try:
        with unit_of_work():
            services.retire_item(current_user, village, found)
            done = _("积分细则 %(code)s 已停用，以后不能再记。", code=found.code)
    except Refusal as error:
        db.session.rollback()
        found = services.get_item(village, item_id)
        return _catalogue_page(
            village, status=error.status, row_messages={found.id: error.message}, item=found
        )
    if in_row:
        return _catalogue_page(village, item=found, row_messages={found.id: done})
    flash(done, "success")
    return redirect_after_post(url_for(".catalogue", village=village.slug))


@bp.post(f"{PREFIX}/catalogue/seed")
@private_page
@village_role(Role.COMMITTEE)
def seed(village):
    """Load the common catalogue: the items the village lacks, by code."""
    try:
        with unit_of_work():
            added = seed_catalogue(village, current_user)
    except Refusal as error:
        db.session.rollback()
        return _catalogue_page(village, status=error.status, message=error.message)
    if added:
        flash(_("已载入 %(n)d 项常用积分细则，可以再按本村的村规民约修改。", n=added), "success")
    else:
        flash(_("常用积分细则本村都已经有了。"), "success")
    return redirect_after_post(url_for(".catalogue", village=village.slug))


# --- the ledger and its corrections 冲销 --------------------------------------------------


def _ledger_context(village, page: services.LedgerPage, household=None, **extra) -> dict:
    year = services.book_year(village.id)
    forms = {
        row.id: reverse_form(row.id)
        for row, _household in page.rows
        if services.reversible(row, year, page.reversed_ids)
    }
    forms.update(extra.pop("forms", {}))
    base = url_for(".ledger", village=village.slug)
    if request.method == "GET":
        here = request.full_path.rstrip("?")
    else:
        here = safe_next(request.form.get("next"), base)
    return {
        "village": village,
        "page": page,
        "year": year,
        "forms": forms,
        "household": household,
        "row_messages": extra.pop("row_messages", {}),
        "message": extra.pop("message", None),
        "ledger_url": base,
        "here": here,
        "reverse_base": base,
        "export_from": date(year, 1, 1).isoformat(),
        "export_to": date(year, 12, 31).isoformat(),
        **extra,
    }


def _row_page(village, row_id: int, status=200, **state):
    """The answer aimed at one ledger row: the row's block for htmx, else the ledger from
    that row on (the row, its message or its form's error, and the older rows)."""
    in_row = htmx_target() == f"ledger-row-{row_id}"
    page = services.ledger_page(
        village, before=row_id + 1, per_page=1 if in_row else LEDGER_PER_PAGE
    )
    row, household = page.rows[0]
    return private(
        render(
            "points/books_ledger.html",
            blocks={f"ledger-row-{row.id}": "ledger_row"},
            status=status,
            row=row,
            row_household=household,
            **_ledger_context(village, page, **state),
        )
    )


@bp.get(f"{PREFIX}/ledger")
@private_page
@village_role(*READERS)
def ledger(village):
    """The ledger, newest first; `?before=<id>` the older page, `?household=<id>` one
    household's rows."""
    before = request.args.get("before", type=int)
    household = None
    if "household" in request.args:
        try:
            household = services.get_household(village, request.args.get("household", type=int))
        except NotFound:
            abort(404)
    page = services.ledger_page(
        village,
        before=before,
        household_id=household.id if household else None,
        per_page=LEDGER_PER_PAGE,
    )
    return private(render("points/books_ledger.html", **_ledger_context(village, page, household)))


@bp.post(f"{PREFIX}/ledger/<int:row_id>/reverse")
@private_page
@village_role(Role.COMMITTEE)
def reverse(village, row_id: int):
    """Correct an award or a redemption by its opposite; the row itself stays."""
    try:
        row = services.get_ledger_row(village, row_id)
    except NotFound:
        abort(404)
    form = reverse_form(row.id, request.form)
    in_row = htmx_target() == f"ledger-row-{row.id}"
    try:
        with unit_of_work():
            services.reverse(current_user, village, row, form.reason.data)
            done = _("已冲销第 %(id)d 笔，冲销记录在台账最上面。", id=row.id)
    except Refusal as error:
        db.session.rollback()
        state = {"forms": {row_id: form}}
        if not _field_error(form, error):
            state["row_messages"] = {row_id: error.message}
        return _row_page(village, row_id, error.status, **state)
    if in_row:
        return trigger(_row_page(village, row_id, row_messages={row_id: done}), LEDGER_EVENT)
    flash(done, "success")
    default = url_for(".ledger", village=village.slug)
    return redirect_after_post(safe_next(request.form.get("next"), default))


# --- the year end -----------------------------------------------------------------------


def _mode_label(mode: str) -> str:
    return str(dict(services.YEAR_END_MODE.choices).get(mode, mode))


def _year_end_page(village, form=None, status=200, message=None):
    now = clock.now()
    year = services.book_year(village.id, now)
    opens = services.year_end_opens(year)
    mode = settings.setting(village, services.YEAR_END_MODE.key)
    return private(
        render(
            "points/books_year_end.html",
            status=status,
            village=village,
            year=year,
            opens=opens,
            due=clock.local_date(now) >= opens,
            mode=mode,
            mode_label=_mode_label(mode),
            preview=services.year_end_preview(village, now),
            past=services.year_ends(village),
            form=form or YearEndForm(formdata=None),
            message=message,
            mode_label_of=_mode_label,
        )
    )


@bp.get(f"{PREFIX}/year-end")
@private_page
@village_role(Role.COMMITTEE)
def year_end(village):
    """The open book year, what its year end would close, and the past year ends."""
    return _year_end_page(village)


@bp.post(f"{PREFIX}/year-end")
@private_page
@village_role(Role.COMMITTEE)
def close_year(village):
    """Close the open book year: the year typed to confirm, from 1 December."""
    form = YearEndForm()
    if not form.validate_on_submit():
        return _year_end_page(village, form, 422)
    typed = form.year.data or ""
    if not (typed.isascii() and typed.isdigit() and len(typed) == 4):
        year = services.book_year(village.id)
        form.year.errors = [_("请输入要结算的年份（%(year)d）以确认。", year=year)]
        return _year_end_page(village, form, 422)
    try:
        with unit_of_work():
            closed = services.close_year(current_user, village, int(typed))
            done = _(
                "%(year)d 年的积分已经结算：%(n)d 户，共 %(points)d 分（%(mode)s）。",
                year=closed.year,
                n=closed.households,
                points=closed.points_closed,
                mode=_mode_label(closed.mode.value),
            )
    except Refusal as error:
        db.session.rollback()
        if _field_error(form, error):
            return _year_end_page(village, form, error.status)
        return _year_end_page(village, form, error.status, message=error.message)
    flash(done, "success")
    return redirect_after_post(url_for(".year_end", village=village.slug))


# --- the export -------------------------------------------------------------------------


class BadDates(ValueError):
    pass


def _date_arg(name: str, default: date) -> date:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    if not _ISO_DATE.fullmatch(raw):
        raise BadDates(_("日期格式不对，请按“2026-11-26”的格式填写。"))
    try:
        found = date.fromisoformat(raw)
    except ValueError:
        raise BadDates(_("没有这一天：%(day)s。", day=raw)) from None
    if not EARLIEST_YEAR <= found.year <= LATEST_YEAR:
        raise BadDates(_("日期不在可以导出的范围里。"))
    return found


def export_period(year: int) -> tuple[date, date]:
    """The period `?from=` and `?to=` name (by default the book year), or BadDates."""
    first = _date_arg("from", date(year, 1, 1))
    last = _date_arg("to", date(year, 12, 31))
    if first > last:
        raise BadDates(_("开始日期不能晚于结束日期。"))
    if (last - first).days >= EXPORT_DAYS_MAX:
        raise BadDates(_("一次最多导出一年（%(n)d 天）的记录。", n=EXPORT_DAYS_MAX))
    return first, last


@bp.get(f"{PREFIX}/export.csv")
@private_page
@village_role(*READERS)
def export(village):
    """The period's final entries as CSV (UTF-8 with BOM, formula-safe cells)."""
    try:
        first, last = export_period(services.book_year(village.id))
    except BadDates as error:
        return render_error(400, str(error))
    rows = services.awards_between(village, first, last)
    heads = services.heads(household.id for _row, household in rows)
    header = (
        _("生效日期"),
        _("门牌号"),
        _("户主"),
        _("细则编号"),
        _("事由"),
        _("分值"),
        _("积分余额"),
        _("记录编号"),
    )
    body = []
    for row, household in rows:
        head = heads.get(household.id)
        item = row.entry.item if row.entry is not None else None
        body.append(
            (
                clock.local_date(row.created_at).isoformat(),
                household.door_number,
                head.name if head is not None else "",
                item.code if item is not None else "",
                item.description if item is not None else "",
                row.points,
                row.balance_after,
                row.entry_id,
            )
        )
    filename = _(
        "%(village)s积分%(first)s至%(last)s.csv",
        village=village.name,
        first=first.isoformat(),
        last=last.isoformat(),
    )
    return csv_response(filename, header, body)
