"""The committee's console for the red/black boards 红黑榜 (DESIGN.md 2.3).

/v/<village>/manage/boards: the queue (warnings in their period, warnings due for the
committee's collective decision, entries in 公示, appeals waiting, entries on the
board), .../archive (put right, declined, expired, withdrawn), .../categories (the red
and black lists, each on its article), .../new?board=black|red, an entry's page
.../<id> with its photo .../<id>/photo and the actions its state allows (.../put-right,
.../approve, .../decline, .../publish, .../consent). The committee acts; supervisors
read everything and change nothing.

/v/<village>/boards/<id>/slip: the printable warning slip 整改提醒通知书, for the
committee and the verified villagers of the subject household.

Plain forms answer with post/redirect/get; an htmx request aimed at the entry page's
actions, or at one row of the queue, gets that region back in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal import clock
from portal.actions import Refusal, unit_of_work
from portal.audit.labels import action_label
from portal.audit.models import ActionLog
from portal.auth.access import (
    load_village,
    login_required,
    roles_in_village,
    village_or_town_role,
    village_role,
)
from portal.auth.models import Role
from portal.auth.redirects import safe_next
from portal.boards import services
from portal.boards.forms import (
    ApproveForm,
    CategoryForm,
    ConfirmForm,
    DeclineForm,
    EntryForm,
    PutRightForm,
    RetireForm,
)
from portal.boards.models import AppealState, Board, BoardAppeal, BoardCategory, BoardEntry
from portal.boards.models import EntryState as State
from portal.errors import render_error
from portal.extensions import db
from portal.htmx import (
    htmx_target,
    is_boosted,
    is_htmx,
    redirect_after_post,
    render,
    vary_on_htmx,
)
from portal.inputs import tagged_id
from portal.manage.blueprint import READERS, can_edit, console_globals
from portal.paging import clamp_page, clean_query
from portal.privacy import private
from portal.publicity import services as publicity
from portal.rules.models import RuleArticle
from portal.uploads import files_kept_if_committed, send_photo, take_photo
from portal.villages.models import Household, Resident
from portal.villages.services import search_residents

bp = Blueprint("boards_manage", __name__)

PREFIX = "/v/<village>/manage/boards"
QUEUE_MAX = 200  # entries a queue section lists at most (the oldest first)
ARCHIVE_PER_PAGE = 20
LOG_MAX = 50

# A board photo: images only, re-encoded without metadata, kept outside static/ under a
# random name, and removed again if the action that wrote it does not commit.
PHOTOS = services.BOARD_PHOTOS


@bp.context_processor
def _names() -> dict:
    return {
        **console_globals(),
        "shown_label": lambda shown: str(services.SHOWN_LABELS[shown]),
        "board_label": board_label,
        "committee_subject": committee_subject,
        "article_label": article_label,
        "action_label": action_label,
    }


def board_label(board) -> str:
    return _("红榜") if Board(board) == Board.RED else _("黑榜")


def article_label(article: RuleArticle | None) -> str:
    """An article as a select or a list names it: the rule, its version, the article."""
    if article is None:
        return ""
    version = article.version
    title = f" {article.title}" if article.title else ""
    return _(
        "《%(rule)s》第%(n)s版 第%(position)s条%(title)s",
        rule=version.document.title,
        n=version.number,
        position=article.position,
        title=title,
    )


def committee_subject(entry: BoardEntry) -> str:
    """The subject as the committee's own pages name it: in full, the person or the
    household (its first resident on the roster) with its door number."""
    if entry.resident is not None:
        return entry.resident.name
    household = entry.household
    first = next((r for r in household.residents if r.on_roster), None)
    first = first or (household.residents[0] if household.residents else None)
    return _(
        "%(name)s家（%(door)s）",
        name=first.name if first else _("（无人在册）"),
        door=household.door_number,
    )


def _entry_or_404(village, entry_id: int) -> BoardEntry:
    entry = db.session.get(BoardEntry, entry_id)
    if entry is None or entry.village_id != village.id:
        abort(404)
    return entry


def _may_not_edit():
    return render_error(403, _("村务监督委员会可以查看红黑榜的一切记录，但不能修改。"))


def _next(default: str) -> str:
    return safe_next(request.form.get("next"), default)


# --- the queue --------------------------------------------------------------------------


@dataclass
class QueueRow:
    entry: BoardEntry
    shown: services.Shown
    period: object | None
    objections: publicity.ObjectionCount
    appeals: int
    publishable: bool

    @property
    def id(self) -> int:
        return self.entry.id

    @property
    def days_left(self) -> int | None:
        if self.entry.warning_deadline is None:
            return None
        return (self.entry.warning_deadline - clock.local_date(clock.now())).days


def _with_people(query: sa.Select) -> sa.Select:
    return query.options(
        joinedload(BoardEntry.category).load_only(BoardCategory.id, BoardCategory.name),
        joinedload(BoardEntry.resident),
        joinedload(BoardEntry.household).selectinload(Household.residents),
    )


def _appeals_waiting(village, entry_ids=None) -> dict[int, tuple[int, int]]:
    """{entry id: (appeals waiting for the committee, appeals waiting for anyone)}."""
    query = (
        sa.select(
            BoardAppeal.entry_id,
            sa.func.count(BoardAppeal.id).filter(BoardAppeal.state == AppealState.PENDING),
            sa.func.count(BoardAppeal.id),
        )
        .where(
            BoardAppeal.village_id == village.id,
            BoardAppeal.state.in_((AppealState.PENDING, AppealState.TOWN_REVIEW)),
        )
        .group_by(BoardAppeal.entry_id)
    )
    if entry_ids is not None:
        query = query.where(BoardAppeal.entry_id.in_(list(entry_ids)))
    return {entry_id: (mine, waiting) for entry_id, mine, waiting in db.session.execute(query)}


def _rows(village, entries: list[BoardEntry], now: datetime, appeals: dict) -> list[QueueRow]:
    """The queue's rows: each entry's shown state, its 公示 and its counts, in a fixed
    number of statements however many there are."""
    periods = publicity.periods_for(services.SUBJECT, [e.id for e in entries])
    counts = publicity.objection_counts(p.id for p in periods.values())
    rows = []
    for entry in entries:
        period = periods.get(entry.id)
        shown = services.shown_state(entry, period, now)
        objections = counts.get(period.id, publicity.ObjectionCount()) if period else None
        objections = objections or publicity.ObjectionCount()
        waiting = appeals.get(entry.id, (0, 0))
        rows.append(
            QueueRow(
                entry=entry,
                shown=shown,
                period=period,
                objections=objections,
                appeals=waiting[0],
                publishable=shown == services.Shown.NOTICE_ENDED
                and objections.unanswered == 0
                and waiting[1] == 0,
            )
        )
    return rows


def _queue_context(village) -> dict:
    now = clock.now()
    entries = list(
        db.session.scalars(
            _with_people(sa.select(BoardEntry))
            .where(
                BoardEntry.village_id == village.id,
                BoardEntry.state.in_((State.WARNED, State.NOTICE, State.PUBLISHED)),
                sa.or_(BoardEntry.expires_at.is_(None), BoardEntry.expires_at > now),
            )
            .order_by(BoardEntry.created_at, BoardEntry.id)
            .limit(QUEUE_MAX)
        ).unique()
    )
    appeals = _appeals_waiting(village)
    rows = _rows(village, entries, now, appeals)
    sections = {shown: [] for shown in services.Shown}
    for row in rows:
        sections[row.shown].append(row)
    return {
        "village": village,
        "warned": sections[services.Shown.WARNED],
        "due": sections[services.Shown.DECISION_DUE],
        "in_notice": sections[services.Shown.NOTICE] + sections[services.Shown.NOTICE_ENDED],
        "published": sections[services.Shown.PUBLISHED],
        "appeals_pending": sum(mine for mine, _waiting in appeals.values()),
        "has_categories": db.session.scalar(
            sa.select(sa.exists().where(BoardCategory.village_id == village.id))
        ),
        "forms": {"confirm": ConfirmForm(formdata=None)},
    }


@bp.get(PREFIX)
@village_role(*READERS)
def index(village):
    """What waits for the committee, section by section, each row acted on in place."""
    return private(render("boards/manage_queue.html", **_queue_context(village)))


@bp.get(f"{PREFIX}/archive")
@village_or_town_role(READERS, (Role.TOWN_OFFICIAL,))
def archive(village):
    """Entries off every villager-facing page: put right, declined, expired, withdrawn;
    kept for the committee, the supervisors and the town that oversees the village."""
    now = clock.now()
    gone = sa.or_(
        BoardEntry.state.in_((State.PUT_RIGHT, State.DECLINED, State.EXPIRED, State.WITHDRAWN)),
        sa.and_(BoardEntry.state == State.PUBLISHED, BoardEntry.expires_at <= now),
    )
    pagination = db.paginate(
        _with_people(sa.select(BoardEntry))
        .where(BoardEntry.village_id == village.id, gone)
        .order_by(BoardEntry.updated_at.desc(), BoardEntry.id.desc()),
        page=clamp_page(request.args.get("page", 1, type=int)),
        per_page=ARCHIVE_PER_PAGE,
        error_out=False,
    )
    items = [(entry, services.shown_state(entry, None, now)) for entry in pagination.items]
    return private(
        render(
            "boards/manage_archive.html",
            blocks={"archive-more": "more"},
            village=village,
            pagination=pagination,
            items=items,
        )
    )


# --- categories -------------------------------------------------------------------------


def _article_choices(village) -> list[tuple]:
    return [("", _("（不关联条款）"))] + [
        (article.id, article_label(article)) for article in services.adopted_articles(village)
    ]


def _category_form(village, category: BoardCategory | None = None, formdata=None) -> CategoryForm:
    if category is not None and formdata is None:
        form = CategoryForm(
            formdata=None,
            board=category.board.value,
            name=category.name,
            description=category.description,
            article_id=category.article_id,
        )
    else:
        form = CategoryForm(formdata=formdata)
    form.article_id.choices = _article_choices(village)
    form.board.choices = [(Board.BLACK.value, _("黑榜")), (Board.RED.value, _("红榜"))]
    if not form.board.data:
        form.board.data = Board.BLACK.value
    return form


def _categories_page(village, form=None, status=200, message=None, done=None):
    rows = [(c, services.legal_basis(c), services.usable(c)) for c in services.categories(village)]
    return private(
        render(
            "boards/manage_categories.html",
            blocks={"category-form": "category_form"},
            status=status,
            village=village,
            red=[row for row in rows if row[0].board == Board.RED],
            black=[row for row in rows if row[0].board == Board.BLACK],
            form=form or _category_form(village),
            seed_form=ConfirmForm(formdata=None),
            message=message,
            done=done,
        )
    )


def _field_error(form, error: Refusal, fields: dict | None = None) -> bool:
    """Put a refusal beside its field; False if it names none the form has."""
    name = (fields or {}).get(error.field, error.field)
    field = getattr(form, name, None) if name else None
    if field is None:
        return False
    field.errors = [*field.errors, error.message]
    return True


@bp.get(f"{PREFIX}/categories")
@village_role(*READERS)
def categories(village):
    """The red and black lists, each category with the article it rests on."""
    return _categories_page(village)


@bp.post(f"{PREFIX}/categories")
@village_role(*READERS)
def category_add(village):
    if not can_edit():
        return _may_not_edit()
    form = _category_form(village, formdata=request.form)
    if not form.validate_on_submit():
        return _categories_page(village, form, 422)
    try:
        with unit_of_work():
            category = services.save_category(
                current_user,
                village,
                board=form.board.data,
                name=form.name.data,
                description=form.description.data,
                article_id=form.article_id.data,
            )
            name = category.name
    except Refusal as error:
        if _field_error(form, error):
            return _categories_page(village, form, error.status)
        return _categories_page(village, form, error.status, message=error.message)
    flash(_("已添加类别“%(name)s”。", name=name), "success")
    return redirect_after_post(url_for(".categories", village=village.slug))


@bp.post(f"{PREFIX}/categories/seed")
@village_role(*READERS)
def category_seed(village):
    """Load the typical categories (black ones wait for their article)."""
    if not can_edit():
        return _may_not_edit()
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _categories_page(village, status=400)
    with unit_of_work():
        added = services.seed_categories(village, current_user)
    flash(_("已载入 %(n)d 个常用类别。黑榜类别要写明依据的条款后才能使用。", n=added), "success")
    return redirect_after_post(url_for(".categories", village=village.slug))


def _category_or_404(village, category_id: int) -> BoardCategory:
    category = services.get_category(village, category_id)
    if category is None:
        abort(404)
    return category


def _edit_page(village, category, form=None, retire_form=None, status=200, message=None):
    return private(
        render(
            "boards/manage_category.html",
            status=status,
            village=village,
            category=category,
            basis=services.legal_basis(category),
            form=form or _category_form(village, category),
            retire_form=retire_form or RetireForm(formdata=None),
            message=message,
        )
    )


@bp.get(f"{PREFIX}/categories/<int:category_id>")
@village_role(*READERS)
def category_edit(village, category_id: int):
    return _edit_page(village, _category_or_404(village, category_id))


@bp.post(f"{PREFIX}/categories/<int:category_id>")
@village_role(*READERS)
def category_save(village, category_id: int):
    category = _category_or_404(village, category_id)
    if not can_edit():
        return _may_not_edit()
    form = _category_form(village, formdata=request.form)
    form.board.data = category.board.value
    if not form.validate_on_submit():
        return _edit_page(village, category, form, status=422)
    try:
        with unit_of_work():
            services.save_category(
                current_user,
                village,
                board=category.board,
                name=form.name.data,
                description=form.description.data,
                article_id=form.article_id.data,
                category=category,
            )
    except Refusal as error:
        db.session.refresh(category)
        if _field_error(form, error):
            return _edit_page(village, category, form, status=error.status)
        return _edit_page(village, category, form, status=error.status, message=error.message)
    flash(_("类别已保存。"), "success")
    return redirect_after_post(url_for(".categories", village=village.slug))


@bp.post(f"{PREFIX}/categories/<int:category_id>/retire")
@village_role(*READERS)
def category_retire(village, category_id: int):
    category = _category_or_404(village, category_id)
    if not can_edit():
        return _may_not_edit()
    form = RetireForm()
    if not form.validate_on_submit() or not form.confirm.data:
        if not form.confirm.errors:
            form.confirm.errors = [_("请勾选确认后再停用。")]
        return _edit_page(village, category, retire_form=form, status=422)
    try:
        with unit_of_work():
            services.retire_category(current_user, category)
    except Refusal as error:
        db.session.refresh(category)
        return _edit_page(village, category, status=error.status, message=error.message)
    flash(_("类别已停用。"), "success")
    return redirect_after_post(url_for(".categories", village=village.slug))


# --- a new entry ------------------------------------------------------------------------


def _board_arg() -> Board:
    try:
        return Board(request.values.get("board", ""))
    except ValueError:
        return Board.BLACK


def _subject_of(village, value: str | None) -> tuple[int | None, int | None, object | None]:
    """(household id, resident id, what to show as chosen) from the chosen radio:
    "resident:<id>" or "household:<id>" of this village; (None, None, None) otherwise."""
    kind, chosen = tagged_id(value, ("resident", "household"))
    if kind == "resident":
        resident = db.session.get(Resident, chosen)
        if resident is not None and resident.village_id == village.id:
            return resident.household_id, resident.id, resident
    if kind == "household":
        household = db.session.get(Household, chosen)
        if household is not None and household.village_id == village.id:
            return household.id, None, household
    return None, None, None


def _grouped(found) -> list[tuple[int, str, list]]:
    """Search results by household: (household id, door number, its residents found)."""
    groups: dict[int, tuple[int, str, list]] = {}
    for row in found.items:
        groups.setdefault(row.household_id, (row.household_id, row.door_number, []))[2].append(row)
    return list(groups.values())


def _new_page(village, board: Board, form: EntryForm | None = None, status=200, message=None):
    q = clean_query(request.args.get("q"))
    found = search_residents(village, q, 1, roster="current", per_page=12) if q else None
    if form is None:
        form = EntryForm(formdata=None)
        form.deadline.data = services.default_deadline(village)
    all_categories = services.categories(village, board, active_only=True)
    form.category_id.choices = [("", _("请选择"), {})] + [
        (c.id, c.name, {})
        if services.usable(c)
        else (c.id, _("%(name)s（没有依据，不能用于黑榜）", name=c.name), {"disabled": True})
        for c in all_categories
    ]
    _hid, _rid, chosen = _subject_of(village, form.subject.data)
    return private(
        render(
            "boards/manage_new.html",
            blocks={"subject-results": "subject_results"},
            status=status,
            village=village,
            board=board,
            form=form,
            q=q,
            groups=_grouped(found) if found is not None else None,
            chosen=chosen,
            unusable=[c for c in all_categories if not services.usable(c)],
            message=message,
            max_photo_mb=PHOTOS.max_bytes() // (1024 * 1024),
        )
    )


@bp.get(f"{PREFIX}/new")
@village_role(*READERS)
def new(village):
    """The new-entry form; ?q= searches the roster by name (htmx swaps the results)."""
    if not can_edit():
        return _may_not_edit()
    return _new_page(village, _board_arg())


ENTRY_FIELDS = {"household_id": "subject", "resident_id": "subject"}


@bp.post(f"{PREFIX}/new")
@village_role(*READERS)
def create(village):
    if not can_edit():
        return _may_not_edit()
    board = _board_arg()
    form = EntryForm()
    if not form.validate_on_submit():
        return _new_page(village, board, form, 422)
    household_id, resident_id, _chosen = _subject_of(village, form.subject.data)
    try:
        with files_kept_if_committed() as files, unit_of_work():
            photo = take_photo(PHOTOS, request.files.get("photo"), files, form.caption.data)
            common = {
                "category_id": form.category_id.data,
                "household_id": household_id,
                "resident_id": resident_id,
                "description": form.description.data,
                "photo": photo,
            }
            if board == Board.BLACK:
                entry = services.warn(current_user, village, deadline=form.deadline.data, **common)
            else:
                entry = services.commend(
                    current_user, village, consented=bool(form.consented.data), **common
                )
            entry_id = entry.id
    except Refusal as error:
        if _field_error(form, error, ENTRY_FIELDS):
            return _new_page(village, board, form, error.status)
        return _new_page(village, board, form, error.status, message=error.message)
    if board == Board.BLACK:
        flash(_("已登记整改提醒。请打印提醒通知书交给这户。"), "success")
    else:
        flash(_("已登记红榜表彰，进入公示。"), "success")
    return redirect_after_post(url_for(".show", village=village.slug, entry_id=entry_id))


# --- an entry ---------------------------------------------------------------------------


def _log_rows(entry: BoardEntry) -> list[ActionLog]:
    return list(
        db.session.scalars(
            sa.select(ActionLog)
            .where(
                ActionLog.village_id == entry.village_id,
                ActionLog.object_type == "boardentry",
                ActionLog.object_id == entry.id,
            )
            .order_by(ActionLog.at, ActionLog.id)
            .limit(LOG_MAX)
        )
    )


def _entry_context(village, entry: BoardEntry, forms=None, message=None, done=None) -> dict:
    now = clock.now()
    row = _rows(village, [entry], now, _appeals_waiting(village, [entry.id]))[0]
    given = forms or {}
    approve = given.get("approve") or ApproveForm(formdata=None)
    if approve.meeting_on.data is None and not approve.meeting_on.errors:
        approve.meeting_on.data = clock.local_date(now)
    return {
        "village": village,
        "entry": entry,
        "row": row,
        "shown": row.shown,
        "publicity": row.period,
        "article": entry.article,
        "log": _log_rows(entry),
        "is_creator": current_user.id == entry.created_by_id,
        "put_right_form": given.get("put_right") or PutRightForm(formdata=None),
        "approve_form": approve,
        "decline_form": given.get("decline") or DeclineForm(formdata=None),
        "confirm_form": ConfirmForm(formdata=None),
        "message": message,
        "done": done,
        "Shown": services.Shown,
    }


def _entry_page(village, entry, status=200, **state):
    return private(
        render(
            "boards/manage_entry.html",
            blocks={"entry-actions": "actions"},
            status=status,
            **_entry_context(village, entry, **state),
        )
    )


def _queue_row(village, entry, status=200, message=None, done=None):
    """One row of the queue, as it stands after an action aimed at it (htmx)."""
    now = clock.now()
    row = _rows(village, [entry], now, _appeals_waiting(village, [entry.id]))[0]
    body = render_template(
        "boards/manage_queue_row.html",
        village=village,
        row=row,
        section="row",
        row_message=message,
        row_done=done,
        forms={"confirm": ConfirmForm(formdata=None)},
    )
    return private(vary_on_htmx(make_response(body, status)))


@bp.get(f"{PREFIX}/<int:entry_id>")
@village_or_town_role(READERS, (Role.TOWN_OFFICIAL,))
def show(village, entry_id: int):
    """Everything about an entry, for the committee, supervisors and the town, with full
    names."""
    return _entry_page(village, _entry_or_404(village, entry_id))


@bp.get(f"{PREFIX}/<int:entry_id>/photo")
@village_or_town_role(READERS, (Role.TOWN_OFFICIAL,))
def photo(village, entry_id: int):
    """The entry's photo, for the console's readers (and the town), never cached."""
    entry = _entry_or_404(village, entry_id)
    if not entry.photo_stored_name:
        abort(404)
    return send_photo(PHOTOS, entry.photo_stored_name, entry.photo_content_type, shared=False)


def _act(village, entry_id: int, form_cls, name: str, act, done: str):
    """One action on an entry: the committee only; the form, then the service in one unit
    of work; the answer in place (htmx) or post/redirect/get."""
    entry = _entry_or_404(village, entry_id)
    if not can_edit():
        return _may_not_edit()
    in_row = htmx_target() == f"entry-{entry.id}"
    form = form_cls()
    if not form.validate_on_submit():
        if in_row:
            return _queue_row(village, entry, 422, message=_("请刷新页面后再试。"))
        return _entry_page(village, entry, 422, forms={name: form})
    try:
        with unit_of_work():
            act(entry, form)
    except Refusal as error:
        db.session.rollback()
        entry = _entry_or_404(village, entry_id)
        if in_row:
            return _queue_row(village, entry, error.status, message=error.message)
        if _field_error(form, error):
            return _entry_page(village, entry, error.status, forms={name: form})
        return _entry_page(village, entry, error.status, forms={name: form}, message=error.message)
    if in_row:
        return _queue_row(village, entry, done=done)
    if is_htmx() and not is_boosted() and htmx_target() == "entry-actions":
        return _entry_page(village, entry, done=done)
    flash(done, "success")
    return redirect_after_post(_next(url_for(".show", village=village.slug, entry_id=entry.id)))


@bp.post(f"{PREFIX}/<int:entry_id>/put-right")
@village_role(*READERS)
def put_right(village, entry_id: int):
    return _act(
        village,
        entry_id,
        PutRightForm,
        "put_right",
        lambda entry, form: services.record_put_right(current_user, entry, form.note.data),
        _("已记录按期整改到位：这一条不会列入黑榜。"),
    )


@bp.post(f"{PREFIX}/<int:entry_id>/approve")
@village_role(*READERS)
def approve(village, entry_id: int):
    return _act(
        village,
        entry_id,
        ApproveForm,
        "approve",
        lambda entry, form: services.approve_listing(
            current_user,
            entry,
            services.Meeting(
                form.meeting_on.data,
                form.attendees.data,
                form.votes_for.data,
                form.votes_against.data,
            ),
        ),
        _("已记录集体决定：列入黑榜，进入公示。"),
    )


@bp.post(f"{PREFIX}/<int:entry_id>/decline")
@village_role(*READERS)
def decline(village, entry_id: int):
    return _act(
        village,
        entry_id,
        DeclineForm,
        "decline",
        lambda entry, form: services.decline_listing(current_user, entry, form.reason.data),
        _("已记录集体决定：不列入黑榜。"),
    )


@bp.post(f"{PREFIX}/<int:entry_id>/publish")
@village_role(*READERS)
def publish(village, entry_id: int):
    return _act(
        village,
        entry_id,
        ConfirmForm,
        "publish",
        lambda entry, form: services.publish(current_user, entry),
        _("已公布，到期后自动撤下。"),
    )


@bp.post(f"{PREFIX}/<int:entry_id>/consent")
@village_role(*READERS)
def consent(village, entry_id: int):
    return _act(
        village,
        entry_id,
        ConfirmForm,
        "consent",
        lambda entry, form: services.record_consent(current_user, entry),
        _("已记录本人同意公开姓名。"),
    )


# --- the warning slip -------------------------------------------------------------------


def may_read_slip(user, entry: BoardEntry) -> bool:
    """The committee of the village, and the verified villagers of the subject household."""
    if Role.COMMITTEE in roles_in_village(user, entry.village):
        return True
    return services.household_member(user, entry) is not None


@bp.get("/v/<village>/boards/<int:entry_id>/slip")
@login_required
def slip(village: str, entry_id: int):
    """整改提醒通知书: the warning as the household keeps it, printed in large type."""
    village = load_village(village)
    entry = db.session.get(BoardEntry, entry_id)
    if entry is None or entry.village_id != village.id or entry.board != Board.BLACK:
        abort(404)
    if not may_read_slip(current_user, entry):
        return private(render_error(403, _("整改提醒通知书只给本户的人和村委会看。")))
    return private(
        render(
            "boards/slip.html",
            village=village,
            entry=entry,
            article=entry.article,
            subject=committee_subject(entry) if entry.resident else _household_name(entry),
            notice_days=services.settings.setting(village, services.NOTICE_DAYS.key),
        )
    )


def _household_name(entry: BoardEntry) -> str:
    household = entry.household
    first = next((r for r in household.residents if r.on_roster), None)
    return _("%(name)s家", name=first.name) if first else household.door_number
