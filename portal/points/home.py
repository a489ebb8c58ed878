"""What points show on the village home and on the console home."""

from __future__ import annotations

from portal.villages.models import Village


def home_context(village: Village) -> dict:
    return {}


def console_context(village: Village) -> dict:
    return {}
