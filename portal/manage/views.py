"""The committee console 村务管理 under /v/<village>/manage/: its home and the
verification queue. The other parts live beside it, one module each."""

from __future__ import annotations

from flask import abort, flash, g, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import registry
from portal.auth.access import village_role
from portal.auth.models import User
from portal.extensions import db
from portal.htmx import is_boosted, is_htmx, redirect_after_post, render, trigger
from portal.manage import services
from portal.manage.blueprint import EDITORS, READERS, bp, page_arg
from portal.manage.forms import MatchForm, RefuseForm
from portal.villages.services import clamp_page

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


def _queue_page(village, status: int = 200, failed: tuple[int, str] | None = None, form=None):
    """The queue, with the error of one failed action shown in its registration's card."""
    pagination = db.paginate(
        services.pending_registrations(village),
        page=clamp_page(page_arg()),
        per_page=PER_PAGE,
        error_out=False,
    )
    registrations = list(pagination.items)
    blocks = {"pending-count": "pending_count"}
    messages = {}
    failed_registration = None
    if failed:
        user_id, message = failed
        failed_registration = db.session.get(User, user_id)
        if failed_registration not in registrations:
            # Keep the card with the error in view, whichever page it was on.
            registrations.insert(0, failed_registration)
        if message:
            messages[user_id] = message
        blocks[f"registration-{user_id}"] = "registration"
    refuse_forms = {u.id: _refuse_form(u.id, None) for u in registrations}
    if failed and form is not None:
        refuse_forms[failed[0]] = form
    return render(
        "manage/verifications.html",
        blocks=blocks,
        status=status,
        village=village,
        pagination=pagination,
        registrations=registrations,
        registration=failed_registration,
        candidates=services.candidates_for(village, registrations),
        refuse_forms=refuse_forms,
        messages=messages,
        pending_total=pagination.total,
    )


@bp.get("/verifications")
@village_role(*READERS)
def verifications(village):
    return _queue_page(village)


def _done(village, user: User, message: str):
    """After a match or refusal: the card's new state for htmx, else back to the queue."""
    if is_htmx() and not is_boosted():
        response = render(
            "manage/verifications.html",
            blocks={f"registration-{user.id}": "registration"},
            village=village,
            registration=user,
            candidates={},
            refuse_forms={},
            messages={},
        )
        return trigger(response, "queue-changed")
    flash(message, "success")
    return redirect_after_post(url_for("manage.verifications", village=village.slug))


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
