"""The committee's console for good-neighbour nominations 好人推荐 (DESIGN.md 2.4), the
paper path, and the town's selection.

/v/<village>/manage/nominations: the queue, section by section (待评议, 征集联名中,
公示中, 公示期满, 已评为好人), each row acted on in place (`portal.queues.ReviewQueue`);
.../<id> everything about one nomination with full names, its endorsers, its 公示 and
its action log, and the actions its state allows (.../accept, .../reject, .../commend,
.../forward); .../<id>/photo its photo; .../paper a nomination that came on paper;
.../<id>/endorsements a paper sheet of endorsements 联名, entered one click a person;
.../categories the five official categories and the village's own.
The committee acts; supervisors read everything and change nothing.

/town/<town>/nominations: what the town's villages forwarded, newest first, each marked
selected or not (POST /town/<town>/nominations/<id>).

Plain forms answer with post/redirect/get; an htmx request aimed at one row of the
queue, at a nomination's actions, or at the paper panels gets that region back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy.orm import joinedload

from portal import clock
from portal.actions import NotFound, Refusal, unit_of_work
from portal.audit.labels import action_label
from portal.audit.models import ActionLog
from portal.auth.access import town_role, village_role
from portal.auth.models import Role
from portal.auth.redirects import safe_next
from portal.boards import services as boards
from portal.boards.models import Board
from portal.errors import render_error
from portal.extensions import db
from portal.htmx import (
    htmx_target,
    is_boosted,
    is_htmx,
    redirect_after_post,
    render,
    trigger,
    vary_on_htmx,
)
from portal.inputs import bounded_int, tagged_id
from portal.manage.blueprint import READERS, can_edit, console_globals
from portal.nominations import services
from portal.nominations.console_forms import (
    CategoryForm,
    CommendForm,
    PaperNominationForm,
    RejectForm,
    RetireForm,
    row_form,
    town_form,
)
from portal.nominations.models import Nomination, NominationCategory, NominationState
from portal.paging import clamp_page, clean_query
from portal.privacy import private, private_page
from portal.publicity import services as publicity
from portal.publicity.models import Publicity
from portal.queues import ReviewQueue
from portal.uploads import files_kept_if_committed, send_photo, take_photo
from portal.villages.models import Resident
from portal.villages.services import search_residents

bp = Blueprint("nominations_manage", __name__)

PREFIX = "/v/<village>/manage/nominations"
QUEUE_EVENT = "nominations-changed"
QUEUE_PER_PAGE = 50
# Commended nominations stay in the queue's last section for a year: long enough to
# forward them to the town and to see its decision.
COMMENDED_SHOWN = timedelta(days=365)
LOG_MAX = 50
SEARCH_MAX = 12
TOWN_PER_PAGE = 20
PHOTOS = services.NOMINATION_PHOTOS
Shown = services.Shown


@bp.context_processor
def _names() -> dict:
    return {
        **console_globals(),
        "shown_label": lambda shown: str(services.SHOWN_LABELS[shown]),
        "committee_name": committee_name,
        "action_label": action_label,
    }


def committee_name(nomination: Nomination) -> str:
    """The nominee in full, as the committee's and the town's pages name them: the person,
    or the nominator's own household with its door number."""
    if nomination.nominee is not None:
        return nomination.nominee.name
    return _(
        "%(name)s家（%(door)s）",
        name=nomination.nominator.name,
        door=nomination.nominee_household.door_number,
    )


def _with_people(query: sa.Select) -> sa.Select:
    return query.options(
        joinedload(Nomination.category),
        joinedload(Nomination.nominee),
        joinedload(Nomination.nominator),
        joinedload(Nomination.nominee_household),
    )


def _nomination_or_404(village, nomination_id: int) -> Nomination:
    try:
        return services.get_nomination(village, nomination_id)
    except NotFound:
        abort(404)


def _may_not_edit():
    return private(render_error(403, _("村务监督委员会可以查看好人推荐的一切记录，但不能修改。")))


def _field_error(form, error: Refusal, fields: dict | None = None) -> bool:
    """Put a refusal beside its field; False if it names none the form has."""
    name = (fields or {}).get(error.field, error.field)
    field = getattr(form, name, None) if name else None
    if field is None or not hasattr(field, "errors"):
        return False
    field.errors = [*field.errors, error.message]
    return True


# --- the queue --------------------------------------------------------------------------


@dataclass(frozen=True)
class RowInfo:
    shown: Shown
    period: Publicity | None
    objections: publicity.ObjectionCount

    @property
    def decidable(self) -> bool:
        """公示 over and every objection answered: the committee may decide."""
        return self.shown == Shown.NOTICE_ENDED and self.objections.unanswered == 0


@dataclass
class RowForms:
    reject: RejectForm
    commend: CommendForm


def _red_choices() -> list[tuple]:
    """The village's red-board categories a commendation may go on: once a request."""
    if "nomination_red_choices" not in g:
        usable = [
            c for c in boards.categories(g.village, Board.RED, active_only=True) if boards.usable(c)
        ]
        g.nomination_red_choices = [("", _("不上红榜"))] + [(c.id, c.name) for c in usable]
    return g.nomination_red_choices


def _points_choices() -> list[tuple]:
    """The catalogue's items that add points, a commendation may record: once a request."""
    if "nomination_points_choices" not in g:
        from portal.points import services as points

        items = [i for i in points.catalogue(g.village) if i.points > 0]
        g.nomination_points_choices = [("", _("不记积分"))] + [
            (i.id, f"{i.code} {i.description}（+{i.points}）") for i in items
        ]
    return g.nomination_points_choices


def _row_forms(nomination_id: int, formdata=None) -> RowForms:
    commend = row_form(CommendForm, nomination_id, formdata)
    commend.red_category_id.choices = _red_choices()
    commend.points_item_id.choices = _points_choices()
    return RowForms(reject=row_form(RejectForm, nomination_id, formdata), commend=commend)


def _pending(village) -> sa.Select:
    """What the queue lists: open nominations and this year's commended, oldest first."""
    since = clock.now() - COMMENDED_SHOWN
    return (
        _with_people(sa.select(Nomination))
        .where(
            Nomination.village_id == village.id,
            sa.or_(
                Nomination.state.in_(services.OPEN_STATES),
                sa.and_(
                    Nomination.state == NominationState.COMMENDED, Nomination.commended_at > since
                ),
            ),
        )
        .order_by(Nomination.created_at, Nomination.id)
    )


def row_infos(nominations: list[Nomination], now: datetime) -> dict[int, RowInfo]:
    """Each nomination's shown state, its 公示 and its objection counts: two statements
    however many there are."""
    periods = publicity.periods_for(services.SUBJECT, [n.id for n in nominations])
    counts = publicity.objection_counts(p.id for p in periods.values())
    infos = {}
    for nomination in nominations:
        period = periods.get(nomination.id)
        objections = counts.get(period.id) if period else None
        infos[nomination.id] = RowInfo(
            services.shown_state(nomination, period, now),
            period,
            objections or publicity.ObjectionCount(),
        )
    return infos


def queue_figures(village, now: datetime) -> dict[str, int]:
    """How many nominations each section holds, over every page: one statement."""
    needed = services.minimum(village)
    ended = sa.exists().where(
        Publicity.subject_type == services.SUBJECT,
        Publicity.subject_id == Nomination.id,
        Publicity.ends_at <= now,
    )
    submitted = Nomination.state == NominationState.SUBMITTED
    notice = Nomination.state == NominationState.NOTICE
    count = sa.func.count(Nomination.id)
    row = db.session.execute(
        sa.select(
            count.filter(submitted, Nomination.endorsement_count >= needed),
            count.filter(submitted, Nomination.endorsement_count < needed),
            count.filter(notice, ~ended),
            count.filter(notice, ended),
            count.filter(
                Nomination.state == NominationState.COMMENDED,
                Nomination.commended_at > now - COMMENDED_SHOWN,
            ),
        ).where(Nomination.village_id == village.id)
    ).one()
    keys = (Shown.REVIEW, Shown.COLLECTING, Shown.NOTICE, Shown.NOTICE_ENDED, Shown.COMMENDED)
    return dict(zip(keys, row, strict=True))


SECTIONS = (Shown.REVIEW, Shown.COLLECTING, Shown.NOTICE, Shown.NOTICE_ENDED, Shown.COMMENDED)


def _queue_extra(village, rows: list) -> dict:
    now = clock.now()
    infos = row_infos(rows, now)
    by_section = {shown: [] for shown in SECTIONS}
    for nomination in rows:
        by_section.setdefault(infos[nomination.id].shown, []).append(nomination)
    return {
        "infos": infos,
        "sections": [(shown, by_section[shown]) for shown in SECTIONS],
        "figures": queue_figures(village, now),
        "minimum": services.minimum(village),
        "queue_url": url_for(".index", village=village.slug),
    }


QUEUE = ReviewQueue(
    template="nominations/manage_queue.html",
    row_block="nomination",
    row_prefix="nomination-",
    item_name="nomination",
    counter_block="queue_count",
    counter_id="nominations-waiting",
    event=QUEUE_EVENT,
    pending=_pending,
    form_for=_row_forms,
    per_page=QUEUE_PER_PAGE,
    extra=_queue_extra,
)


@bp.get(PREFIX)
@private_page
@village_role(*READERS)
def index(village):
    """What waits for the committee, section by section, each row acted on in place."""
    return QUEUE.page(village)


# --- one nomination -----------------------------------------------------------------------


def _log_rows(nomination: Nomination) -> list[ActionLog]:
    return list(
        db.session.scalars(
            sa.select(ActionLog)
            .where(
                ActionLog.village_id == nomination.village_id,
                ActionLog.object_type == "nomination",
                ActionLog.object_id == nomination.id,
            )
            .order_by(ActionLog.at, ActionLog.id)
            .limit(LOG_MAX)
        )
    )


def _detail_context(village, nomination: Nomination, forms=None, message=None, done=None):
    info = row_infos([nomination], clock.now())[nomination.id]
    return {
        "village": village,
        "nomination": nomination,
        "info": info,
        "shown": info.shown,
        "publicity": info.period,
        "objections": publicity.objections_for(info.period) if info.period else [],
        "endorsers": services.endorsers(nomination),
        "minimum": services.minimum(village),
        "log": _log_rows(nomination),
        "forms": {nomination.id: forms or _row_forms(nomination.id)},
        "message": message,
        "done": done,
    }


def _detail_page(village, nomination: Nomination, status: int = 200, **state):
    return private(
        render(
            "nominations/manage_nomination.html",
            blocks={"nomination-actions": "actions"},
            status=status,
            **_detail_context(village, nomination, **state),
        )
    )


@bp.get(f"{PREFIX}/<int:nomination_id>")
@private_page
@village_role(*READERS)
def show(village, nomination_id: int):
    """Everything about a nomination, for the committee and supervisors, with full names."""
    return _detail_page(village, _nomination_or_404(village, nomination_id))


@bp.get(f"{PREFIX}/<int:nomination_id>/photo")
@village_role(*READERS)
def photo(village, nomination_id: int):
    """The nomination's photo, for the console's readers, never cached."""
    nomination = _nomination_or_404(village, nomination_id)
    if not nomination.photo_stored_name:
        abort(404)
    return send_photo(
        PHOTOS, nomination.photo_stored_name, nomination.photo_content_type, shared=False
    )


def _act(village, nomination_id: int, name: str, act, done: str):
    """One action on a nomination: the committee only; the service in one unit of work;
    the answer in place (the queue's row, or the nomination's actions) or
    post/redirect/get."""
    nomination = _nomination_or_404(village, nomination_id)
    if not can_edit():
        return _may_not_edit()
    in_row = htmx_target() == QUEUE.row_id(nomination)
    forms = _row_forms(nomination.id, request.form)
    try:
        with unit_of_work():
            act(nomination, forms)
    except Refusal as error:
        db.session.rollback()
        nomination = _nomination_or_404(village, nomination_id)
        form = getattr(forms, name, None)
        message = None if form is not None and _field_error(form, error) else error.message
        if in_row:
            return private(QUEUE.page(village, error.status, nomination, forms, message))
        return _detail_page(village, nomination, error.status, forms=forms, message=message)
    queue_url = url_for(".index", village=village.slug)
    if in_row:
        return private(QUEUE.done(village, nomination, done, queue_url))
    if htmx_target() == "nomination-actions":
        return trigger(_detail_page(village, nomination, done=done), QUEUE_EVENT)
    flash(done, "success")
    default = url_for(".show", village=village.slug, nomination_id=nomination.id)
    return private(redirect_after_post(safe_next(request.form.get("next"), default)))


@bp.post(f"{PREFIX}/<int:nomination_id>/accept")
@village_role(*READERS)
def accept(village, nomination_id: int):
    return _act(
        village,
        nomination_id,
        "accept",
        lambda nomination, forms: services.accept(current_user, nomination),
        _("已同意进入公示。"),
    )


@bp.post(f"{PREFIX}/<int:nomination_id>/reject")
@village_role(*READERS)
def reject(village, nomination_id: int):
    return _act(
        village,
        nomination_id,
        "reject",
        lambda nomination, forms: services.reject(
            current_user, nomination, forms.reject.reason.data
        ),
        _("已决定不予评选，推荐人会看到理由。"),
    )


@bp.post(f"{PREFIX}/<int:nomination_id>/commend")
@village_role(*READERS)
def commend(village, nomination_id: int):
    return _act(
        village,
        nomination_id,
        "commend",
        lambda nomination, forms: services.commend(
            current_user,
            nomination,
            red_category_id=forms.commend.red_category_id.data,
            consented=bool(forms.commend.consented.data),
            points_item_id=forms.commend.points_item_id.data,
        ),
        _("已评为好人，登上光荣榜。"),
    )


@bp.post(f"{PREFIX}/<int:nomination_id>/forward")
@village_role(*READERS)
def forward(village, nomination_id: int):
    return _act(
        village,
        nomination_id,
        "forward",
        lambda nomination, forms: services.forward(current_user, nomination),
        _("已报送镇街参加评选。"),
    )


# --- a nomination that came on paper --------------------------------------------------


def _resident_of(village, value) -> Resident | None:
    try:
        resident = db.session.get(Resident, bounded_int(value)) if value else None
    except (TypeError, ValueError):
        return None
    if resident is None or resident.village_id != village.id:
        return None
    return resident


def _search(village, q: str):
    if not q:
        return None
    return search_residents(village, q, 1, roster="current", per_page=SEARCH_MAX).items


PAPER_FIELDS = {"nominee_resident_id": "nominee"}


def _paper_page(village, form: PaperNominationForm | None = None, status=200, message=None):
    nq = clean_query(request.values.get("nq"))
    eq = clean_query(request.values.get("eq"))
    if form is None:
        form = PaperNominationForm(formdata=None)
    form.category_id.choices = [("", _("请选择"))] + [
        (c.id, c.name) for c in services.categories(village)
    ]
    nominee_value = form.nominee.data or ""
    kind, nominee_id = tagged_id(nominee_value, ("resident",))
    paper_url = url_for(".paper", village=village.slug)
    return private(
        render(
            "nominations/manage_paper.html",
            blocks={
                "nominator-results": "nominator_results",
                "nominee-results": "nominee_results",
            },
            status=status,
            village=village,
            form=form,
            nq=nq,
            eq=eq,
            nominators=_search(village, nq),
            nominees=_search(village, eq),
            chosen_nominator=_resident_of(village, form.nominator_resident_id.data),
            chosen_nominee=_resident_of(village, nominee_id) if kind else None,
            own_household=nominee_value == "household",
            message=message,
            paper_url=paper_url,
            max_photo_mb=PHOTOS.max_bytes() // (1024 * 1024),
        )
    )


@bp.get(f"{PREFIX}/paper")
@private_page
@village_role(*READERS)
def paper(village):
    """The form for a nomination that came on paper; ?nq= and ?eq= search the roster for
    the nominator and the nominee (htmx swaps each list of results)."""
    if not can_edit():
        return _may_not_edit()
    return _paper_page(village)


@bp.post(f"{PREFIX}/paper")
@private_page
@village_role(*READERS)
def paper_create(village):
    if not can_edit():
        return _may_not_edit()
    form = PaperNominationForm()
    if not form.validate_on_submit():
        return _paper_page(village, form, 422)
    kind, nominee_id = tagged_id(form.nominee.data, ("resident",))
    try:
        with files_kept_if_committed() as files, unit_of_work():
            nomination = services.nominate_on_paper(
                current_user,
                village,
                nominator_resident_id=_int(form.nominator_resident_id.data),
                category_id=form.category_id.data,
                nominee_resident_id=nominee_id if kind == "resident" else None,
                own_household=form.nominee.data == "household",
                story=form.story.data,
                deed_on=form.deed_on.data,
                photo=take_photo(PHOTOS, request.files.get("photo"), files, form.caption.data),
            )
            db.session.flush()
            nomination_id = nomination.id
    except Refusal as error:
        if _field_error(form, error, PAPER_FIELDS):
            return _paper_page(village, form, error.status)
        return _paper_page(village, form, error.status, message=error.message)
    flash(_("已录入这份纸质推荐。可以接着录入纸质联名。"), "success")
    return redirect_after_post(
        url_for(".endorsements", village=village.slug, nomination_id=nomination_id)
    )


def _int(value) -> int | None:
    try:
        return bounded_int(value)
    except (TypeError, ValueError):
        return None


# --- a paper sheet of endorsements ------------------------------------------------------

ENDORSEMENT_BLOCKS = {"paper-entry": "entry", "paper-results": "results"}


@dataclass(frozen=True)
class Match:
    """A resident found by the search, and why they cannot be entered, if they cannot."""

    id: int
    name: str
    door_number: str
    birth_year: int | None
    taken: str | None


def _matches(village, nomination: Nomination, q: str, endorsed: dict) -> list[Match]:
    found = _search(village, q) or []
    matches = []
    for row in found:
        taken = None
        if row.id == nomination.nominator_resident_id:
            taken = _("推荐人本人，不能联名")
        elif row.id in endorsed:
            taken = _("已在网上联名过") if endorsed[row.id].user_id else _("已经录入过")
        matches.append(Match(row.id, row.name, row.door_number, row.birth_year, taken))
    return matches


def _endorsements_page(village, nomination: Nomination, status=200, q="", message=None, done=None):
    rows = services.endorsers(nomination)
    endorsed = {e.resident_id: e for e in rows}
    open_ = nomination.state == NominationState.SUBMITTED
    url = url_for(".endorsements", village=village.slug, nomination_id=nomination.id)
    return private(
        render(
            "nominations/manage_endorsements.html",
            blocks=ENDORSEMENT_BLOCKS,
            status=status,
            village=village,
            nomination=nomination,
            endorsers=rows,
            taking=open_,
            q=q,
            matches=_matches(village, nomination, q, endorsed) if open_ and q else [],
            minimum=services.minimum(village),
            message=message,
            done=done,
            paper_url=url,
            show_url=url_for(".show", village=village.slug, nomination_id=nomination.id),
        )
    )


@bp.get(f"{PREFIX}/<int:nomination_id>/endorsements")
@private_page
@village_role(*READERS)
def endorsements(village, nomination_id: int):
    """The endorsers so far, and the clerk's sheet: ?q= searches the roster (the whole
    page, or its results for htmx)."""
    nomination = _nomination_or_404(village, nomination_id)
    return _endorsements_page(village, nomination, q=clean_query(request.args.get("q")))


@bp.post(f"{PREFIX}/<int:nomination_id>/endorsements")
@private_page
@village_role(*READERS)
def endorse_paper(village, nomination_id: int):
    """Enter one paper endorsement; a refusal is shown in words, with the search kept."""
    nomination = _nomination_or_404(village, nomination_id)
    if not can_edit():
        return _may_not_edit()
    q = clean_query(request.form.get("q"))
    resident_id = _int(request.form.get("resident_id"))
    try:
        if resident_id is None:
            raise Refusal(_("请先查找并选定一位村民。"), status=422)
        with unit_of_work(conflict=services.already_endorsed):
            endorsement = services.endorse_on_paper(current_user, nomination, resident_id)
            done = _(
                "已录入%(name)s的联名，现在共 %(n)s 位。",
                name=endorsement.resident.name,
                n=nomination.endorsement_count,
            )
    except Refusal as error:
        db.session.rollback()
        nomination = _nomination_or_404(village, nomination_id)
        return _endorsements_page(village, nomination, error.status, q=q, message=error.message)
    if htmx_target() == "paper-entry":
        return _endorsements_page(village, nomination, done=done)
    flash(done, "success")
    return redirect_after_post(
        url_for(".endorsements", village=village.slug, nomination_id=nomination.id)
    )


# --- categories -------------------------------------------------------------------------


def _retire_form(category_id: int, formdata=None) -> RetireForm:
    return RetireForm(prefix=f"c{category_id}", meta={"csrf": False}, formdata=formdata)


def _categories_page(village, form=None, retire=None, status=200, message=None):
    rows = services.categories(village, active_only=False)
    forms = {c.id: _retire_form(c.id) for c in rows if not c.official}
    if retire is not None:
        forms[retire[0]] = retire[1]
    return private(
        render(
            "nominations/manage_categories.html",
            status=status,
            village=village,
            official=[c for c in rows if c.official],
            own=[c for c in rows if not c.official],
            form=form or CategoryForm(formdata=None),
            retire_forms=forms,
            message=message,
        )
    )


@bp.get(f"{PREFIX}/categories")
@private_page
@village_role(*READERS)
def categories(village):
    """The five official categories and the village's own."""
    return _categories_page(village)


@bp.post(f"{PREFIX}/categories")
@private_page
@village_role(*READERS)
def category_add(village):
    if not can_edit():
        return _may_not_edit()
    form = CategoryForm()
    if not form.validate_on_submit():
        return _categories_page(village, form, status=400)
    try:
        with unit_of_work():
            name = services.add_category(current_user, village, form.name.data).name
    except Refusal as error:
        if _field_error(form, error):
            return _categories_page(village, form, status=error.status)
        return _categories_page(village, form, status=error.status, message=error.message)
    flash(_("已添加类别“%(name)s”。", name=name), "success")
    return redirect_after_post(url_for(".categories", village=village.slug))


@bp.post(f"{PREFIX}/categories/<int:category_id>/retire")
@private_page
@village_role(*READERS)
def category_retire(village, category_id: int):
    category = db.session.get(NominationCategory, category_id)
    if category is None or category.village_id != village.id:
        abort(404)
    if not can_edit():
        return _may_not_edit()
    form = _retire_form(category.id, request.form)
    if not form.validate():
        return _categories_page(village, retire=(category.id, form), status=422)
    try:
        with unit_of_work():
            services.retire_category(current_user, category)
            name = category.name
    except Refusal as error:
        db.session.rollback()
        return _categories_page(village, status=error.status, message=error.message)
    flash(_("类别“%(name)s”已停用。", name=name), "success")
    return redirect_after_post(url_for(".categories", village=village.slug))


# --- the town office ----------------------------------------------------------------------


def forwarded(town) -> sa.Select:
    """What the town's villages forwarded, newest first, with what the list shows."""
    return (
        _with_people(sa.select(Nomination))
        .options(joinedload(Nomination.village))
        .where(Nomination.town_id == town.id, Nomination.forwarded_at.is_not(None))
        .order_by(Nomination.forwarded_at.desc(), Nomination.id.desc())
    )


def _town_context(town, rows, item=None, forms=None, messages=None) -> dict:
    all_forms = {row.id: town_form(row.id) for row in rows}
    all_forms.update(forms or {})
    return {
        "town": town,
        "rows": rows,
        "nomination": item,
        "forms": all_forms,
        "messages": dict(messages or {}),
        "committee_name": committee_name,
    }


def _town_page(town, status=200, failed=None, form=None, message=None):
    pagination = db.paginate(
        forwarded(town),
        page=clamp_page(request.args.get("page", 1, type=int)),
        per_page=TOWN_PER_PAGE,
        error_out=False,
    )
    rows = list(pagination.items)
    blocks = {}
    forms, messages = {}, {}
    if failed is not None:
        if failed not in rows:
            rows.insert(0, failed)
        blocks[f"town-nomination-{failed.id}"] = "town_nomination"
        if form is not None:
            forms[failed.id] = form
        if message:
            messages[failed.id] = message
    return private(
        render(
            "town/nominations.html",
            blocks=blocks,
            status=status,
            pagination=pagination,
            **_town_context(town, rows, failed, forms, messages),
        )
    )


@bp.get("/town/<town>/nominations")
@private_page
@town_role(Role.TOWN_OFFICIAL)
def town_list(town):
    """What the town's villages forwarded to its own selection, newest first."""
    return _town_page(town)


@bp.post("/town/<town>/nominations/<int:nomination_id>")
@private_page
@town_role(Role.TOWN_OFFICIAL)
def town_decide(town, nomination_id: int):
    """Selected or not in the town's selection, with a note (required when not)."""
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None or nomination.town_id != town.id or nomination.forwarded_at is None:
        abort(404)
    form = town_form(nomination.id, request.form)
    if not form.validate():
        return _town_page(town, 422, nomination, form)
    try:
        with unit_of_work():
            services.town_decide(
                current_user, nomination, form.decision.data == "selected", form.note.data
            )
    except Refusal as error:
        db.session.rollback()
        nomination = db.session.get(Nomination, nomination_id)
        if error.field == "note":
            form.note.errors = [*form.note.errors, error.message]
            return _town_page(town, error.status, nomination, form)
        return _town_page(town, error.status, nomination, form, error.message)
    if form.decision.data == "selected":
        done = _("已记录：入选镇街评选。")
    else:
        done = _("已记录：未入选，村委会会看到说明。")
    if is_htmx() and not is_boosted():
        body = render_block(
            "town/nominations.html",
            "town_nomination",
            **_town_context(town, [nomination], nomination),
        )
        return vary_on_htmx(make_response(body))
    flash(done, "success")
    return redirect_after_post(url_for(".town_list", town=town.slug))


_WAITING_FOR_TOWN = sa.select(sa.func.count(Nomination.id)).where(
    Nomination.town_id == sa.bindparam("town_id", type_=sa.Integer),
    Nomination.forwarded_at.is_not(None),
    Nomination.town_decision.is_(None),
)


@bp.app_template_global()
def nominations_forwarded(town) -> int:
    """How many forwarded nominees wait for the town's decision (the town office's link)."""
    return db.session.scalar(_WAITING_FOR_TOWN, {"town_id": town.id})
