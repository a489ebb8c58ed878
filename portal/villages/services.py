"""Queries and rules about towns, villages, households and residents."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from portal.extensions import db
from portal.villages.models import Household, Resident, Town, Village


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_villages(q: str, limit: int = 20) -> list[Village]:
    """Villages whose name (or town's name) contains `q`, shortest names first."""
    q = q.strip()[:40]
    if not q:
        return []
    pattern = f"%{escape_like(q)}%"
    query = (
        sa.select(Village)
        .join(Town)
        .where(
            sa.or_(Village.name.like(pattern, escape="\\"), Town.name.like(pattern, escape="\\"))
        )
        .order_by(sa.func.length(Village.name), Village.name)
        .limit(limit)
        .options(sa.orm.contains_eager(Village.town))
    )
    return list(db.session.scalars(query))


def list_towns(page: int = 1, per_page: int = 50):
    """Towns by name with their number of villages, a page at a time."""
    villages = (
        sa.select(sa.func.count(Village.id))
        .where(Village.town_id == Town.id)
        .correlate(Town)
        .scalar_subquery()
    )
    query = sa.select(Town, villages.label("village_count")).order_by(Town.name, Town.id)
    total = db.session.scalar(sa.select(sa.func.count(Town.id)))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


def villages_of_town(town: Town, limit: int = 300) -> list[Village]:
    query = sa.select(Village).where(Village.town_id == town.id).order_by(Village.name).limit(limit)
    return list(db.session.scalars(query))


# --- the committee console's roster lists -----------------------------------------

MAX_QUERY_LENGTH = 40
MAX_PAGE = 10_000


def clean_query(raw: str | None) -> str:
    """A search term safe to bind: no control characters (PostgreSQL refuses NUL), short."""
    if not raw:
        return ""
    text = "".join(ch for ch in raw if ch.isprintable())
    return unicodedata.normalize("NFKC", text).strip()[:MAX_QUERY_LENGTH]


def clamp_page(page: int | None) -> int:
    """A page number that cannot overflow an OFFSET."""
    if not page or page < 1:
        return 1
    return min(page, MAX_PAGE)


def _contains(term: str) -> str:
    return f"%{escape_like(term)}%"


def search_households(village: Village, q: str, page: int, per_page: int = 20) -> Pagination:
    """Households of `village` whose door number, or one of whose residents' names, contains `q`.

    Ordered as people read door numbers ("2号" before "10号"), then by id. Each
    household comes with its grid and residents loaded.
    """
    query = sa.select(Household).where(Household.village_id == village.id)
    if q:
        pattern = _contains(q)
        by_name = (
            sa.select(Resident.id)
            .where(
                Resident.household_id == Household.id,
                Resident.name.like(pattern, escape="\\"),
            )
            .exists()
        )
        query = query.where(sa.or_(Household.door_number.like(pattern, escape="\\"), by_name))
    query = query.order_by(
        sa.func.length(Household.door_number), Household.door_number, Household.id
    ).options(sa.orm.selectinload(Household.residents), sa.orm.joinedload(Household.grid))
    return db.paginate(query, page=clamp_page(page), per_page=per_page, error_out=False)


def search_residents(
    village: Village, q: str, page: int, account: str | None = None, per_page: int = 20
) -> Pagination:
    """Residents of `village` whose name contains `q`; `account` "with" or "without" filters
    on whether they have an account. Each comes with its household loaded."""
    from portal.auth.models import User

    query = (
        sa.select(Resident)
        .join(Resident.household)
        .where(Resident.village_id == village.id)
        .options(sa.orm.contains_eager(Resident.household))
    )
    if q:
        query = query.where(Resident.name.like(_contains(q), escape="\\"))
    has_account = sa.select(User.id).where(User.resident_id == Resident.id).exists()
    if account == "with":
        query = query.where(has_account)
    elif account == "without":
        query = query.where(~has_account)
    query = query.order_by(
        sa.func.length(Household.door_number), Household.door_number, Resident.id
    )
    return db.paginate(query, page=clamp_page(page), per_page=per_page, error_out=False)


def accounts_of(residents: list[Resident]) -> dict[int, object]:
    """The account linked to each of `residents` that has one, by resident id."""
    from portal.auth.models import User

    ids = [r.id for r in residents]
    if not ids:
        return {}
    users = db.session.scalars(sa.select(User).where(User.resident_id.in_(ids)))
    return {user.resident_id: user for user in users}


def roster_counts(village: Village) -> dict[str, int]:
    """How many households and residents `village` has."""
    households = db.session.scalar(
        sa.select(sa.func.count()).select_from(Household).where(Household.village_id == village.id)
    )
    residents = db.session.scalar(
        sa.select(sa.func.count()).select_from(Resident).where(Resident.village_id == village.id)
    )
    return {"households": households or 0, "residents": residents or 0}
