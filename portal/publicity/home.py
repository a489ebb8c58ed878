"""What 公示 shows on the committee console's home."""

from __future__ import annotations

from portal.publicity import services
from portal.villages.models import Village


def console_context(village: Village) -> dict:
    """The unanswered objections, once the village has had a 公示 at all: a feature no
    one has used yet is not advertised by an empty tile."""
    used, unanswered = services.console_figures(village)
    return {"unanswered_objections": unanswered if used else None}
