"""Search terms and pages of a list, as every list of the portal takes them.

A term from the query string is cleaned before it is bound (PostgreSQL refuses a NUL;
an endless term is cut short) and matched with LIKE only after its wildcards are
escaped, so `%` and `_` typed by a visitor are letters, not patterns. A page number is
clamped, so `?page=99999999999` cannot overflow an OFFSET. `Page` is what a pager
template reads, the same names as Flask-SQLAlchemy's pagination, so a template takes
either.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa

from portal.extensions import db

MAX_QUERY_LENGTH = 40
MAX_PAGE = 10_000


def escape_like(term: str) -> str:
    """`term` with LIKE's wildcards escaped; match it with a backslash as the escape."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(term: str) -> str:
    """A LIKE pattern for "contains `term`", its own wildcards escaped."""
    return f"%{escape_like(term)}%"


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


def paged(query: sa.Select) -> sa.Select:
    """`query` with its window as bound parameters (`limit`, `offset`), so a statement
    built once serves every page."""
    return query.limit(sa.bindparam("limit", type_=sa.Integer)).offset(
        sa.bindparam("offset", type_=sa.Integer)
    )


def page_of(
    statements: tuple[sa.Select, sa.Select], params: dict, page: int, per_page: int
) -> Page:
    """One page of a list: the page's rows and the total, from a (query, count) pair.

    The query is a `paged()` one. The count is its own lean statement (only what filters
    the rows, no join or order needed for the total), so it is served by an index and
    skips the sort.
    """
    query, count = statements
    page = clamp_page(page)
    window = {"limit": per_page, "offset": (page - 1) * per_page}
    rows = db.session.execute(query, {**params, **window}).all()
    return Page(rows, db.session.scalar(count, params), page, per_page)
