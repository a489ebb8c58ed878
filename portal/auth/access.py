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
from flask import abort, g, has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.auth.models import Role, RoleGrant, User
from portal.extensions import db
from portal.villages.models import Resident, Town, Village

PUBLIC = "public"
LOGIN = "login"
VILLAGER = "village:villager"


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


def village_or_town_role(
    village_roles: Iterable[Role], town_roles: Iterable[Role]
) -> Callable[[Callable], Callable]:
    """Logged in, and holding one of `village_roles` in the village named by the URL, or one
    of `town_roles` for that village's town.

    For the pages the town oversees as well as the village (the action log, DESIGN.md 2.6):
    an official of the town 镇街 reads them without a role in the village. The town's
    grants are looked up only for someone who holds no village role here, so a committee
    member's request costs what `village_role` costs.
    """
    village_roles = tuple(village_roles)
    town_roles = tuple(town_roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, village: str, **kwargs):
            if not current_user.is_authenticated:
                from portal.extensions import login_manager

                return login_manager.unauthorized()
            found = load_village(village)
            held = roles_in_village(current_user, found)
            if not held.intersection(village_roles):
                grants = active_grants(current_user, town_roles, town_id=found.town_id)
                if not grants:
                    abort(403)
                held = held | {grant.role for grant in grants}
            g.roles = held
            return view(*args, village=found, **kwargs)

        wrapper.access = (
            "village:"
            + ",".join(sorted(r.value for r in village_roles))
            + ";town:"
            + ",".join(sorted(r.value for r in town_roles))
        )
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
# The user's grants in the village, and (a row of its own) the village of their roster
# entry: one statement, whether they hold a grant there or not.
_ROLES_IN_VILLAGE = sa.union_all(
    sa.select(
        sa.cast(RoleGrant.role, sa.String(20)).label("role"),
        sa.cast(sa.null(), sa.Integer).label("resident_village_id"),
    ).where(
        RoleGrant.user_id == sa.bindparam("user_id", type_=sa.Integer),
        RoleGrant.village_id == sa.bindparam("village_id", type_=sa.Integer),
        RoleGrant.revoked_at.is_(None),
    ),
    sa.select(sa.cast(sa.null(), sa.String(20)), Resident.village_id).where(
        Resident.id == sa.bindparam("resident_id", type_=sa.Integer)
    ),
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
    return _roles_in_village(user, village.id)


def _roles_in_village(user: User, village_id: int) -> set[Role]:
    cache = g.setdefault("_roles_cache", {}) if has_request_context() else {}
    key = (user.id, village_id)
    if key not in cache:
        params = {"user_id": user.id, "village_id": village_id, "resident_id": user.resident_id}
        rows = db.session.execute(_ROLES_IN_VILLAGE, params).all()
        held = {Role(role) for role, _ in rows if role is not None}
        lives_here = any(home == village_id for role, home in rows if role is None)
        # A villager's grant counts only while the registration is verified, linked to a
        # resident of this very village, and the account is not disabled.
        if not (user.is_verified and lives_here and not user.disabled):
            held.discard(Role.VILLAGER)
        cache[key] = held
    return cache[key]


def is_verified_villager(user, village_id: int) -> bool:
    """The one test of who is a verified villager 已核实村民 of a village.

    A villager's grant in that village (not revoked), a registration the committee
    verified (or made with an invite code) linked to a resident on that village's
    roster, and an account not disabled. Views and services ask this same question
    (may they vote, comment, ask, nominate...).
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return Role.VILLAGER in _roles_in_village(user, village_id)


def villager_standing(user, village_id: int) -> str:
    """Where `user` stands with the village: "villager" (a verified villager of it),
    "visitor" (not logged in), "unverified" (registered here, not yet verified) or
    "outsider" (anyone else). Each feature words its refusal from this one answer."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "visitor"
    if is_verified_villager(user, village_id):
        return "villager"
    if user.village_id == village_id and not user.is_verified:
        return "unverified"
    return "outsider"


def villager_refusal(user, village_id: int) -> str | None:
    """Why `user` is not a verified villager of the village, in words for them; None if
    they are. A visitor is asked to log in."""
    standing = villager_standing(user, village_id)
    if standing == "villager":
        return None
    if standing == "visitor":
        return _("请先登录。本村已核实的村民登录后可以办理。")
    if standing == "unverified":
        return _("您的注册还在等村委会核实，核实以后就可以办理了。")
    return _("只有本村已核实的村民可以办理。")


def villager_required(view: Callable) -> Callable:
    """Logged in, and a verified villager of the village named by the URL; anyone else
    logged in is told why in words (not yet verified, another village), with 403."""

    @wraps(view)
    def wrapper(*args, village: str, **kwargs):
        if not current_user.is_authenticated:
            from portal.extensions import login_manager

            return login_manager.unauthorized()
        found = load_village(village)
        refusal = villager_refusal(current_user, found.id)
        if refusal is not None:
            from portal.errors import render_error

            return render_error(403, refusal)
        g.roles = roles_in_village(current_user, found)
        return view(*args, village=found, **kwargs)

    wrapper.access = VILLAGER
    return wrapper


def grids_of(user, village_id: int) -> frozenset[int]:
    """The grids whose grid worker 网格员 `user` is in the village (their active grants'
    grids). The one place a grid worker's reach is decided: a feature letting a grid
    worker act for a household asks whether the household's grid is in this set."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(
        grant.grid_id
        for grant in active_grants(user, [Role.GRID_WORKER], village_id=village_id)
        if grant.grid_id is not None
    )


def require_committee(user: User, village_id: int, error: type | None = None) -> None:
    """Refuse (403) anyone who is not a committee member of the village: the services'
    own check, beside the route's, so a service called from anywhere holds the rule.
    `error` is the feature's refusal class, so its callers catch one kind."""
    if not active_grants(user, [Role.COMMITTEE], village_id=village_id):
        from portal.actions import Refusal

        raise (error or Refusal)(_("只有本村村委会成员可以这样做。"), status=403)


def is_admin(user: User) -> bool:
    return bool(active_grants(user, [Role.ADMIN]))
