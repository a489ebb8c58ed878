"""好人推荐: good-neighbour nominations, endorsements, review, 公示 and the honour roll
(DESIGN.md 2.4). The rules are in `portal.nominations.services`; a nomination's 公示 is
a `portal.publicity` period (subject type "nomination")."""

from flask_babel import lazy_gettext as _l

from portal.publicity.services import register_subject

register_subject(
    "nomination",
    _l("好人推荐"),
    lambda village, nomination_id: f"/v/{village.slug}/nominations/{nomination_id}",
)

from portal import registry  # noqa: E402

registry.home_section(
    "nominations",
    order=35,
    template="nominations/_home_section.html",
    context="portal.nominations.home:home_context",
)

registry.console_section(
    "nominations",
    order=35,
    template="nominations/_console_section.html",
    context="portal.nominations.home:console_context",
)
