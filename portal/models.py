"""Every table, imported in one place so Alembic and `create_app` see them all."""

from portal.audit.models import ActionLog
from portal.auth.models import InviteCode, RoleGrant, User
from portal.villages.models import Grid, Household, Resident, RosterImport, Town, Village

__all__ = [
    "ActionLog",
    "Grid",
    "Household",
    "InviteCode",
    "Resident",
    "RoleGrant",
    "RosterImport",
    "Town",
    "User",
    "Village",
]
