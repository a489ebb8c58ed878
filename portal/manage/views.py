"""The committee console 村务管理 under /v/<village>/manage/."""

from __future__ import annotations

from flask import Blueprint

from portal.auth.access import village_role
from portal.auth.models import Role

bp = Blueprint("manage", __name__, url_prefix="/v/<village>/manage")


@bp.get("/")
@village_role(Role.COMMITTEE, Role.SUPERVISOR)
def index(village):
    return "console"
