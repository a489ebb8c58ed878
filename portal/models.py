"""Every table, imported in one place so Alembic and `create_app` see them all."""

from portal.audit.models import ActionLog
from portal.auth.models import InviteCode, RoleGrant, User
from portal.boards.models import BoardAppeal, BoardCategory, BoardEntry
from portal.nominations.models import Endorsement, Nomination, NominationCategory
from portal.notices.models import (
    DisclosureItem,
    Notice,
    NoticeAttachment,
    NoticeQuestion,
    NoticeRead,
)
from portal.points.models import (
    LedgerEntry,
    PointItem,
    PointsAccount,
    PointsBook,
    PointsEntry,
    Reward,
    YearEnd,
)
from portal.publicity.models import Objection, Publicity
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
from portal.search.models import SearchEntry
from portal.settings.models import VillageSetting
from portal.villages.models import Grid, Household, Resident, RosterImport, Town, Village

__all__ = [
    "ActionLog",
    "ArticleComment",
    "Ballot",
    "BoardAppeal",
    "BoardCategory",
    "BoardEntry",
    "Grid",
    "Household",
    "LedgerEntry",
    "PointItem",
    "PointsAccount",
    "PointsBook",
    "PointsEntry",
    "Reward",
    "YearEnd",
    "InviteCode",
    "DisclosureItem",
    "Endorsement",
    "Nomination",
    "NominationCategory",
    "Notice",
    "NoticeAttachment",
    "NoticeQuestion",
    "NoticeRead",
    "Objection",
    "Publicity",
    "Resident",
    "RoleGrant",
    "RosterImport",
    "RuleArticle",
    "RuleDocument",
    "RuleFiling",
    "RuleVersion",
    "SearchEntry",
    "Town",
    "User",
    "Village",
    "VillageSetting",
    "VoteEligibility",
    "VoteResult",
]
