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
