"""公示 pages and actions, shared by every feature that puts a decision up for notice.

Villagers: /v/<village>/publicity/<id> (the period, its counts and the objection form;
a feature's own page includes the same partials) and
POST /v/<village>/publicity/<id>/objections.
Console (committee and supervisors read; the committee acts):
/v/<village>/manage/publicity/<id> (the period and its objections, with the objectors'
names, and the clerk's paper entry), POST .../objections (a paper objection),
/v/<village>/manage/publicity/objections (the queue of unanswered objections) and
POST /v/<village>/manage/publicity/objections/<id>/answer.

A plain form is answered with post/redirect/get to its `next` (a path on this site),
an htmx request with the block of the page it targets.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.actions import Refusal, unit_of_work
from portal.auth.access import load_village, login_required, village_role
from portal.auth.redirects import safe_next
from portal.errors import render_error
from portal.extensions import db
from portal.htmx import is_boosted, is_htmx, redirect_after_post, render, trigger
from portal.manage.blueprint import READERS, can_edit, console_globals
from portal.privacy import no_store, private
from portal.publicity import services
from portal.publicity.forms import AnswerForm, ObjectionForm, PaperObjectionForm
from portal.publicity.models import Objection, Publicity
from portal.queues import ReviewQueue
from portal.villages.models import Resident
from portal.villages.services import search_residents

bp = Blueprint("publicity", __name__)

QUEUE_EVENT = "objections-changed"


@bp.context_processor
def _console_names() -> dict:
    """The names the console's templates read (`can_edit`), as on the console's own pages."""
    return console_globals()


@bp.app_template_global()
def publicity_period(publicity: Publicity) -> services.PeriodView:
    """The period as a page says it: phase, dates, days left (from the clock)."""
    return services.describe(publicity, clock.now())


@bp.app_template_global()
def publicity_subject(publicity: Publicity) -> str:
    return services.subject_label(publicity.subject_type)


def _period_or_404(village, publicity_id: int) -> Publicity:
    publicity = services.get_period(village, publicity_id)
    if publicity is None:
        abort(404)
    return publicity


def _next(default: str) -> str:
    return safe_next(request.form.get("next") or request.args.get("next"), default)


# --- villagers ------------------------------------------------------------------------


def objection_context(
    village, publicity: Publicity, form=None, message=None, submitted=False, next_url=None
) -> dict:
    """What the objection form partial needs; a feature's page calls this too."""
    own = services.own_objection(current_user, publicity)
    refusal = None if own else services.objecting_refusal(current_user, publicity)
    if form is None and current_user.is_authenticated and not own and refusal is None:
        # Only for one who may object: a form mints a CSRF token, which would give a
        # visitor a session and keep the page out of the page cache.
        form = ObjectionForm(formdata=None)
    return {
        "village": village,
        "publicity": publicity,
        "objection_counts": services.objection_counts([publicity.id]).get(
            publicity.id, services.ObjectionCount()
        ),
        "own_objection": own,
        "objection_refusal": refusal,
        "objection_form": form,
        "objection_message": message,
        "objection_submitted": submitted,
        "objection_next": next_url or request.path,
    }


def _show(village, publicity: Publicity, status: int = 200, **state):
    target = f"objection-form-{publicity.id}"
    response = render(
        "publicity/show.html",
        blocks={target: "objection_form"},
        status=status,
        **objection_context(village, publicity, **state),
    )
    return no_store(response)


@bp.get("/v/<village>/publicity/<int:publicity_id>")
@login_required
def show(village: str, publicity_id: int):
    """A period on its own page: its dates, the number of objections, and the form."""
    village = load_village(village)
    return _show(village, _period_or_404(village, publicity_id))


@bp.post("/v/<village>/publicity/<int:publicity_id>/objections")
@login_required
def object_online(village: str, publicity_id: int):
    """A villager's objection. Anyone logged in reaches the view, so that someone who may
    not object is told why in words."""
    village = load_village(village)
    publicity = _period_or_404(village, publicity_id)
    default = url_for(".show", village=village.slug, publicity_id=publicity.id)
    next_url = _next(default)
    form = ObjectionForm()
    state = {"form": form, "next_url": next_url}
    if not form.validate_on_submit():
        return _show(village, publicity, 422, **state)
    try:
        with unit_of_work(conflict=services.already_objected):
            services.object_online(current_user, publicity, form.reason.data)
    except Refusal as error:
        if error.field == "reason":
            form.reason.errors = [*form.reason.errors, error.message]
            return _show(village, publicity, error.status, **state)
        return _show(village, publicity, error.status, message=error.message, **state)
    if is_htmx() and not is_boosted():
        return _show(village, publicity, 200, submitted=True, next_url=next_url)
    flash(_("您的异议已提交，村委会将书面答复。"), "success")
    return redirect_after_post(next_url)


# --- the committee's console ----------------------------------------------------------


def _answer_form(objection_id: int, formdata=None) -> AnswerForm:
    """One answer form per row, its fields named after the objection so ids stay unique;
    the token is the page's own csrf_token input, checked app-wide before the view."""
    return AnswerForm(prefix=f"o{objection_id}", meta={"csrf": False}, formdata=formdata)


OBJECTIONS_QUEUE = ReviewQueue(
    template="publicity/manage_queue.html",
    row_block="objection",
    row_prefix="objection-",
    item_name="objection",
    counter_block="unanswered_count",
    counter_id="unanswered-objections",
    event=QUEUE_EVENT,
    pending=services.unanswered,
    form_for=_answer_form,
    forms_name="answer_forms",
    total_name="unanswered_total",
)


def _manage_context(
    village, publicity: Publicity, paper_form=None, paper_message=None, paper_done=None
) -> dict:
    objections = services.objections_for(publicity)
    q = (request.args.get("q") or "").strip()
    found = search_residents(village, q, 1, roster="current", per_page=10) if q else None
    chosen_id = paper_form.resident_id.data if paper_form is not None else None
    chosen = db.session.get(Resident, chosen_id) if isinstance(chosen_id, int) else None
    return {
        **OBJECTIONS_QUEUE.context(village, objections),
        "publicity": publicity,
        "subject_url": services.subject_url(village, publicity),
        "objection_counts": services.objection_counts([publicity.id]).get(
            publicity.id, services.ObjectionCount()
        ),
        "may_close": services.may_close(publicity, clock.now()),
        "paper_form": paper_form or PaperObjectionForm(formdata=None),
        "paper_message": paper_message,
        "paper_done": paper_done,
        "q": q,
        "found": found,
        "chosen": chosen if chosen is not None and chosen.village_id == village.id else None,
    }


def _manage_page(village, publicity: Publicity, status: int = 200, **state):
    return private(
        render(
            "publicity/manage_show.html",
            blocks={"paper-objection": "paper_form", "objections": "objections"},
            status=status,
            **_manage_context(village, publicity, **state),
        )
    )


@bp.get("/v/<village>/manage/publicity/<int:publicity_id>")
@village_role(*READERS)
def manage_show(village, publicity_id: int):
    """The period and its objections with the objectors' names; `?q=` finds a resident
    for a paper objection."""
    return _manage_page(village, _period_or_404(village, publicity_id))


@bp.post("/v/<village>/manage/publicity/<int:publicity_id>/objections")
@village_role(*READERS)
def manage_paper(village, publicity_id: int):
    """A clerk enters an objection that reached the committee on paper."""
    publicity = _period_or_404(village, publicity_id)
    if not can_edit():
        return render_error(403, _("只有本村村委会成员可以录入纸质异议。"))
    form = PaperObjectionForm()
    if not form.validate_on_submit():
        return _manage_page(village, publicity, 422, paper_form=form)
    try:
        with unit_of_work(conflict=services.already_objected):
            objection = services.object_on_paper(
                current_user, publicity, form.resident_id.data, form.reason.data
            )
            name = objection.resident.name
    except Refusal as error:
        field = getattr(form, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, error.message]
            return _manage_page(village, publicity, error.status, paper_form=form)
        return _manage_page(
            village, publicity, error.status, paper_form=form, paper_message=error.message
        )
    done = _("已录入%(name)s的纸质异议。", name=name)
    if is_htmx() and not is_boosted():
        response = render(
            "publicity/manage_show.html",
            blocks={"paper-objection": "paper_form"},
            **_manage_context(village, publicity, paper_done=done),
        )
        return trigger(response, QUEUE_EVENT)
    flash(done, "success")
    return redirect_after_post(
        url_for(".manage_show", village=village.slug, publicity_id=publicity.id)
    )


@bp.get("/v/<village>/manage/publicity/objections")
@village_role(*READERS)
def manage_queue(village):
    """Unanswered objections of every period, oldest first; each answered in place."""
    return private(OBJECTIONS_QUEUE.page(village))


@bp.post("/v/<village>/manage/publicity/objections/<int:objection_id>/answer")
@village_role(*READERS)
def manage_answer(village, objection_id: int):
    """The committee's written answer to one objection, from the queue or the period's
    page (the same row either way)."""
    objection: Objection | None = services.get_objection(village, objection_id)
    if objection is None:
        abort(404)
    if not can_edit():
        return render_error(403, _("村务监督委员会可以查看异议，但答复由村委会作出。"))
    form = _answer_form(objection.id, request.form)
    if not form.validate():
        return private(OBJECTIONS_QUEUE.page(village, 422, objection, form))
    try:
        with unit_of_work():
            answered = services.answer(current_user, objection, form.answer.data)
    except Refusal as error:
        if error.status == 404:
            abort(404)
        if error.field:
            form.answer.errors = [*form.answer.errors, error.message]
            return private(OBJECTIONS_QUEUE.page(village, error.status, objection, form))
        return private(OBJECTIONS_QUEUE.page(village, error.status, objection, form, error.message))
    return private(
        OBJECTIONS_QUEUE.done(
            village,
            answered,
            _("已书面答复这条异议。"),
            _next(url_for(".manage_queue", village=village.slug)),
        )
    )
