"""Recording points 积分 and their four-eyes approval (DESIGN.md 2.5).

/v/<village>/points/record: a grid worker records an event for a household of their own
grid, a committee member for any household of the village (or enters a villager's paper
declaration 纸质申报); the household is found by door number or a name on its roster
(?q=, a plain GET form, and active search with htmx). The points come from the chosen
item of the catalogue, never from the form. After a record the form comes back with
the same date, for the next one.

/v/<village>/points/declare: a verified villager declares an event for their own
household, with an optional photo; it waits for the committee's review.

/v/<village>/manage/points: the committee's approval queue (`portal.queues.ReviewQueue`),
oldest first: approve (.../<id>/approve) or reject with a reason (.../<id>/reject) a row
in place, or approve a selection at once (.../approve: all of it or none). A row this
member may not decide (their own record, their own household's entry) says why instead
of showing the buttons; the service refuses a forged request all the same.

/v/<village>/manage/points/watch: the supervisors' list 监督: every entry for a cadre's
household or the recorder's own, in every state, with who recorded and who decided.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal import clock
from portal.actions import NotFound, Refusal, unit_of_work
from portal.auth.access import grids_of, village_role, villager_required
from portal.auth.models import Role
from portal.boards.forms import optional_int
from portal.extensions import db
from portal.htmx import (
    htmx_target,
    is_boosted,
    is_htmx,
    redirect_after_post,
    render,
    trigger,
)
from portal.inputs import bounded_int
from portal.manage.blueprint import console_globals
from portal.paging import clamp_page, clean_query
from portal.points import services
from portal.points.forms import DeclareForm, RecordForm, row_form
from portal.points.models import PointItem, PointsEntry, Watch
from portal.privacy import private, private_page
from portal.queues import ReviewQueue
from portal.uploads import files_kept_if_committed, take_photo
from portal.villages.models import Household, Resident, Village

bp = Blueprint("points_console", __name__)

QUEUE_PREFIX = "/v/<village>/manage/points"
QUEUE_EVENT = "points-changed"
QUEUE_PER_PAGE = 50
WATCH_PER_PAGE = 30
RECORD_BLOCKS = {"record-panel": "record_panel", "household-results": "household_results"}
LIST_TARGET = "points-queue"


@bp.context_processor
def _names() -> dict:
    return {
        **console_globals(),
        "category_label": services.category_label,
        "state_label": lambda state: str(services.STATE_LABELS[state]),
        "channel_label": lambda channel: str(services.CHANNEL_LABELS[channel]),
        "watch_label": watch_label,
        "photo_url": photo_url,
    }


def watch_label(watch: Watch | None) -> str:
    if watch == Watch.CADRE:
        return _("干部户")
    if watch == Watch.RECORDER:
        return _("记录人本户")
    return ""


def photo_url(village: Village, entry: PointsEntry) -> str | None:
    """The link to an entry's photo, once the page that serves it exists."""
    if not entry.photo_stored_name or "points.entry_photo" not in current_app.view_functions:
        return None
    return url_for("points.entry_photo", village=village.slug, entry_id=entry.id)


def _field_error(form, error: Refusal) -> bool:
    """Put a refusal beside its field; False if it names none the form has."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None or not hasattr(field, "errors"):
        return False
    field.errors = [*field.errors, error.message]
    return True


def _grouped(items: Iterable[PointItem]) -> list[tuple[str, list[PointItem]]]:
    """The catalogue by category, in its own order (categories as they first appear)."""
    groups: dict[str, list[PointItem]] = {}
    for item in items:
        groups.setdefault(item.category, []).append(item)
    return [(services.category_label(category), rows) for category, rows in groups.items()]


# --- recording --------------------------------------------------------------------------


def _is_member() -> bool:
    return Role.COMMITTEE in g.get("roles", set())


def _reach(village: Village) -> frozenset[int] | None:
    """The grids this recorder may record for; None: the whole village (a committee member)."""
    return None if _is_member() else grids_of(current_user, village.id)


def _record_context(village: Village, form: RecordForm, q: str, message=None, done=None) -> dict:
    member = _is_member()
    reach = _reach(village)
    households = services.recordable_households(village, reach, q) if q or not member else []
    chosen_id = optional_int(form.household.data)
    if chosen_id is not None and all(h.id != chosen_id for h in households):
        chosen = db.session.get(Household, chosen_id)
        allowed = chosen is not None and chosen.village_id == village.id
        if allowed and (reach is None or chosen.grid_id in reach):
            households.insert(0, chosen)
    roster = services.roster_of(h.id for h in households)
    return {
        "village": village,
        "form": form,
        "q": q,
        "member": member,
        "households": households,
        "chosen_id": chosen_id,
        "roster": roster,
        "groups": _grouped(services.catalogue(village)),
        "chosen_item": optional_int(form.item.data),
        "declarant_id": optional_int(form.declared_by.data) if member else None,
        "message": message,
        "done": done,
        "record_url": url_for(".record", village=village.slug),
        "today": clock.today_local(),
    }


def _record_page(village, form=None, status=200, q=None, message=None, done=None):
    if form is None:
        form = RecordForm(formdata=None)
        form.occurred_on.data = _date_arg() or clock.today_local()
    q = clean_query(request.args.get("q") if q is None else q)
    return private(
        render(
            "points/record.html",
            blocks=RECORD_BLOCKS,
            status=status,
            **_record_context(village, form, q, message, done),
        )
    )


def _date_arg():
    """The date the last record was for (?occurred_on=), kept for the next one."""
    from datetime import date

    try:
        return date.fromisoformat(request.args.get("occurred_on", ""))
    except ValueError:
        return None


@bp.get("/v/<village>/points/record")
@private_page
@village_role(Role.COMMITTEE, Role.GRID_WORKER)
def record(village: Village):
    """The recording form; ?q= finds a household by door number or a name on its roster
    (htmx swaps the results alone)."""
    return _record_page(village)


def _declarant(village: Village, resident_id: int | None) -> Resident | None:
    if resident_id is None:
        return None
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.village_id != village.id:
        raise Refusal(_("申报人应是这一户在册的村民。"), status=422, field="declared_by")
    return resident


@bp.post("/v/<village>/points/record")
@private_page
@village_role(Role.COMMITTEE, Role.GRID_WORKER)
def record_post(village: Village):
    """Record one event: pending until a committee member other than the recorder (and
    of another household than the entry's) approves it."""
    form = RecordForm()
    q = clean_query(request.form.get("q"))
    if not form.validate_on_submit():
        return _record_page(village, form, 422, q)
    try:
        household_id = optional_int(form.household.data)
        if household_id is None:
            raise Refusal(_("请先选定要记录的那一户。"), status=422, field="household")
        if form.item.data is None:
            raise Refusal(_("请选择积分细则里的一项。"), status=422, field="item")
        with unit_of_work():
            household = services.get_household(village, household_id)
            item = services.get_item(village, form.item.data)
            entry = services.record(
                current_user,
                village,
                household,
                item,
                form.occurred_on.data,
                note=form.note.data,
                declared_by=_declarant(village, form.declared_by.data),
            )
            done = _(
                "已为%(door)s记录“%(item)s” %(points)+d 分，等待村委会审核。",
                door=household.door_number,
                item=item.description,
                points=entry.points,
            )
    except Refusal as error:
        db.session.rollback()
        if _field_error(form, error):
            return _record_page(village, form, error.status, q)
        return _record_page(village, form, error.status, q, message=error.message)
    on = form.occurred_on.data
    if htmx_target() == "record-panel":
        fresh = RecordForm(formdata=None)
        fresh.occurred_on.data = on
        return trigger(_record_page(village, fresh, q="", done=done), QUEUE_EVENT)
    flash(done, "success")
    return redirect_after_post(url_for(".record", village=village.slug, occurred_on=on.isoformat()))


# --- a villager's declaration -----------------------------------------------------------


def _own_household(village: Village) -> Household:
    resident = current_user.resident
    if resident is None or resident.village_id != village.id:
        abort(403)
    return resident.household


def _declare_page(village, form=None, status=200, message=None):
    household = _own_household(village)
    if form is None:
        form = DeclareForm(formdata=None)
        form.occurred_on.data = clock.today_local()
    items = [item for item in services.catalogue(village) if item.points > 0]
    return private(
        render(
            "points/declare.html",
            status=status,
            village=village,
            household=household,
            form=form,
            groups=_grouped(items),
            chosen_item=optional_int(form.item.data),
            message=message,
            notice_days=services.settings.setting(village, services.NOTICE_DAYS.key),
            max_photo_mb=services.ENTRY_PHOTOS.max_bytes() // (1024 * 1024),
            today=clock.today_local(),
        )
    )


@bp.get("/v/<village>/points/declare")
@villager_required
def declare(village: Village):
    """A villager's declaration form for their own household."""
    return _declare_page(village)


@bp.post("/v/<village>/points/declare")
@villager_required
def declare_post(village: Village):
    form = DeclareForm()
    if not form.validate_on_submit():
        return _declare_page(village, form, 422)
    household = _own_household(village)
    try:
        if form.item.data is None:
            raise Refusal(_("请选择申报的事项。"), status=422, field="item")
        with files_kept_if_committed() as files, unit_of_work():
            item = services.get_item(village, form.item.data)
            if item.points < 0:
                raise Refusal(_("申报只能选加分的事项。"), status=422, field="item")
            services.record(
                current_user,
                village,
                household,
                item,
                form.occurred_on.data,
                note=form.note.data,
                photo=take_photo(services.ENTRY_PHOTOS, request.files.get("photo"), files),
            )
    except Refusal as error:
        db.session.rollback()
        if _field_error(form, error):
            return _declare_page(village, form, error.status)
        return _declare_page(village, form, error.status, message=error.message)
    flash(
        _("申报已提交，等待村委会审核。审核通过后会公示，公示期满没有异议就记入积分。"), "success"
    )
    return redirect_after_post(url_for(".declare", village=village.slug))


# --- the approval queue -----------------------------------------------------------------


def _pending(village: Village) -> sa.Select:
    return services.pending_entries(village).options(joinedload(PointsEntry.recorded_by))


def _declarants(entries: list[PointsEntry]) -> dict[int, Resident]:
    ids = {e.declared_by_resident_id for e in entries if e.declared_by_resident_id}
    if not ids:
        return {}
    return {r.id: r for r in db.session.scalars(sa.select(Resident).where(Resident.id.in_(ids)))}


def _queue_extra(village: Village, rows: list) -> dict:
    return {
        "heads": services.heads(e.household_id for e in rows),
        "refusals": services.approval_refusals(current_user, rows),
        "declarants": _declarants(rows),
        "queue_url": url_for(".queue", village=village.slug),
        "notice_days": services.settings.setting(village, services.NOTICE_DAYS.key),
        "bulk_message": None,
        "bulk_done": None,
    }


QUEUE = ReviewQueue(
    template="points/manage_queue.html",
    row_block="entry",
    row_prefix="entry-",
    item_name="entry",
    counter_block="queue_count",
    counter_id="points-waiting",
    event=QUEUE_EVENT,
    pending=_pending,
    form_for=row_form,
    per_page=QUEUE_PER_PAGE,
    extra=_queue_extra,
)


def _list_page(village: Village, status: int = 200, message=None, done=None):
    """The whole queue page, or (htmx aimed at it) its list: after a selection is
    approved, or refused."""
    pagination = db.paginate(
        QUEUE.pending(village),
        page=clamp_page(request.args.get("page", 1, type=int)),
        per_page=QUEUE.per_page,
        error_out=False,
    )
    rows = list(pagination.items)
    context = QUEUE.context(village, rows)
    context.update(bulk_message=message, bulk_done=done)
    return private(
        render(
            QUEUE.template,
            blocks={LIST_TARGET: "queue_list", QUEUE.counter_id: QUEUE.counter_block},
            status=status,
            pagination=pagination,
            total=pagination.total,
            **context,
        )
    )


@bp.get(QUEUE_PREFIX)
@private_page
@village_role(Role.COMMITTEE)
def queue(village: Village):
    """Pending entries, oldest first, each approved or rejected in place."""
    return QUEUE.page(village)


def _entry_or_404(village: Village, entry_id: int) -> PointsEntry:
    try:
        return services.get_entry(village, entry_id)
    except NotFound:
        abort(404)


def _act(village: Village, entry_id: int, act, done: str):
    entry = _entry_or_404(village, entry_id)
    form = row_form(entry.id, request.form)
    try:
        with unit_of_work():
            act(entry, form)
    except Refusal as error:
        db.session.rollback()
        entry = _entry_or_404(village, entry_id)
        message = None if _field_error(form, error) else error.message
        return private(QUEUE.page(village, error.status, entry, form, message))
    return private(QUEUE.done(village, entry, done, url_for(".queue", village=village.slug)))


@bp.post(f"{QUEUE_PREFIX}/<int:entry_id>/approve")
@village_role(Role.COMMITTEE)
def approve(village: Village, entry_id: int):
    return _act(
        village,
        entry_id,
        lambda entry, form: services.approve(current_user, village, entry),
        _("已审核通过，进入公示。"),
    )


@bp.post(f"{QUEUE_PREFIX}/<int:entry_id>/reject")
@village_role(Role.COMMITTEE)
def reject(village: Village, entry_id: int):
    return _act(
        village,
        entry_id,
        lambda entry, form: services.reject(current_user, village, entry, form.reason.data),
        _("已退回，记录人和这一户会看到理由。"),
    )


def _selected() -> list[int]:
    ids = []
    for value in request.form.getlist("entries"):
        try:
            ids.append(bounded_int(value))
        except (TypeError, ValueError):
            continue
    return ids


@bp.post(f"{QUEUE_PREFIX}/approve")
@village_role(Role.COMMITTEE)
def approve_selected(village: Village):
    """Approve the selection as one action: all of it, or none with the reason."""
    try:
        with unit_of_work():
            approved = services.approve_many(current_user, village, _selected())
            done = _("已审核通过 %(n)d 条，进入公示。", n=len(approved))
    except Refusal as error:
        db.session.rollback()
        return _list_page(village, error.status, message=error.message)
    if is_htmx() and not is_boosted():
        return trigger(_list_page(village, done=done), QUEUE_EVENT)
    flash(done, "success")
    return redirect_after_post(url_for(".queue", village=village.slug))


# --- the supervisors' list --------------------------------------------------------------


@bp.get(f"{QUEUE_PREFIX}/watch")
@private_page
@village_role(Role.SUPERVISOR, Role.COMMITTEE)
def watch(village: Village):
    """Entries for cadres' households and recorders' own, every state, newest first."""
    pagination = db.paginate(
        services.watched_entries(village).options(
            joinedload(PointsEntry.recorded_by), joinedload(PointsEntry.decided_by)
        ),
        page=clamp_page(request.args.get("page", 1, type=int)),
        per_page=WATCH_PER_PAGE,
        error_out=False,
    )
    rows = list(pagination.items)
    return render(
        "points/manage_watch.html",
        village=village,
        rows=rows,
        pagination=pagination,
        heads=services.heads(e.household_id for e in rows),
    )


# --- the console home's tile ------------------------------------------------------------


def console_context(village: Village) -> dict:
    """The console home's 积分 tiles, once the village has an entry: pending entries for
    the committee, the supervisors' list for supervisors. One statement."""
    made, pending, watched = services.console_figures(village)
    if not made:
        return {"points_tile": None}
    return {"points_tile": {"pending": pending, "watched": watched}}
