"""The committee console 村务管理 under /v/<village>/manage/: its home and the
verification queue. The other parts live beside it, one module each."""

from __future__ import annotations

from flask import abort, g, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import registry
from portal.auth.access import village_role
from portal.auth.models import RegistrationStatus, User
from portal.extensions import db
from portal.htmx import render
from portal.manage import services
from portal.manage.blueprint import EDITORS, READERS, bp
from portal.manage.forms import MatchForm, RefuseForm
from portal.queues import ReviewQueue

PER_PAGE = 20
_UNSET = object()


def roster_tiles(village) -> dict:
    """The console's own figures: registrations waiting, households, residents, unused codes."""
    return {"counts": services.console_counts(village)}


registry.console_section(
    "roster", order=50, template="manage/_console_section.html", context=roster_tiles
)


@bp.get("/")
@village_role(*READERS)
def index(village):
    """The console home: each feature's tiles (portal/registry.py), for the roles held here."""
    sections = registry.console_sections(g.roles)
    return render(
        "manage/index.html",
        village=village,
        console_sections=sections,
        **registry.gather(sections, village),
    )


# --- verification queue -----------------------------------------------------------


def _refuse_form(user_id: int, formdata=_UNSET) -> RefuseForm:
    """One refusal form per card, its field named after the registration so the ids stay
    unique on the page. The token is the page's own hidden csrf_token input, which the
    app-wide CSRF protection checks before the view runs."""
    kwargs = {} if formdata is _UNSET else {"formdata": formdata}
    return RefuseForm(prefix=f"refuse-{user_id}", meta={"csrf": False}, **kwargs)


def _candidates(village, registrations: list[User]) -> dict:
    """Roster residents who may be each pending registration (none for one just decided)."""
    pending = [u for u in registrations if u.status == RegistrationStatus.PENDING]
    return {"candidates": services.candidates_for(village, pending)}


# The registrations waiting for the committee to match them to the roster, oldest first.
VERIFICATIONS = ReviewQueue(
    template="manage/verifications.html",
    row_block="registration",
    row_prefix="registration-",
    item_name="registration",
    counter_block="pending_count",
    counter_id="pending-count",
    event="queue-changed",
    pending=services.pending_registrations,
    form_for=_refuse_form,
    per_page=PER_PAGE,
    extra=_candidates,
    rows_name="registrations",
    forms_name="refuse_forms",
    total_name="pending_total",
)


def _queue_page(village, status: int = 200, failed: tuple[int, str] | None = None, form=None):
    """The queue, with the error of one failed action shown in its registration's card."""
    registration = None
    message = None
    if failed:
        registration = db.session.get(User, failed[0])
        message = failed[1]
    return VERIFICATIONS.page(village, status, failed=registration, form=form, message=message)


@bp.get("/verifications")
@village_role(*READERS)
def verifications(village):
    return _queue_page(village)


def _done(village, user: User, message: str):
    """After a match or refusal: the card's new state for htmx, else back to the queue."""
    return VERIFICATIONS.done(
        village, user, message, url_for("manage.verifications", village=village.slug)
    )


def _registration_or_404(village, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.village_id != village.id:
        abort(404)
    return user


@bp.post("/verifications/<int:user_id>/match")
@village_role(*EDITORS)
def match_registration(village, user_id: int):
    registration = _registration_or_404(village, user_id)
    form = MatchForm()
    if not form.validate_on_submit():
        return _queue_page(village, 422, (registration.id, _("请选择花名册上的一个人。")))
    try:
        user = services.match_registration(
            current_user, village, registration.id, form.resident_id.data
        )
    except services.ConsoleError as exc:
        if exc.status == 404:
            abort(404)
        return _queue_page(village, exc.status, (registration.id, exc.message))
    resident = user.resident
    return _done(
        village,
        user,
        _(
            "已核实%(name)s，关联到花名册上%(door)s的%(resident)s。",
            name=user.name,
            door=resident.household.door_number,
            resident=resident.name,
        ),
    )


@bp.post("/verifications/<int:user_id>/refuse")
@village_role(*EDITORS)
def refuse_registration(village, user_id: int):
    registration = _registration_or_404(village, user_id)
    form = _refuse_form(registration.id)
    if not form.validate_on_submit():
        return _queue_page(village, 422, (registration.id, ""), form)
    try:
        user = services.refuse_registration(
            current_user, village, registration.id, form.reason.data
        )
    except services.ConsoleError as exc:
        if exc.status == 404:
            abort(404)
        return _queue_page(village, exc.status, (registration.id, exc.message), form)
    return _done(village, user, _("已退回%(name)s的注册申请。", name=user.name))


# The console's other parts register their routes on the same blueprint.
from portal.manage import invites, people, roles, roster_views  # noqa: E402, F401
