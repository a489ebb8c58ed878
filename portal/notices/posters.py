"""A4 posters for the village notice board 公示栏: a notice or an open vote, with a QR code."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("posters", __name__)
