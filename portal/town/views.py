"""The township office 镇街: an overview of the town's villages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint

from portal.auth.access import town_role
from portal.auth.models import RegistrationStatus, Role, User
from portal.extensions import db
from portal.htmx import render
from portal.villages.models import Household, Resident, Town, Village

bp = Blueprint("town", __name__, url_prefix="/town/<town>")


def village_figures(town: Town) -> list[dict]:
    """Households, residents, verified and waiting accounts per village: four grouped queries."""
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
        .where(Resident.village_id.in_(ids))
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
    return render("town/index.html", town=town, rows=village_figures(town))
