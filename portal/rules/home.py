"""What 村规民约 shows on the village home."""

from __future__ import annotations

from portal.rules.listing import home_votes
from portal.villages.models import Village


def home_context(village: Village) -> dict:
    """Votes announced and open, with their turnout so far: one statement."""
    return {"home_votes": home_votes(village)}
