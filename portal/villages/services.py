"""Queries and rules about towns, villages, households and residents."""

from __future__ import annotations

import unicodedata
from functools import cache

import sqlalchemy as sa

from portal.extensions import db
from portal.villages.models import Grid, Household, Resident, Town, Village


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


class Page:
    """One page of a list: its items, and what the pager needs to know."""

    def __init__(self, items: list, total: int, page: int, per_page: int):
        self.items = items
        self.total = total
        self.page = page
        self.per_page = per_page

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def __iter__(self):
        return iter(self.items)


def _page(statements: tuple[sa.Select, sa.Select], params: dict, page: int, per_page: int) -> Page:
    """One page of a list: the page's rows and the total, from a (query, count) pair.

    The count is its own lean statement (only what filters the rows, no join or order
    needed for the total), so it is served by the village index and skips the sort.
    """
    query, count = statements
    page = clamp_page(page)
    window = {"limit": per_page, "offset": (page - 1) * per_page}
    rows = db.session.execute(query, {**params, **window}).all()
    return Page(rows, db.session.scalar(count, params), page, per_page)


# The lists' statements are built once for each shape of search, with bound parameters
# (village_id, pattern, limit, offset, ids): building a statement and its cache key on
# every request cost about half a millisecond of a page's time.


def _paged(query: sa.Select) -> sa.Select:
    return query.limit(sa.bindparam("limit", type_=sa.Integer)).offset(
        sa.bindparam("offset", type_=sa.Integer)
    )


def _account_of(resident_id) -> sa.ScalarSelect:
    """The id of a resident's account, or NULL.

    A scalar subquery is always a probe of the unique index on user.resident_id. An
    EXISTS may instead be planned by PostgreSQL as a hash of the whole user table:
    95 ms in a list, 30 ms in a count, with 1,500 villages.
    """
    from portal.auth.models import User

    return sa.select(User.id).where(User.resident_id == resident_id).scalar_subquery()


def _registered(resident_id) -> sa.ColumnElement[bool]:
    """Whether a resident has an account, as a column of a list's rows."""
    return sa.type_coerce(_account_of(resident_id).is_not(None), sa.Boolean).label("registered")


def _has_account(resident_id) -> sa.Exists:
    """Whether a resident has an account, as a filter of a list joined to households: a
    semi-join on the same index (the scalar form misleads the join's row estimate)."""
    from portal.auth.models import User

    return sa.select(User.id).where(User.resident_id == resident_id).exists()


def search_households(village: Village, q: str, page: int, per_page: int = 20) -> Page:
    """Households of `village` whose door number, or one of whose residents' names, contains `q`.

    Ordered as people read door numbers ("2号" before "10号"), then by id. The items
    are rows of what the list shows: id, door_number, grid_name (None outside any grid).
    """
    params = {"village_id": village.id, "pattern": _contains(q) if q else None}
    return _page(_household_statements(bool(q)), params, page, per_page)


@cache
def _household_statements(searching: bool) -> tuple[sa.Select, sa.Select]:
    """The households list's page and count, built once. The grid is joined on this
    village's grids only, so the database reads a few grids, not every grid of the city."""
    village_id = sa.bindparam("village_id", type_=sa.Integer)
    where = [Household.village_id == village_id]
    if searching:
        pattern = sa.bindparam("pattern", type_=sa.String)
        by_name = (
            sa.select(Resident.id)
            .where(
                Resident.household_id == Household.id,
                Resident.name.like(pattern, escape="\\"),
            )
            .exists()
        )
        where.append(sa.or_(Household.door_number.like(pattern, escape="\\"), by_name))
    query = (
        sa.select(Household.id, Household.door_number, Grid.name.label("grid_name"))
        .outerjoin(Grid, sa.and_(Grid.id == Household.grid_id, Grid.village_id == village_id))
        .where(*where)
        .order_by(sa.func.length(Household.door_number), Household.door_number, Household.id)
    )
    count = sa.select(sa.func.count()).select_from(Household).where(*where)
    return _paged(query), count


def members_of(household_ids: list[int]) -> dict[int, list]:
    """The residents of each household, by household id, in roster order: rows of name and
    registered (whether they have an account). One statement for a whole page."""
    members: dict[int, list] = {household_id: [] for household_id in household_ids}
    if not members:
        return members
    for row in db.session.execute(_members_statement(), {"ids": list(members)}):
        members[row.household_id].append(row)
    return members


@cache
def _members_statement() -> sa.Select:
    return (
        sa.select(Resident.household_id, Resident.name, _registered(Resident.id))
        .where(Resident.household_id.in_(sa.bindparam("ids", expanding=True)))
        .order_by(Resident.id)
    )


def search_residents(
    village: Village, q: str, page: int, account: str | None = None, per_page: int = 20
) -> Page:
    """Residents of `village` whose name contains `q`; `account` "with" or "without" filters
    on whether they have an account. The items are rows of what the list shows: name,
    birth_year, gender, door_number, registered."""
    if account not in ("with", "without"):
        account = None
    params = {"village_id": village.id, "pattern": _contains(q) if q else None}
    return _page(_resident_statements(bool(q), account), params, page, per_page)


@cache
def _resident_statements(searching: bool, account: str | None) -> tuple[sa.Select, sa.Select]:
    """The residents list's page and count, built once for each shape of search.

    The household join names the village too, so the database reads this village's
    households by their index instead of choosing to scan every household of the city.
    """
    village_id = sa.bindparam("village_id", type_=sa.Integer)
    where = [Resident.village_id == village_id]
    if searching:
        where.append(Resident.name.like(sa.bindparam("pattern", type_=sa.String), escape="\\"))
    # The count has no join whose estimate a scalar filter could mislead, and there the
    # scalar form is the one that never becomes a hash of the whole user table.
    counted = list(where)
    if account == "with":
        where.append(_has_account(Resident.id))
        counted.append(_account_of(Resident.id).is_not(None))
    elif account == "without":
        where.append(~_has_account(Resident.id))
        counted.append(_account_of(Resident.id).is_(None))
    query = (
        sa.select(
            Resident.name,
            Resident.birth_year,
            Resident.gender,
            Household.door_number,
            _registered(Resident.id),
        )
        .join(
            Household,
            sa.and_(Household.id == Resident.household_id, Household.village_id == village_id),
        )
        .where(*where)
        .order_by(sa.func.length(Household.door_number), Household.door_number, Resident.id)
    )
    count = sa.select(sa.func.count()).select_from(Resident).where(*counted)
    return _paged(query), count
