"""How the village speaks of a rule version's state and of its filing 备案 with the town.

One set of words for the villagers' pages, the committee's console and the town office.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.rules.models import FilingState, VersionState

STATE_LABELS = {
    VersionState.DRAFT: _l("草案"),
    VersionState.CONSULTATION: _l("征求意见"),
    VersionState.VOTING: _l("表决中"),
    VersionState.ADOPTED: _l("现行有效"),
    VersionState.REJECTED: _l("未通过"),
    VersionState.SUPERSEDED: _l("已废止"),
}
FILING_LABELS = {
    FilingState.PENDING: _l("已报镇街，等待备案"),
    FilingState.FILED: _l("已备案"),
    FilingState.RETURNED: _l("被镇街退回修改"),
}


def state_label(state, announced: bool = False) -> str:
    """The state of a version; a consultation whose vote is announced says so."""
    state = VersionState(state)
    if state == VersionState.CONSULTATION and announced:
        return str(_l("征求意见（表决已公告）"))
    return str(STATE_LABELS[state])


def filing_label(state) -> str:
    return str(FILING_LABELS[FilingState(state)]) if state else ""
