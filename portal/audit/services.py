"""Writing the action log, in the same transaction as the action it records."""

from __future__ import annotations

from flask import has_request_context, request

from portal.audit.models import ActionLog
from portal.extensions import db


def record_action(
    actor,
    role: str,
    action: str,
    obj,
    *,
    village=None,
    town=None,
    before: dict | None = None,
    after: dict | None = None,
) -> ActionLog:
    """Add a log row to the session; the caller's commit writes it with the change."""
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()
    if town is None and village is not None:
        town_id = village.town_id
    else:
        town_id = getattr(town, "id", None)
    summary = {}
    if before is not None:
        summary["before"] = before
    if after is not None:
        summary["after"] = after
    row = ActionLog(
        actor_id=getattr(actor, "id", None),
        role=str(role),
        village_id=getattr(village, "id", None),
        town_id=town_id,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=getattr(obj, "id", None),
        summary=summary,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(row)
    return row
