"""The township office 镇街: an overview of the town's villages, and the filings 备案 of
their village rules (pending first, then recent decisions; file or return one)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.actions import Refusal, unit_of_work
from portal.auth.access import town_role
from portal.auth.models import RegistrationStatus, Role, User
from portal.extensions import db
from portal.htmx import redirect_after_post, render
from portal.paging import Page, clamp_page
from portal.rules import services as rules_services
from portal.rules.labels import filing_label
from portal.rules.manage_forms import FilingDecisionForm
from portal.rules.models import FilingState, RuleArticle, RuleDocument, RuleFiling, RuleVersion
from portal.villages.models import Household, Resident, Town, Village

bp = Blueprint("town", __name__, url_prefix="/town/<town>")


def village_figures(town: Town) -> list[dict]:
    """Households, residents on the roster (not moved away or died), verified and waiting
    accounts per village: four grouped queries."""
    villages = db.session.scalars(
        sa.select(Village).where(Village.town_id == town.id).order_by(Village.name)
    ).all()
    ids = [v.id for v in villages]

    def grouped(query) -> dict[int, int]:
        return dict(db.session.execute(query).all()) if ids else {}

    households = grouped(
        sa.select(Household.village_id, sa.func.count())
        .where(Household.village_id.in_(ids))
        .group_by(Household.village_id)
    )
    residents = grouped(
        sa.select(Resident.village_id, sa.func.count())
        .where(Resident.village_id.in_(ids), Resident.left_on.is_(None))
        .group_by(Resident.village_id)
    )
    accounts = sa.select(User.village_id, sa.func.count()).where(User.village_id.in_(ids))
    verified = grouped(
        accounts.where(User.status == RegistrationStatus.VERIFIED).group_by(User.village_id)
    )
    pending = grouped(
        accounts.where(User.status == RegistrationStatus.PENDING).group_by(User.village_id)
    )
    return [
        {
            "village": v,
            "households": households.get(v.id, 0),
            "residents": residents.get(v.id, 0),
            "verified": verified.get(v.id, 0),
            "pending": pending.get(v.id, 0),
        }
        for v in villages
    ]


@bp.get("/")
@town_role(Role.TOWN_OFFICIAL)
def index(town: Town):
    return render(
        "town/index.html", town=town, rows=village_figures(town), pending=pending_count(town)
    )


# --- filings 备案 of village rules --------------------------------------------------------

FILINGS_PER_PAGE = 20
RECENT_DECISIONS = 20


def _filing_columns():
    return (
        sa.select(
            RuleFiling.id,
            RuleFiling.state,
            RuleFiling.reason,
            RuleFiling.submitted_at,
            RuleFiling.decided_at,
            Village.name.label("village_name"),
            RuleDocument.title,
            RuleVersion.number,
        )
        .join(Village, Village.id == RuleFiling.village_id)
        .join(RuleVersion, RuleVersion.id == RuleFiling.version_id)
        .join(RuleDocument, RuleDocument.id == RuleVersion.document_id)
        .where(RuleFiling.town_id == sa.bindparam("town_id"))
    )


def pending_filings(town: Town, page: int) -> Page:
    """The town's filings waiting for a decision, oldest first: one page and its total."""
    page = clamp_page(page)
    rows = db.session.execute(
        _filing_columns()
        .where(RuleFiling.state == FilingState.PENDING)
        .order_by(RuleFiling.submitted_at, RuleFiling.id)
        .limit(FILINGS_PER_PAGE)
        .offset((page - 1) * FILINGS_PER_PAGE),
        {"town_id": town.id},
    ).all()
    return Page(rows, pending_count(town), page, FILINGS_PER_PAGE)


def pending_count(town: Town) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RuleFiling)
        .where(RuleFiling.town_id == town.id, RuleFiling.state == FilingState.PENDING)
    )


def recent_decisions(town: Town) -> list:
    return db.session.execute(
        _filing_columns()
        .where(RuleFiling.state != FilingState.PENDING)
        .order_by(RuleFiling.decided_at.desc(), RuleFiling.id.desc())
        .limit(RECENT_DECISIONS),
        {"town_id": town.id},
    ).all()


@bp.get("/filings")
@town_role(Role.TOWN_OFFICIAL)
def filings(town: Town):
    return render(
        "town/filings.html",
        town=town,
        pending=pending_filings(town, request.args.get("page", 1, type=int)),
        decided=recent_decisions(town),
        filing_label=filing_label,
    )


def _filing_or_404(town: Town, filing_id: int) -> RuleFiling:
    """A filing sent to this town; another town's is not found."""
    filing = db.session.scalar(
        sa.select(RuleFiling)
        .options(
            joinedload(RuleFiling.village),
            joinedload(RuleFiling.version).joinedload(RuleVersion.document),
            joinedload(RuleFiling.version).joinedload(RuleVersion.result),
        )
        .where(RuleFiling.id == filing_id, RuleFiling.town_id == town.id)
    )
    if filing is None:
        abort(404)
    return filing


def _filing_page(town: Town, filing: RuleFiling, form=None, message=None, status: int = 200):
    version = filing.version
    articles = db.session.scalars(
        sa.select(RuleArticle)
        .where(RuleArticle.version_id == version.id)
        .order_by(RuleArticle.position, RuleArticle.id)
    ).all()
    return render(
        "town/filing.html",
        status=status,
        town=town,
        filing=filing,
        version=version,
        result=version.result,
        articles=articles,
        form=form or FilingDecisionForm(formdata=None),
        message=message,
        filing_label=filing_label,
    )


@bp.get("/filings/<int:filing_id>")
@town_role(Role.TOWN_OFFICIAL)
def filing(town: Town, filing_id: int):
    return _filing_page(town, _filing_or_404(town, filing_id))


@bp.post("/filings/<int:filing_id>")
@town_role(Role.TOWN_OFFICIAL)
def decide_filing(town: Town, filing_id: int):
    """备案 or return for correction, with a reason the committee sees: one transaction."""
    found = _filing_or_404(town, filing_id)
    form = FilingDecisionForm()
    if not form.validate_on_submit():
        return _filing_page(town, found, form, status=422)
    try:
        with unit_of_work():
            if form.decision.data == FilingState.FILED.value:
                rules_services.file_rule(current_user, found)
            else:
                rules_services.return_for_correction(current_user, found, form.reason.data)
    except Refusal as error:
        return _filing_page(
            town, _filing_or_404(town, filing_id), form, error.message, error.status
        )
    village = found.village.name
    if form.decision.data == FilingState.FILED.value:
        flash(_("%(village)s的村规民约已备案。", village=village), "success")
    else:
        flash(_("已退回%(village)s修改，村委会会看到理由。", village=village), "success")
    return redirect_after_post(url_for(".filings", town=town.slug))
