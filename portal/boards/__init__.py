"""红黑榜: the village's red and black boards, with their safeguards (DESIGN.md 2.3).

The rules are in `portal.boards.services`; an entry's 公示 is a `portal.publicity`
period (subject type "board_entry"); its settings are declared there too, and
`flask tick` freezes expired entries (`expire_due`).
"""

from flask_babel import lazy_gettext as _l

from portal.publicity.services import register_subject

register_subject(
    "board_entry",
    _l("红黑榜条目"),
    lambda village, entry_id: f"/v/{village.slug}/boards/{entry_id}",
)

from portal import registry  # noqa: E402

registry.home_section(
    "boards",
    order=30,
    template="boards/_home_section.html",
    context="portal.boards.home:home_context",
)

registry.console_section(
    "boards",
    order=30,
    template="boards/_console_section.html",
    context="portal.boards.home:console_context",
)
