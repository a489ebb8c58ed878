"""/v/<village>/search: active search over the village's notices and rules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("search", __name__)
