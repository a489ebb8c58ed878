"""村规民约 public pages: the rules list, a document, a version, diffs, the vote and its result."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rules", __name__)
