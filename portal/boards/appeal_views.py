"""Appeal pages and actions: the household's, the committee's and the town's.

Household (members of the entry's subject household only; anyone else sees nothing):
GET /v/<village>/boards/<id>/appeal (the entry's appeals, also once it is off the board),
POST /v/<village>/boards/<id>/appeal and POST .../appeal/<appeal_id>/town.
Committee console (supervisors read, the committee acts):
GET /v/<village>/manage/boards/appeals (the queue), POST .../appeals/<id>/decide,
GET/POST /v/<village>/manage/boards/<entry_id>/appeals (an entry's appeals; a paper letter).
Town office: GET /town/<town>/boards/appeals, POST /town/<town>/boards/appeals/<id>.

A plain form is answered with post/redirect/get, an htmx request with the block of the
page it targets. Every answer is private (no-store, noindex): it speaks of a household.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2_fragments.flask import render_block
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from portal.actions import NotFound, Refusal, unit_of_work
from portal.auth.access import town_role, village_role, villager_required
from portal.auth.models import Role
from portal.boards import appeals, services
from portal.boards.models import REASON_MAX, AppealKind, BoardAppeal, BoardEntry, EntryState
from portal.errors import render_error
from portal.extensions import db
from portal.htmx import is_boosted, is_htmx, redirect_after_post, render, trigger, vary_on_htmx
from portal.manage.blueprint import READERS, can_edit, console_globals
from portal.paging import clamp_page
from portal.privacy import private, private_page
from portal.queues import ReviewQueue

bp = Blueprint("board_appeals", __name__)

QUEUE_EVENT = "board-appeals-changed"
BOX_ID = "appeal-box"
# The states of an entry whose appeals its household may read on the appeal page.
ONCE_LISTED = (EntryState.NOTICE, EntryState.PUBLISHED, EntryState.EXPIRED, EntryState.WITHDRAWN)


@bp.context_processor
def _console_names() -> dict:
    return console_globals()


def _normalise(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _reason_field(label):
    return TextAreaField(
        label,
        filters=[_normalise],
        validators=[
            DataRequired(_l("请写下理由。")),
            Length(max=REASON_MAX, message=_l("理由最多 %(max)d 个字。")),
        ],
        render_kw={"rows": 3},
    )


class DecisionForm(FlaskForm):
    """The committee's decision on one appeal or request."""

    decision = RadioField(
        _l("决定"),
        choices=[
            SelectChoice("uphold", _l("理由成立，撤下这一条")),
            SelectChoice("dismiss", _l("驳回")),
        ],
        validators=[InputRequired(_l("请选择理由成立还是驳回。"))],
    )
    reason = _reason_field(_l("书面理由（当事户会看到）"))


class TownDecisionForm(FlaskForm):
    """The town's review of a dismissal."""

    decision = RadioField(
        _l("复核结果"),
        choices=[
            SelectChoice("uphold", _l("申诉理由成立，撤下这一条")),
            SelectChoice("confirm", _l("维持村委会的决定")),
        ],
        validators=[InputRequired(_l("请选择复核结果。"))],
    )
    reason = _reason_field(_l("书面理由（村委会和当事户会看到）"))


class PaperAppealForm(FlaskForm):
    """A household's letter, entered by a committee clerk."""

    resident_id = SelectField(_l("写信的家庭成员"), coerce=int, validate_choice=False)
    kind = RadioField(
        _l("类型"),
        choices=[SelectChoice(kind.value, label) for kind, label in appeals.KIND_LABELS.items()],
        default=AppealKind.APPEAL.value,
        validators=[InputRequired(_l("请选择申诉，还是已整改申请撤下。"))],
    )
    reason = _reason_field(_l("信中写的理由"))


def _entry_or_404(village, entry_id: int) -> BoardEntry:
    try:
        return services.get_entry(village, entry_id)
    except NotFound:
        abort(404)


def _entry_page_url(entry: BoardEntry) -> str:
    return f"/v/{entry.village.slug}/boards/{entry.id}"


def _after_post_url(entry: BoardEntry) -> str:
    """Back to the entry page while it is on its board; else to its appeal page."""
    if services.may_read_entry(current_user, entry):
        return _entry_page_url(entry)
    return url_for(".appeal_page", village=entry.village.slug, entry_id=entry.id)


# --- the household --------------------------------------------------------------------


def _household_page(village, entry: BoardEntry, status: int = 200, **state):
    return private(
        render(
            "boards/appeal.html",
            blocks={BOX_ID: "appeal_box"},
            status=status,
            village=village,
            entry=entry,
            shown=services.SHOWN_LABELS[services.shown_state(entry)],
            entry_listed=services.may_read_entry(current_user, entry),
            entry_url=_entry_page_url(entry),
            subject=services.subject_name(entry),
            **appeals.appeal_context(entry, current_user, **state),
        )
    )


def _member_entry(village, entry_id: int) -> BoardEntry | None:
    """The entry, for a member of its household; None (with the answer to give) else."""
    entry = _entry_or_404(village, entry_id)
    if services.household_member(current_user, entry) is None:
        return None
    return entry


def _not_member(village, entry_id: int):
    entry = _entry_or_404(village, entry_id)
    if not services.may_read_entry(current_user, entry):
        abort(404)
    return private(render_error(403, _("只有被登记的这一户的家庭成员可以申诉。")))


@bp.get("/v/<village>/boards/<int:entry_id>/appeal")
@private_page
@villager_required
def appeal_page(village, entry_id: int):
    """The household's appeals on one of its entries, with the forms it may use now."""
    entry = _member_entry(village, entry_id)
    if entry is None or entry.state not in ONCE_LISTED:
        abort(404)
    return _household_page(village, entry)


@bp.post("/v/<village>/boards/<int:entry_id>/appeal")
@private_page
@villager_required
def submit(village, entry_id: int):
    """A household member appeals, or asks for the entry to be taken down."""
    entry = _member_entry(village, entry_id)
    if entry is None:
        return _not_member(village, entry_id)
    values = {"kind": request.form.get("kind", ""), "reason": request.form.get("reason", "")}
    try:
        with unit_of_work():
            appeals.appeal(current_user, entry, values["reason"], values["kind"] or "appeal")
    except Refusal as error:
        db.session.refresh(entry)
        if error.field:
            return _household_page(
                village, entry, error.status, values=values, errors={error.field: error.message}
            )
        return _household_page(village, entry, error.status, values=values, message=error.message)
    done = _("您的申诉已提交，村委会将书面答复。")
    if is_htmx() and not is_boosted():
        return _household_page(village, entry, done=done)
    flash(done, "success")
    return redirect_after_post(_after_post_url(entry))


@bp.post("/v/<village>/boards/<int:entry_id>/appeal/<int:appeal_id>/town")
@private_page
@villager_required
def ask_town(village, entry_id: int, appeal_id: int):
    """After a dismissal, a household member asks the town to review it."""
    entry = _member_entry(village, entry_id)
    if entry is None:
        return _not_member(village, entry_id)
    appeal = appeals.get_appeal(village, appeal_id)
    if appeal is None or appeal.entry_id != entry.id:
        abort(404)
    reason = request.form.get("reason", "")
    try:
        with unit_of_work():
            appeals.ask_town(current_user, appeal, reason)
    except Refusal as error:
        db.session.refresh(appeal)
        return _household_page(
            village,
            entry,
            error.status,
            town_values={appeal.id: reason},
            town_errors={appeal.id: error.message},
        )
    done = _("已请镇街复核，镇街将书面答复。")
    if is_htmx() and not is_boosted():
        return _household_page(village, entry, done=done)
    flash(done, "success")
    return redirect_after_post(_after_post_url(entry))


# --- the committee's queue ------------------------------------------------------------


def _decision_form(appeal_id: int, formdata=None) -> DecisionForm:
    """One form per row, its fields named after the appeal so ids stay unique; the token
    is the page's own csrf_token input, checked app-wide before the view."""
    return DecisionForm(prefix=f"a{appeal_id}", meta={"csrf": False}, formdata=formdata)


APPEALS_QUEUE = ReviewQueue(
    template="boards/manage_appeals.html",
    row_block="appeal",
    row_prefix="appeal-",
    item_name="appeal",
    counter_block="appeal_count",
    counter_id="pending-appeals",
    event=QUEUE_EVENT,
    pending=appeals.pending_for_village,
    form_for=_decision_form,
    extra=lambda village, rows: {
        "kind_labels": appeals.KIND_LABELS,
        "state_labels": appeals.STATE_LABELS,
        "subject_name": services.subject_name,
    },
)


@bp.get("/v/<village>/manage/boards/appeals")
@private_page
@village_role(*READERS)
def queue(village):
    """Appeals and requests waiting for the committee, oldest first; each decided in place."""
    return private(APPEALS_QUEUE.page(village))


@bp.post("/v/<village>/manage/boards/appeals/<int:appeal_id>/decide")
@private_page
@village_role(*READERS)
def decide(village, appeal_id: int):
    """The committee upholds (the entry is withdrawn) or dismisses, in writing."""
    appeal = appeals.get_appeal(village, appeal_id)
    if appeal is None:
        abort(404)
    if not can_edit():
        return private(render_error(403, _("村务监督委员会可以查看申诉，但决定由村委会作出。")))
    form = _decision_form(appeal.id, request.form)
    if not form.validate():
        return private(APPEALS_QUEUE.page(village, 422, appeal, form))
    try:
        with unit_of_work():
            if form.decision.data == "uphold":
                appeals.uphold(current_user, appeal, form.reason.data)
            else:
                appeals.dismiss(current_user, appeal, form.reason.data)
    except Refusal as error:
        db.session.refresh(appeal)
        if error.field == "reason":
            form.reason.errors = [*form.reason.errors, error.message]
            return private(APPEALS_QUEUE.page(village, error.status, appeal, form))
        return private(APPEALS_QUEUE.page(village, error.status, appeal, form, error.message))
    if form.decision.data == "uphold":
        done = _("已决定理由成立，这一条已撤下。")
    else:
        done = _("已驳回，当事户会看到理由。")
    return private(
        APPEALS_QUEUE.done(village, appeal, done, url_for(".queue", village=village.slug))
    )


# --- one entry's appeals, and a paper letter ------------------------------------------


def _members(entry: BoardEntry):
    return [r for r in entry.household.residents if r.on_roster]


def _paper_form(entry: BoardEntry, formdata=None) -> PaperAppealForm:
    """The clerk's form; `formdata` None gives a blank one (a GET never reads the request)."""
    form = PaperAppealForm(formdata=formdata)
    form.resident_id.choices = [SelectChoice(0, _("请选择"))] + [
        SelectChoice(r.id, r.name) for r in _members(entry)
    ]
    return form


def _entry_appeals_page(village, entry: BoardEntry, status: int = 200, form=None, **state):
    rows = appeals.entry_appeals(entry)
    return private(
        render(
            "boards/appeal_paper.html",
            blocks={"paper-appeal": "paper_form", "entry-appeals": "appeal_list"},
            status=status,
            village=village,
            entry=entry,
            rows=rows,
            subject=services.subject_name(entry),
            shown=services.SHOWN_LABELS[services.shown_state(entry)],
            kind_labels=appeals.KIND_LABELS,
            state_labels=appeals.STATE_LABELS,
            paper_form=form or _paper_form(entry),
            paper_message=state.get("message"),
            paper_done=state.get("done"),
            list_done=state.get("list_done"),
            town_open={row.id: appeals.town_refusal(row) is None for row in rows},
            town_values=state.get("town_values", {}),
            town_errors=state.get("town_errors", {}),
        )
    )


@bp.get("/v/<village>/manage/boards/<int:entry_id>/appeals")
@private_page
@village_role(*READERS)
def entry_appeals(village, entry_id: int):
    """Every appeal on the entry, and the clerk's form for a letter from the household."""
    return _entry_appeals_page(village, _entry_or_404(village, entry_id))


@bp.post("/v/<village>/manage/boards/<int:entry_id>/appeals")
@private_page
@village_role(*READERS)
def paper(village, entry_id: int):
    """A clerk enters a household member's letter: the same rules as an online appeal."""
    entry = _entry_or_404(village, entry_id)
    if not can_edit():
        return private(render_error(403, _("只有本村村委会成员可以录入纸质申诉。")))
    form = _paper_form(entry, request.form)
    if not form.validate_on_submit():
        return _entry_appeals_page(village, entry, 422, form)
    try:
        with unit_of_work():
            made = appeals.appeal_on_paper(
                current_user, entry, form.resident_id.data, form.reason.data, form.kind.data
            )
            name = made.resident.name
    except Refusal as error:
        db.session.refresh(entry)
        field = getattr(form, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, error.message]
            return _entry_appeals_page(village, entry, error.status, form)
        return _entry_appeals_page(village, entry, error.status, form, message=error.message)
    done = _("已录入%(name)s的纸质申诉。", name=name)
    if is_htmx() and not is_boosted():
        return trigger(_entry_appeals_page(village, entry, done=done), QUEUE_EVENT)
    flash(done, "success")
    return redirect_after_post(url_for(".entry_appeals", village=village.slug, entry_id=entry.id))


@bp.post("/v/<village>/manage/boards/<int:entry_id>/appeals/<int:appeal_id>/town")
@private_page
@village_role(*READERS)
def paper_town(village, entry_id: int, appeal_id: int):
    """A clerk enters the household's letter asking the town to review a dismissal."""
    entry = _entry_or_404(village, entry_id)
    appeal = appeals.get_appeal(village, appeal_id)
    if appeal is None or appeal.entry_id != entry.id:
        abort(404)
    if not can_edit():
        return render_error(403, _("只有本村村委会成员可以录入纸质信件。"))
    reason = request.form.get("reason", "")
    try:
        with unit_of_work():
            appeals.ask_town(current_user, appeal, reason)
    except Refusal as error:
        db.session.refresh(appeal)
        return _entry_appeals_page(
            village,
            entry,
            error.status,
            town_values={appeal.id: reason},
            town_errors={appeal.id: error.message},
        )
    done = _("已录入，这件申诉已报镇街复核。")
    if is_htmx() and not is_boosted():
        return _entry_appeals_page(village, entry, list_done=done)
    flash(done, "success")
    return redirect_after_post(url_for(".entry_appeals", village=village.slug, entry_id=entry.id))


# --- the town office ------------------------------------------------------------------

TOWN_PER_PAGE = 20


def _town_form(appeal_id: int, formdata=None) -> TownDecisionForm:
    return TownDecisionForm(prefix=f"t{appeal_id}", meta={"csrf": False}, formdata=formdata)


def _town_context(town, rows: list, item=None, forms=None, messages=None) -> dict:
    all_forms = {row.id: _town_form(row.id) for row in rows}
    all_forms.update(forms or {})
    return {
        "town": town,
        "rows": rows,
        "appeal": item,
        "forms": all_forms,
        "messages": dict(messages or {}),
        "kind_labels": appeals.KIND_LABELS,
        "state_labels": appeals.STATE_LABELS,
        "subject_name": services.subject_name,
    }


def _town_page(town, status: int = 200, failed=None, form=None, message=None):
    pagination = db.paginate(
        appeals.pending_for_town(town),
        page=clamp_page(request.args.get("page", 1, type=int)),
        per_page=TOWN_PER_PAGE,
        error_out=False,
    )
    rows = list(pagination.items)
    blocks = {"town-appeals-count": "town_count"}
    forms, messages = {}, {}
    if failed is not None:
        if failed not in rows:
            rows.insert(0, failed)
        blocks[f"town-appeal-{failed.id}"] = "town_appeal"
        if form is not None:
            forms[failed.id] = form
        if message:
            messages[failed.id] = message
    return private(
        render(
            "town/board_appeals.html",
            blocks=blocks,
            status=status,
            pagination=pagination,
            total=pagination.total,
            **_town_context(town, rows, failed, forms, messages),
        )
    )


def _town_appeal_or_404(town, appeal_id: int) -> BoardAppeal:
    appeal = appeals.get_town_appeal(town, appeal_id)
    if appeal is None:
        abort(404)
    return appeal


@bp.get("/town/<town>/boards/appeals")
@private_page
@town_role(Role.TOWN_OFFICIAL)
def town_queue(town):
    """Dismissals the town's villages' households asked the town to review, oldest first."""
    return _town_page(town)


@bp.post("/town/<town>/boards/appeals/<int:appeal_id>")
@private_page
@town_role(Role.TOWN_OFFICIAL)
def town_decide(town, appeal_id: int):
    """The town upholds the household (the entry is withdrawn) or confirms the dismissal."""
    appeal = _town_appeal_or_404(town, appeal_id)
    form = _town_form(appeal.id, request.form)
    if not form.validate():
        return _town_page(town, 422, appeal, form)
    try:
        with unit_of_work():
            appeals.town_decide(
                current_user, appeal, form.decision.data == "uphold", form.reason.data
            )
    except Refusal as error:
        db.session.refresh(appeal)
        if error.field == "reason":
            form.reason.errors = [*form.reason.errors, error.message]
            return _town_page(town, error.status, appeal, form)
        return _town_page(town, error.status, appeal, form, error.message)
    if form.decision.data == "uphold":
        done = _("复核认为申诉理由成立，这一条已撤下。")
    else:
        done = _("复核维持村委会的决定，村委会和当事户会看到理由。")
    if is_htmx() and not is_boosted():
        body = render_block(
            "town/board_appeals.html", "town_appeal", **_town_context(town, [appeal], appeal)
        )
        return private(trigger(vary_on_htmx(make_response(body)), QUEUE_EVENT))
    flash(done, "success")
    return private(redirect_after_post(url_for(".town_queue", town=town.slug)))


@bp.app_template_global()
def board_appeals_pending(town) -> int:
    """How many dismissals wait for the town's review (the town office's link)."""
    return appeals.town_pending_count(town)
