"""The console's blueprint and the helpers its views share."""

from __future__ import annotations

from flask import Blueprint, g, request

from portal.auth.models import Role

bp = Blueprint("manage", __name__, url_prefix="/v/<village>/manage")

# Who may read the console, and who may change things in it. Supervisors read
# everything the committee does but change nothing (DESIGN.md 1).
READERS = (Role.COMMITTEE, Role.SUPERVISOR)
EDITORS = (Role.COMMITTEE,)


def can_edit() -> bool:
    return Role.COMMITTEE in g.get("roles", set())


def page_arg() -> int:
    return request.args.get("page", 1, type=int)


@bp.context_processor
def console_globals() -> dict:
    return {"can_edit": can_edit()}
