"""What 村规民约 shows on the village home."""

from __future__ import annotations

from flask_login import current_user

from portal.auth.access import is_verified_villager
from portal.rules import services
from portal.rules.listing import home_votes
from portal.villages.models import Village


def home_context(village: Village) -> dict:
    """Votes announced and open, with their turnout so far: one statement."""
    return {"home_votes": home_votes(village)}


def ballot_context(village: Village) -> dict:
    """The open votes the reader can still cast online: on the roll, no ballot yet.

    Only a verified villager of the village is asked; a visitor's home costs nothing.
    """
    if not is_verified_villager(current_user, village.id):
        return {"ballots_waiting": []}
    resident_id = current_user.resident_id
    waiting = [
        item.version
        for item in home_votes(village)
        if item.status == "open"
        and services.on_roll(item.version, resident_id)
        and services.ballot_of(item.version, resident_id) is None
    ]
    return {"ballots_waiting": waiting}
