"""好人推荐 pages as villagers and visitors use them (DESIGN.md 2.4).

/v/<village>/nominations?state=open|notice|commended&category=<id>&year=<YYYY>&page=N:
the honour roll, a page at a time (a plain GET form and links; with htmx they swap
the list alone and push the address). /v/<village>/nominations/<id>: one nomination,
with its endorsement count (never who endorsed), the endorse button, its 公示 and the
objection form while the period is open; .../photo its photo. /v/<village>/nominations/new:
a verified villager's nomination of a neighbour picked from the roster, or of their own
household.

Public pages are as cacheable as any: a visitor's page mints no CSRF token (the
buttons are login links for them). A withdrawn nomination is 404 for everyone but the
nominator's household, the committee and supervisors; the reason a nomination was not
commended is for the same people (`may_read_reason`), everyone else reads "未评选".
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal import clock
from portal.actions import NotFound, Refusal, unit_of_work
from portal.auth.access import (
    load_village,
    login_required,
    roles_in_village,
    village_page,
    villager_required,
)
from portal.auth.models import Role
from portal.extensions import db
from portal.htmx import htmx_target, redirect_after_post, render, trigger
from portal.inputs import tagged_id
from portal.nominations import services
from portal.nominations.forms import OWN_HOUSEHOLD, EndorseForm, NominationForm, WithdrawForm
from portal.nominations.models import Nomination, NominationState
from portal.paging import clamp_page, clean_query
from portal.privacy import private, signed_name
from portal.publicity import services as publicity
from portal.publicity.views import objection_context
from portal.uploads import files_kept_if_committed, send_photo, take_photo
from portal.villages.models import Household, Resident, Village
from portal.villages.services import search_residents

bp = Blueprint("nominations", __name__)

PER_PAGE = 20
LIST_TARGET = "nomination-list"
RESULTS_TARGET = "nominee-results"
CHANGED = "endorsements-changed"
PHOTOS = services.NOMINATION_PHOTOS

# The honour roll's tabs: what each shows, by its value in ?state=.
TABS = {
    "open": NominationState.SUBMITTED,
    "notice": NominationState.NOTICE,
    "commended": NominationState.COMMENDED,
}


@bp.app_template_global()
def nomination_nominee(nomination: Nomination) -> str:
    """The nominee as public pages show them (`services.nominee_name`): masked."""
    return services.nominee_name(nomination)


@bp.app_template_global()
def nomination_shown_label(shown: services.Shown) -> str:
    return str(services.SHOWN_LABELS[shown])


def _periods(nominations: list[Nomination]) -> dict[int, publicity.Publicity]:
    ids = [n.id for n in nominations if n.state == NominationState.NOTICE]
    return publicity.periods_for(services.SUBJECT, ids)


def _year_choices(village: Village) -> list[int]:
    this_year = clock.local_date(clock.now()).year
    years = services.settings.setting(village, services.DEED_YEARS.key)
    return list(range(this_year, this_year - years - 1, -1))


def roll_context(village: Village) -> dict:
    """The honour roll and its list block, from one context."""
    tab = request.args.get("state", "")
    if tab not in TABS:
        tab = ""
    categories = services.categories(village)
    category_id = request.args.get("category", type=int)
    category = next((c for c in categories if c.id == category_id), None)
    years = _year_choices(village)
    year = request.args.get("year", type=int)
    if year not in years:
        year = None
    query = services.honour_roll(
        village,
        state=TABS.get(tab),
        category_id=category.id if category else None,
        year=year,
    ).options(selectinload(Nomination.nominee_household).selectinload(Household.residents))
    pagination = db.paginate(
        query,
        page=clamp_page(request.args.get("page", 1, type=int)),
        per_page=PER_PAGE,
        error_out=False,
    )
    nominations = list(pagination.items)
    periods = _periods(nominations)
    now = clock.now()
    minimum = services.minimum(village)
    rows = [
        {
            "nomination": n,
            "shown": services.shown_state(n, periods.get(n.id), now),
            "needed": max(minimum - n.endorsement_count, 0),
        }
        for n in nominations
    ]
    filters = {
        "state": tab or None,
        "category": category.id if category else None,
        "year": year,
    }
    return {
        "village": village,
        "tab": tab,
        "tabs": TABS,
        "categories": categories,
        "category": category,
        "years": years,
        "year": year,
        "filters": filters,
        "pagination": pagination,
        "rows": rows,
    }


@bp.get("/v/<village>/nominations")
@village_page
def index(village: Village):
    """The honour roll: open nominations, those in 公示, and the commended."""
    return render(
        "nominations/index.html", blocks={LIST_TARGET: "nomination_list"}, **roll_context(village)
    )


# --- one nomination -------------------------------------------------------------------


def may_read_reason(user, nomination: Nomination) -> bool:
    """The nominator's household, the committee and supervisors: who read why a
    nomination was not commended, and a withdrawn one at all."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    held = roles_in_village(user, nomination.village)
    if held & {Role.COMMITTEE, Role.SUPERVISOR}:
        return True
    if Role.VILLAGER not in held or user.resident_id is None:
        return False
    if user.resident_id == nomination.nominator_resident_id:
        return True
    return user.resident.household_id == nomination.nominator.household_id


def _nomination_or_404(village: Village, nomination_id: int) -> Nomination:
    try:
        found = services.get_nomination(village, nomination_id)
    except NotFound:
        abort(404)
    if found.state == NominationState.WITHDRAWN and not may_read_reason(current_user, found):
        abort(404)
    return found


def endorse_context(nomination: Nomination, message=None, done=None) -> dict:
    """What the endorse block needs: the count, and the button or why there is none."""
    own = None
    refusal = None
    if current_user.is_authenticated:
        own = services.endorsement_of(nomination, current_user.resident_id)
        if own is None:
            refusal = services.endorsing_refusal(current_user, nomination)
    minimum = services.minimum(nomination.village_id)
    return {
        "endorsement_count": nomination.endorsement_count,
        "endorsements_needed": max(minimum - nomination.endorsement_count, 0),
        "collecting": nomination.state == NominationState.SUBMITTED,
        "own_endorsement": own,
        "endorse_refusal": refusal,
        "endorse_form": EndorseForm(formdata=None) if current_user.is_authenticated else None,
        "endorse_message": message,
        "endorse_done": done,
    }


def nomination_context(
    village: Village,
    nomination: Nomination,
    *,
    withdraw_form=None,
    message=None,
    endorse_message=None,
    done=None,
) -> dict:
    period = publicity.period_for(services.SUBJECT, nomination.id)
    insider = may_read_reason(current_user, nomination)
    is_nominator = (
        current_user.is_authenticated
        and current_user.resident_id == nomination.nominator_resident_id
    )
    shown = services.shown_state(nomination, period)
    context = {
        "village": village,
        "nomination": nomination,
        "nominee": services.nominee_name(nomination),
        "nominator": _("村民推荐")
        if nomination.nominator_user_id is None
        else signed_name(nomination.nominator),
        "paragraphs": [p.strip() for p in nomination.story.splitlines() if p.strip()],
        "shown": shown,
        "shown_label": services.SHOWN_LABELS[shown],
        "show_reason": insider and nomination.state == NominationState.REJECTED,
        "show_photo": bool(nomination.photo_stored_name)
        and (nomination.state in services.PUBLIC_STATES or insider),
        "in_notice": nomination.state == NominationState.NOTICE and period is not None,
        "may_withdraw": is_nominator and nomination.state == NominationState.SUBMITTED,
        "message": message,
    }
    # Built only for the one who may withdraw: a form mints a CSRF token, and a token
    # would give a visitor a session and the page a Set-Cookie, keeping it out of the
    # page cache.
    context["withdraw_form"] = withdraw_form or (
        WithdrawForm(formdata=None) if context["may_withdraw"] else None
    )
    if context["in_notice"]:
        context.update(objection_context(village, period, next_url=request.path))
    context.update(endorse_context(nomination, message=endorse_message, done=done))
    return context


def _blocks(nomination: Nomination) -> dict[str, str]:
    return {
        f"endorse-{nomination.id}": "endorse_block",
        f"endorsement-count-{nomination.id}": "endorsement_count",
    }


def _page(village: Village, nomination: Nomination, status: int = 200, **state):
    context = nomination_context(village, nomination, **state)
    response = render("nominations/show.html", blocks=_blocks(nomination), status=status, **context)
    if context["show_reason"] or nomination.state not in services.PUBLIC_STATES:
        return private(response)
    return response


@bp.get("/v/<village>/nominations/<int:nomination_id>")
@village_page
def show(village: Village, nomination_id: int):
    """One nomination: the story, the count, the endorse button, its 公示."""
    return _page(village, _nomination_or_404(village, nomination_id))


@bp.get("/v/<village>/nominations/<int:nomination_id>/photo")
@village_page
def photo(village: Village, nomination_id: int):
    """A nomination's photo, under the page's rule: public while the nomination is."""
    found = _nomination_or_404(village, nomination_id)
    public = found.state in services.PUBLIC_STATES
    if not found.photo_stored_name or not (public or may_read_reason(current_user, found)):
        abort(404)
    return send_photo(PHOTOS, found.photo_stored_name, found.photo_content_type, shared=public)


@bp.post("/v/<village>/nominations/<int:nomination_id>/endorse")
@login_required
def endorse(village: str, nomination_id: int):
    """A villager's endorsement 联名. Anyone logged in reaches the view, so that someone
    who may not endorse is told why in words."""
    village = load_village(village)
    nomination = _nomination_or_404(village, nomination_id)
    try:
        with unit_of_work(conflict=services.already_endorsed):
            services.endorse(current_user, nomination)
    except Refusal as error:
        db.session.refresh(nomination)
        return _page(village, nomination, error.status, endorse_message=error.message)
    done = _("谢谢您的联名。")
    if htmx_target() in _blocks(nomination):
        return trigger(_page(village, nomination, done=done), CHANGED)
    flash(done, "success")
    return redirect_after_post(url_for(".show", village=village.slug, nomination_id=nomination.id))


@bp.post("/v/<village>/nominations/<int:nomination_id>/withdraw")
@login_required
def withdraw(village: str, nomination_id: int):
    """The nominator takes back a nomination not yet accepted for 公示."""
    village = load_village(village)
    nomination = _nomination_or_404(village, nomination_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _page(village, nomination, 422, withdraw_form=form)
    try:
        with unit_of_work():
            services.withdraw(current_user, nomination)
    except Refusal as error:
        db.session.refresh(nomination)
        return _page(village, nomination, error.status, withdraw_form=form, message=error.message)
    flash(_("推荐已撤回。"), "success")
    return redirect_after_post(url_for(".show", village=village.slug, nomination_id=nomination_id))


# --- nominating -----------------------------------------------------------------------

FIELDS = {"nominee_resident_id": "nominee"}


def _chosen_nominee(village: Village, value: str | None) -> tuple[int | None, bool, object]:
    """(resident id, own household?, what to show as chosen) from the chosen radio:
    "resident:<id>" of this village's roster, or "own"."""
    if value == OWN_HOUSEHOLD:
        return None, True, OWN_HOUSEHOLD
    _kind, resident_id = tagged_id(value, ("resident",))
    if resident_id is None:
        return None, False, None
    resident = db.session.get(Resident, resident_id)
    shown = resident if resident is not None and resident.village_id == village.id else None
    return resident_id, False, shown


def _new_page(village: Village, form: NominationForm | None = None, status=200, message=None):
    q = clean_query(request.args.get("q"))
    found = search_residents(village, q, 1, roster="current", per_page=12) if q else None
    form = form or NominationForm(formdata=None)
    form.category_id.choices = [("", _("请选择"))] + [
        (c.id, c.name) for c in services.categories(village)
    ]
    _rid, own, chosen = _chosen_nominee(village, form.nominee.data)
    people = [row for row in found.items if row.id != current_user.resident_id] if found else None
    return private(
        render(
            "nominations/new.html",
            blocks={RESULTS_TARGET: "nominee_results"},
            status=status,
            village=village,
            form=form,
            q=q,
            people=people,
            chosen=chosen if not own else None,
            own_chosen=own,
            message=message,
            story_max=services.STORY_MAX,
            deed_years=services.settings.setting(village, services.DEED_YEARS.key),
            max_photo_mb=PHOTOS.max_bytes() // (1024 * 1024),
        )
    )


@bp.get("/v/<village>/nominations/new")
@villager_required
def new(village: Village):
    """The nomination form; ?q= searches the roster by name (htmx swaps the results)."""
    return _new_page(village)


def _field_error(form, error: Refusal) -> bool:
    """Put a refusal beside its field; False if it names none the form has."""
    name = FIELDS.get(error.field, error.field)
    field = getattr(form, name, None) if name else None
    if field is None:
        return False
    field.errors = [*field.errors, error.message]
    return True


@bp.post("/v/<village>/nominations/new")
@villager_required
def create(village: Village):
    form = NominationForm()
    if not form.validate_on_submit():
        return _new_page(village, form, 422)
    resident_id, own, _chosen = _chosen_nominee(village, form.nominee.data)
    try:
        with files_kept_if_committed() as files, unit_of_work():
            photo = take_photo(PHOTOS, request.files.get("photo"), files, form.caption.data)
            nomination = services.nominate(
                current_user,
                village,
                category_id=form.category_id.data,
                nominee_resident_id=resident_id,
                own_household=own,
                story=form.story.data,
                deed_on=form.deed_on.data,
                photo=photo,
            )
            db.session.flush()
            nomination_id = nomination.id
    except Refusal as error:
        if _field_error(form, error):
            return _new_page(village, form, error.status)
        return _new_page(village, form, error.status, message=error.message)
    flash(_("推荐已提交。请邻居们来联名，够了人数村委会就会评议。"), "success")
    return redirect_after_post(url_for(".show", village=village.slug, nomination_id=nomination_id))


# --- the household's own view (the account page) --------------------------------------


@bp.app_template_global()
def household_nominations_context(user) -> dict:
    """Nominations naming the user's household and those the user made, with their
    states (and, for the nominator, the reason one was not commended): for the account
    page. Empty without a resident."""
    resident_id = getattr(user, "resident_id", None) if user is not None else None
    if resident_id is None:
        return {"nominations_of_us": [], "nominations_by_me": []}

    def rows(nominations):
        return [
            {
                "nomination": n,
                "label": services.SHOWN_LABELS[services.shown_state(n)],
                "reason": n.decision_reason if n.state == NominationState.REJECTED else None,
            }
            for n in nominations
        ]

    ours, made = services.for_account(resident_id)
    return {
        "nominations_of_us": rows(ours),
        "nominations_by_me": rows(made),
    }
