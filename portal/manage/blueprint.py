"""The console's blueprint and the helpers its views share."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, g, request

from portal.auth.models import Role

bp = Blueprint("manage", __name__, url_prefix="/v/<village>/manage")

# Who may read the console, and who may change things in it. Supervisors read
# everything the committee does but change nothing (DESIGN.md 1).
READERS = (Role.COMMITTEE, Role.SUPERVISOR)
EDITORS = (Role.COMMITTEE,)

# The characters url_for leaves unquoted in a query string (Werkzeug's, after the WHATWG
# URL standard), so a link built here is the very link url_for would build.
_QUERY_SAFE = "!$'()*,/:;?@"


def can_edit() -> bool:
    return Role.COMMITTEE in g.get("roles", set())


def page_arg() -> int:
    return request.args.get("page", 1, type=int)


def with_query(base: str, **args) -> str:
    """`base` (a URL from url_for, without a query) with `args` as its query string.

    For a link on every row of a list: build the URL once, add each row's query here
    (url_for on every row costs more than the rest of the row). None values are left out,
    as url_for leaves them out.
    """
    query = urlencode([(k, v) for k, v in args.items() if v is not None], safe=_QUERY_SAFE)
    return f"{base}?{query}" if query else base


@bp.context_processor
def console_globals() -> dict:
    return {"can_edit": can_edit(), "with_query": with_query}
