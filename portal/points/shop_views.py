"""(filled in by its feature work)"""

from flask import Blueprint

bp = Blueprint("shop", __name__)
