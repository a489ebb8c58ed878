"""积分: the points catalogue, recording and four-eyes approval, 公示, the append-only
ledger, balances, the points shop and the year end (DESIGN.md 2.5). The rules are in
`portal.points.services` and `portal.points.shop`; an approved entry's 公示 is a
`portal.publicity` period (subject type "points_entry")."""

from flask_babel import lazy_gettext as _l

from portal.publicity.services import register_subject

register_subject(
    "points_entry",
    _l("积分"),
    lambda village, entry_id: f"/v/{village.slug}/points/entries/{entry_id}",
)

from portal import registry  # noqa: E402

registry.home_section(
    "points",
    order=45,
    template="points/_home_section.html",
    context="portal.points.home:home_context",
)

registry.console_section(
    "points",
    order=45,
    template="points/_console_section.html",
    context="portal.points.console:console_context",
)
