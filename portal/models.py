"""Every table, imported in one place so Alembic and `create_app` see them all."""

from portal.audit.models import ActionLog
from portal.auth.models import InviteCode, RoleGrant, User
from portal.notices.models import Notice, NoticeRead
from portal.rules.models import (
    ArticleComment,
    Ballot,
    RuleArticle,
    RuleDocument,
    RuleFiling,
    RuleVersion,
    VoteEligibility,
    VoteResult,
)
from portal.villages.models import Grid, Household, Resident, RosterImport, Town, Village

__all__ = [
    "ActionLog",
    "ArticleComment",
    "Ballot",
    "Grid",
    "Household",
    "InviteCode",
    "Notice",
    "NoticeRead",
    "Resident",
    "RoleGrant",
    "RosterImport",
    "RuleArticle",
    "RuleDocument",
    "RuleFiling",
    "RuleVersion",
    "Town",
    "User",
    "Village",
    "VoteEligibility",
    "VoteResult",
]
