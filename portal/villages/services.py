"""Queries and rules about towns, villages, households and residents."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa

from portal.extensions import db
from portal.paging import Page, clamp_page, contains_pattern
from portal.villages.doors import sort_by_door
from portal.villages.models import Grid, Household, Resident, Town, Village


def find_villages(q: str, limit: int = 20) -> list[Village]:
    """Villages whose name (or town's name) contains `q`, shortest names first."""
    q = q.strip()[:40]
    if not q:
        return []
    pattern = contains_pattern(q)
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

# The lists' statements are built once for each shape of search, with bound parameters
# (village_id, pattern, limit, offset, ids): building a statement and its cache key on
# every request cost about half a millisecond of a page's time.


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

    Ordered as people read door numbers (一组 before 二组 and 十一组, 2号 before 10号:
    `portal.villages.doors`), then by id. The items are rows of what the list shows: id,
    door_number, grid_name (None outside any grid). The village's matching households
    are read in one statement (a village has at most a few thousand) and ordered here,
    since no portable SQL orders Chinese numerals; the total is their number.
    """
    params = {"village_id": village.id, "pattern": contains_pattern(q) if q else None}
    rows = db.session.execute(_household_statement(bool(q)), params).all()
    return _page_by_door(sort_by_door(rows), page, per_page)


def _page_by_door(rows: list, page: int, per_page: int) -> Page:
    page = clamp_page(page)
    start = (page - 1) * per_page
    return Page(rows[start : start + per_page], len(rows), page, per_page)


@cache
def _household_statement(searching: bool) -> sa.Select:
    """The households list's rows, built once. The grid is joined on this village's grids
    only, so the database reads a few grids, not every grid of the city."""
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
    return (
        sa.select(Household.id, Household.door_number, Grid.name.label("grid_name"))
        .outerjoin(Grid, sa.and_(Grid.id == Household.grid_id, Grid.village_id == village_id))
        .where(*where)
        .order_by(Household.id)
    )


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


# The residents list's roster filter: on the roster now 在册, or marked as moved away
# 迁出 or died 去世 (their rows stay, with the date).
ROSTER_STATES = ("current", "left")


def search_residents(
    village: Village,
    q: str,
    page: int,
    account: str | None = None,
    per_page: int = 20,
    roster: str | None = None,
) -> Page:
    """Residents of `village` whose name contains `q`; `account` "with" or "without" filters
    on whether they have an account, `roster` "current" or "left" on whether they are still
    on the roster. The items are rows of what the list shows: id, household_id, name,
    birth_year, gender, door_number, registered, left_on, left_reason, created_at. They
    are ordered as people read door numbers, then by id (see `search_households`)."""
    if account not in ("with", "without"):
        account = None
    if roster not in ROSTER_STATES:
        roster = None
    params = {"village_id": village.id, "pattern": contains_pattern(q) if q else None}
    per_household, rows_of = _resident_statements(bool(q), account, roster)
    households = sort_by_door(db.session.execute(per_household, params).all())
    page = clamp_page(page)
    start = (page - 1) * per_page
    # The households the page's window falls in, and how many of their residents come
    # before the window.
    wanted, skip, seen = [], 0, 0
    for household in households:
        if seen + household.found > start and seen < start + per_page:
            if not wanted:
                skip = start - seen
            wanted.append(household.id)
        seen += household.found
    rank = {household_id: n for n, household_id in enumerate(wanted)}
    rows = db.session.execute(rows_of, {**params, "ids": wanted}).all()
    rows.sort(key=lambda row: (rank[row.household_id], row.id))
    return Page(rows[skip : skip + per_page], seen, page, per_page)


def resident_row(village: Village, resident_id: int):
    """One resident of `village` as the residents list shows them (or None): for a row
    redrawn on its own after a change."""
    params = {"village_id": village.id, "resident_id": resident_id}
    return db.session.execute(_resident_row_statement(), params).first()


def _resident_list_columns(village_id) -> sa.Select:
    """What a row of the residents list shows, its household joined on this village only."""
    return sa.select(
        Resident.id,
        Resident.household_id,
        Resident.name,
        Resident.birth_year,
        Resident.gender,
        Household.door_number,
        _registered(Resident.id),
        Resident.left_on,
        Resident.left_reason,
        Resident.created_at,
    ).join(
        Household,
        sa.and_(Household.id == Resident.household_id, Household.village_id == village_id),
    )


@cache
def _resident_row_statement() -> sa.Select:
    village_id = sa.bindparam("village_id", type_=sa.Integer)
    return _resident_list_columns(village_id).where(
        Resident.id == sa.bindparam("resident_id", type_=sa.Integer),
        Resident.village_id == village_id,
    )


@cache
def _resident_statements(
    searching: bool, account: str | None, roster: str | None = None
) -> tuple[sa.Select, sa.Select]:
    """The residents list's households and rows, built once for each shape of search.

    First how many residents the search finds in each household of this village (a
    village has far fewer households than residents): ordered by door number here, they
    tell which households a page's window falls in; then only those households'
    residents are read in full. The household join names the village too, so the
    database reads this village's households by their index instead of choosing to
    scan every household of the city.
    """
    village_id = sa.bindparam("village_id", type_=sa.Integer)
    where = [Resident.village_id == village_id]
    if searching:
        where.append(Resident.name.like(sa.bindparam("pattern", type_=sa.String), escape="\\"))
    if account == "with":
        where.append(_has_account(Resident.id))
    elif account == "without":
        where.append(~_has_account(Resident.id))
    if roster == "current":
        where.append(Resident.left_on.is_(None))
    elif roster == "left":
        where.append(Resident.left_on.is_not(None))
    per_household = (
        sa.select(Household.id, Household.door_number, sa.func.count(Resident.id).label("found"))
        .join(
            Resident,
            sa.and_(Resident.household_id == Household.id, Household.village_id == village_id),
        )
        .where(*where)
        .group_by(Household.id, Household.door_number)
        .order_by(Household.id)
    )
    rows = _resident_list_columns(village_id).where(
        Resident.household_id.in_(sa.bindparam("ids", expanding=True)), *where
    )
    return per_household, rows
