"""The disclosure schedule 公开目录 in the committee console, /v/<village>/manage/disclosure.

The committee sees what is owed and by when, adds items, stops and resumes them, and
may start from the standard schedule; supervisors read it all and change nothing.
The page's context is built by one function; a stop/resume sent by htmx gets its row's
block of the same template, and the summary refreshes itself on the event it fires.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.actions import Refusal, unit_of_work
from portal.auth.access import village_role
from portal.extensions import db
from portal.htmx import is_boosted, is_htmx, redirect_after_post, render, trigger
from portal.manage.blueprint import EDITORS, READERS, can_edit
from portal.notices import schedule
from portal.notices.forms import CATEGORY_LABELS
from portal.notices.models import DisclosureItem
from portal.notices.schedule import CADENCE_LABELS, ScheduleError, Status
from portal.notices.schedule_forms import DisclosureItemForm, StandardScheduleForm, ToggleForm
from portal.settings import registry as settings

bp = Blueprint("disclosure", __name__, url_prefix="/v/<village>/manage/disclosure")

TEMPLATE = "notices/manage_schedule.html"
CHANGED = "schedule-changed"
# Overdue first, then what is due, then what is done; stopped items last.
STATUS_ORDER = {Status.OVERDUE: 0, Status.DUE: 1, Status.DONE: 2, Status.INACTIVE: 3}


@bp.context_processor
def console_globals() -> dict:
    return {
        "can_edit": can_edit(),
        "cadence_label": lambda c: str(CADENCE_LABELS[c]),
        "category_label": lambda c: str(CATEGORY_LABELS[c]),
    }


def _context(
    village,
    *,
    form: DisclosureItemForm | None = None,
    standard_form: StandardScheduleForm | None = None,
    row_id: int | None = None,
    message: str | None = None,
) -> dict:
    statuses = sorted(
        schedule.village_statuses(village),
        key=lambda s: (STATUS_ORDER[s.status], s.deadline or s.next_deadline or s.item.id),
    )
    grace_days = settings.setting(village, "disclosure.grace_days")
    if form is None:
        form = DisclosureItemForm(formdata=None, grace_days=grace_days)
    counts = {status: 0 for status in Status}
    for row in statuses:
        counts[row.status] += 1
    return {
        "village": village,
        "statuses": statuses,
        "counts": counts,
        "row": next((s for s in statuses if s.item.id == row_id), None),
        "messages": {row_id: message} if message else {},
        "form": form,
        "standard_form": standard_form
        if standard_form is not None
        else StandardScheduleForm(formdata=None),
        "standard_items": schedule.standard_items(grace_days=grace_days),
        "toggle_form": ToggleForm(formdata=None),
    }


def _page(village, status: int = 200, **kwargs):
    context = _context(village, **kwargs)
    blocks = {"schedule-summary": "summary"}
    if context["row"] is not None:
        # Only the row an action was about: the block needs that row in its context.
        blocks[f"item-{context['row'].item.id}"] = "schedule_item"
    return render(TEMPLATE, blocks=blocks, status=status, **context)


@bp.get("")
@village_role(*READERS)
def index(village):
    return _page(village)


def _apply_error(form, error: ScheduleError) -> None:
    target = getattr(form, error.field or "", None) or form.title
    target.errors = [*target.errors, error.message]


@bp.post("/items")
@village_role(*EDITORS)
def create(village):
    form = DisclosureItemForm()
    if not form.validate_on_submit():
        return _page(village, 422, form=form)
    try:
        with unit_of_work():
            item = schedule.add_item(
                current_user,
                village,
                title=form.title.data,
                category=form.category.data,
                cadence=form.cadence.data,
                grace_days=form.grace_days.data,
            )
    except Refusal as error:
        _apply_error(form, error)
        return _page(village, error.status, form=form)
    flash(_("已添加公开事项“%(title)s”。", title=item.title), "success")
    return redirect_after_post(url_for(".index", village=village.slug))


@bp.post("/standard")
@village_role(*EDITORS)
def adopt_standard(village):
    form = StandardScheduleForm()
    if not form.validate_on_submit():
        return _page(village, 422, standard_form=form)
    try:
        with unit_of_work():
            schedule.adopt_standard_schedule(
                current_user, village, monthly_finance=form.monthly_finance.data
            )
    except Refusal as error:
        flash(error.message, "error")
        return _page(village, error.status, standard_form=form)
    flash(_("已按标准公开目录建立本村的公开目录。"), "success")
    return redirect_after_post(url_for(".index", village=village.slug))


@bp.post("/items/<int:item_id>/active")
@village_role(*EDITORS)
def set_active(village, item_id: int):
    """Stop (active=0) or resume (active=1) an item: its row in place with htmx."""
    item = db.session.get(DisclosureItem, item_id)
    if item is None or item.village_id != village.id:
        abort(404)
    active = request.form.get("active") == "1"
    try:
        with unit_of_work():
            schedule.set_active(current_user, village, item, active)
    except Refusal as error:
        return _page(village, error.status, row_id=item_id, message=error.message)
    done = (
        _("已恢复“%(title)s”。", title=item.title)
        if active
        else _("已停用“%(title)s”，它不再计入逾期。", title=item.title)
    )
    if is_htmx() and not is_boosted():
        return trigger(_page(village, row_id=item_id, message=done), CHANGED)
    flash(done, "success")
    return redirect_after_post(url_for(".index", village=village.slug))
