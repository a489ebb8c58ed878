"""Granting and revoking roles, with the separation of duties DESIGN.md section 1 asks for."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import clock
from portal.audit.services import record_action
from portal.auth.models import Role, RoleGrant, User
from portal.extensions import db
from portal.villages.models import Grid, Town, Village

# A committee member can never supervise the same village's committee (村务监督委员会).
EXCLUSIVE = {Role.COMMITTEE: Role.SUPERVISOR, Role.SUPERVISOR: Role.COMMITTEE}


class RoleError(ValueError):
    """A grant or revocation the rules refuse; the message is for the user."""


def holds(user: User, role: Role, village: Village | None = None, town: Town | None = None) -> bool:
    query = sa.select(RoleGrant.id).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role, RoleGrant.revoked_at.is_(None)
    )
    if village is not None:
        query = query.where(RoleGrant.village_id == village.id)
    if town is not None:
        query = query.where(RoleGrant.town_id == town.id)
    return db.session.scalar(query.limit(1)) is not None


def check_separation_of_duties(user: User, village: Village, role: Role) -> None:
    """Refuse a committee member as supervisor of the same village, and the reverse."""
    other = EXCLUSIVE.get(role)
    if other is not None and holds(user, other, village=village):
        if role == Role.SUPERVISOR:
            raise RoleError(
                _("%(name)s是本村村委会成员，不能同时担任村务监督委员会成员。", name=user.name)
            )
        raise RoleError(
            _("%(name)s是本村村务监督委员会成员，不能同时担任村委会成员。", name=user.name)
        )


def grant_role(
    actor: User,
    actor_role: Role,
    user: User,
    role: Role,
    *,
    village: Village | None = None,
    grid: Grid | None = None,
    town: Town | None = None,
) -> RoleGrant:
    """Add a grant (the caller commits). Refuses a duplicate and a conflict of duties."""
    if village is not None:
        check_separation_of_duties(user, village, role)
    duplicate = sa.select(RoleGrant.id).where(
        RoleGrant.user_id == user.id,
        RoleGrant.role == role,
        RoleGrant.revoked_at.is_(None),
        RoleGrant.village_id.is_(None) if village is None else RoleGrant.village_id == village.id,
        RoleGrant.town_id.is_(None) if town is None else RoleGrant.town_id == town.id,
        RoleGrant.grid_id.is_(None) if grid is None else RoleGrant.grid_id == grid.id,
    )
    if db.session.scalar(duplicate.limit(1)) is not None:
        raise RoleError(_("%(name)s已经担任这一职务。", name=user.name))
    grant = RoleGrant(
        user=user, role=role, village=village, grid=grid, town=town, granted_by_id=actor.id
    )
    db.session.add(grant)
    record_action(
        actor,
        actor_role,
        "grant_role",
        grant,
        village=village,
        town=town,
        after={"user_id": user.id, "role": role.value, "grid_id": getattr(grid, "id", None)},
    )
    return grant


def revoke_role(actor: User, actor_role: Role, grant: RoleGrant) -> None:
    if grant.revoked_at is not None:
        raise RoleError(_("这一职务已经撤销。"))
    grant.revoked_at = clock.now()
    record_action(
        actor,
        actor_role,
        "revoke_role",
        grant,
        village=grant.village,
        town=grant.town,
        before={"user_id": grant.user_id, "role": grant.role.value},
    )
