"""Who may reach which route: every view declares its rule here (SECURITY.md row 11).

Each decorator records the rule on the view as `view.access`; a test walks
`app.url_map` and fails for any route without one. Village-scoped rules load the
village from the `village` URL argument (its slug), check the role for that very
village, and pass the `Village` to the view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.auth.models import Role, RoleGrant, User
from portal.extensions import db
from portal.villages.models import Resident, Town, Village

PUBLIC = "public"
LOGIN = "login"


def public(view: Callable) -> Callable:
    """Anyone, logged in or not."""
    view.access = PUBLIC
    return view


def login_required(view: Callable) -> Callable:
    """Any logged-in account."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            from portal.extensions import login_manager

            return login_manager.unauthorized()
        return view(*args, **kwargs)

    wrapper.access = LOGIN
    return wrapper


def village_page(view: Callable) -> Callable:
    """A public page of one village: anyone may read it; the village must exist."""

    @wraps(view)
    def wrapper(*args, village: str, **kwargs):
        return view(*args, village=load_village(village), **kwargs)

    wrapper.access = PUBLIC
    return wrapper


def village_role(*roles: Role) -> Callable[[Callable], Callable]:
    """Logged in, and holding one of `roles` in the village named by the URL."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, village: str, **kwargs):
            if not current_user.is_authenticated:
                from portal.extensions import login_manager

                return login_manager.unauthorized()
            found = load_village(village)
            held = roles_in_village(current_user, found)
            if not held.intersection(roles):
                abort(403)
            g.roles = held
            return view(*args, village=found, **kwargs)

        wrapper.access = "village:" + ",".join(sorted(r.value for r in roles))
        return wrapper

    return decorator


def town_role(*roles: Role) -> Callable[[Callable], Callable]:
    """Logged in, and holding one of `roles` for the town named by the URL."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, town: str, **kwargs):
            if not current_user.is_authenticated:
                from portal.extensions import login_manager

                return login_manager.unauthorized()
            found = db.first_or_404(sa.select(Town).where(Town.slug == town))
            if not active_grants(current_user, roles, town_id=found.id):
                abort(403)
            return view(*args, town=found, **kwargs)

        wrapper.access = "town:" + ",".join(sorted(r.value for r in roles))
        return wrapper

    return decorator


def admin_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            from portal.extensions import login_manager

            return login_manager.unauthorized()
        if not is_admin(current_user):
            abort(403)
        return view(*args, **kwargs)

    wrapper.access = "admin"
    return wrapper


# Statements every village page runs, built once with bound parameters: building a
# statement and its cache key costs more than running it on a small indexed lookup.
# The town comes in the same statement: the village home names it.
_VILLAGE_BY_SLUG = (
    sa.select(Village)
    .options(joinedload(Village.town))
    .where(Village.slug == sa.bindparam("slug", type_=sa.String))
)
_ROLES_IN_VILLAGE = sa.select(
    RoleGrant.role,
    # the village of the user's roster entry, beside the grants: one statement
    sa.select(Resident.village_id)
    .where(Resident.id == sa.bindparam("resident_id", type_=sa.Integer))
    .scalar_subquery(),
).where(
    RoleGrant.user_id == sa.bindparam("user_id", type_=sa.Integer),
    RoleGrant.village_id == sa.bindparam("village_id", type_=sa.Integer),
    RoleGrant.revoked_at.is_(None),
)


def load_village(slug: str) -> Village:
    village = db.session.scalar(_VILLAGE_BY_SLUG, {"slug": slug})
    if village is None:
        abort(404)
    g.village = village
    return village


def active_grants(
    user: User, roles: Iterable[Role], village_id: int | None = None, town_id: int | None = None
) -> list[RoleGrant]:
    query = sa.select(RoleGrant).where(
        RoleGrant.user_id == user.id,
        RoleGrant.role.in_(list(roles)),
        RoleGrant.revoked_at.is_(None),
    )
    if village_id is not None:
        query = query.where(RoleGrant.village_id == village_id)
    if town_id is not None:
        query = query.where(RoleGrant.town_id == town_id)
    return list(db.session.scalars(query))


def roles_in_village(user: User, village: Village) -> set[Role]:
    """The roles `user` holds in `village`; a villager only while verified there."""
    cache = g.setdefault("_roles_cache", {})
    key = (user.id, village.id)
    if key not in cache:
        params = {"user_id": user.id, "village_id": village.id, "resident_id": user.resident_id}
        rows = db.session.execute(_ROLES_IN_VILLAGE, params).all()
        held = {role for role, _ in rows}
        lives_here = bool(rows) and rows[0][1] == village.id
        if Role.VILLAGER in held and not (user.is_verified and lives_here):
            held.discard(Role.VILLAGER)
        cache[key] = held
    return cache[key]


def is_admin(user: User) -> bool:
    return bool(active_grants(user, [Role.ADMIN]))
