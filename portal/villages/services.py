"""Queries and rules about towns, villages, households and residents."""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.villages.models import Town, Village


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
        .where(sa.or_(Village.name.like(pattern, escape="\\"), Town.name.like(pattern, escape="\\")))
        .order_by(sa.func.length(Village.name), Village.name)
        .limit(limit)
        .options(sa.orm.contains_eager(Village.town))
    )
    return list(db.session.scalars(query))


def list_towns_with_villages(limit: int = 50) -> list[Town]:
    """The first towns and their villages, for the finder's start page."""
    query = (
        sa.select(Town)
        .order_by(Town.name)
        .limit(limit)
        .options(sa.orm.selectinload(Town.villages))
    )
    return list(db.session.scalars(query))
