"""(filled in by its feature work)"""

from flask import Blueprint

bp = Blueprint("points", __name__)
