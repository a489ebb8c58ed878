"""What 村务公开 shows on the village home and on the committee console's home."""

from __future__ import annotations

from portal.notices import questions, schedule
from portal.notices.services import home_notices
from portal.villages.models import Village


def home_context(village: Village) -> dict:
    """Pinned notices first, then the newest (portal/notices/services.py home_notices)."""
    return {"home_notices": home_notices(village)}


def console_context(village: Village) -> dict:
    """What the committee owes the village: overdue disclosures 公开 and unanswered
    questions 质询. Each tile shows only when its figure is not zero."""
    return {
        "overdue_disclosures": schedule.overdue_count(village),
        "unanswered_questions": questions.unanswered_count(village),
    }
