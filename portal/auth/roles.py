"""Granting and revoking roles, with the separation of duties DESIGN.md section 1 asks for.

The admin pages (committee members, town officials) and the committee console (grid
workers, supervisors) both grant through here; the caller owns the transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import clock
from portal.actions import Refusal
from portal.audit.services import record_action
from portal.auth.access import active_grants
from portal.auth.models import Role, RoleGrant, User
from portal.extensions import db
from portal.villages.models import Grid, Town, Village

# The village's own offices: held only by accounts verified as residents (a registration
# anyone could make with any name never sits on a committee).
VILLAGE_ROLES = (Role.COMMITTEE, Role.SUPERVISOR, Role.GRID_WORKER, Role.SHOPKEEPER)

# The supervision committee 村务监督委员会 checks the committee's work: nobody sits on both.
EXCLUSIVE = {Role.COMMITTEE: Role.SUPERVISOR, Role.SUPERVISOR: Role.COMMITTEE}


class RoleError(Refusal):
    """A grant or revocation the rules refuse; the message is for the user."""

    status = 422


class SeparationOfDutiesError(RoleError):
    pass


def check_separation_of_duties(user: User, village: Village, role: Role) -> None:
    """Refuse making one person both committee member and supervisor of one village.

    Call inside the transaction that writes the grant: it locks the person's row
    first, so two appointments of the same person (one by the admin, one in the
    console) cannot both pass the check.
    """
    conflicting = EXCLUSIVE.get(role)
    if conflicting is None:
        return
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update(key_share=True))
    if not active_grants(user, [conflicting], village_id=village.id):
        return
    if role == Role.SUPERVISOR:
        message = _("%(name)s是本村村委会成员，不能同时担任村务监督委员会成员。", name=user.name)
    else:
        message = _("%(name)s是本村村务监督委员会成员，不能同时担任村委会成员。", name=user.name)
    raise SeparationOfDutiesError(message)


def _already_holds_message(user: User, role: Role, grid: Grid | None) -> str:
    if role == Role.SUPERVISOR:
        return _("%(name)s已经是村务监督委员会成员。", name=user.name)
    if role == Role.GRID_WORKER and grid is not None:
        return _("%(name)s已经是%(grid)s的网格员。", name=user.name, grid=grid.name)
    return _("%(name)s已经担任这一职务。", name=user.name)


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
    """Add a grant and its log row (the caller commits); refuse a duplicate, a conflict, or
    a village role for an account that is not verified (nor one disabled)."""
    if village is not None:
        check_separation_of_duties(user, village, role)
        if role in VILLAGE_ROLES and (not user.is_verified or user.disabled):
            raise RoleError(
                _(
                    "%(name)s的账号还没有通过核实，不能任命。请先由村委会核实这个注册。",
                    name=user.name,
                )
            )
    duplicate = sa.select(RoleGrant.id).where(
        RoleGrant.user_id == user.id,
        RoleGrant.role == role,
        RoleGrant.revoked_at.is_(None),
        RoleGrant.village_id.is_(None) if village is None else RoleGrant.village_id == village.id,
        RoleGrant.town_id.is_(None) if town is None else RoleGrant.town_id == town.id,
        RoleGrant.grid_id.is_(None) if grid is None else RoleGrant.grid_id == grid.id,
    )
    if db.session.scalar(duplicate.limit(1)) is not None:
        raise RoleError(_already_holds_message(user, role, grid))
    grant = RoleGrant(
        user=user, role=role, village=village, grid=grid, town=town, granted_by_id=actor.id
    )
    db.session.add(grant)
    record_action(
        actor,
        actor_role,
        "role.appoint",
        grant,
        village=village,
        town=town,
        after={"user_id": user.id, "role": role.value, "grid_id": getattr(grid, "id", None)},
    )
    return grant


def revoke_role(actor: User, actor_role: Role, grant: RoleGrant) -> None:
    """End a grant; the row stays, with its end date, and the log says who ended it."""
    if grant.revoked_at is not None:
        raise RoleError(_("这项任命已经撤销了。"))
    grant.revoked_at = clock.now()
    record_action(
        actor,
        actor_role,
        "role.revoke",
        grant,
        village=grant.village,
        town=grant.town,
        before={"user_id": grant.user_id, "role": grant.role.value, "grid_id": grant.grid_id},
        after={"revoked_at": grant.revoked_at.isoformat()},
    )
