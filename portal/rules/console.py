"""村规民约 in the committee console: drafting, consultation, the vote, paper ballots, filing."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rules_manage", __name__, url_prefix="/v/<village>/manage/rules")
