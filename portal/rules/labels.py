"""How the village speaks of a rule version's state, of its filing 备案 with the town, and
of an article's number.

One set of words for the villagers' pages, the committee's console, the town office and
search: an article is 第三条 everywhere (Article 3 in English).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.i18n import is_english
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


CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """3 → 三, 12 → 十二, 105 → 一百零五: article numbers as Chinese rules write them."""
    if n <= 0 or n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text = CN_DIGITS[hundreds] + "百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else CN_DIGITS[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    if ones:
        text += CN_DIGITS[ones]
    return text


def article_label(number: int) -> str:
    """第三条 in Chinese, Article 3 in English: the one way an article is numbered."""
    return _("第%(n)s条", n=number if is_english() else cn_number(number))
