"""/v/<village>/search: active search over the village's notices and rules.

A real GET form: without JavaScript it submits and the page comes back with results;
with htmx the input asks for the results block alone as one types (the same template,
the same context) and pushes the URL, so the address can be shared and the back button
works. Also `flask search reindex [--village slug]`.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Blueprint, request, url_for
from werkzeug.routing import BuildError

from portal.auth.access import village_page
from portal.extensions import db
from portal.htmx import render
from portal.paging import clamp_page
from portal.search import services
from portal.search.models import SearchSource
from portal.search.tokens import MAX_QUERY
from portal.villages.models import Village

bp = Blueprint("search", __name__)


def result_url(village: Village, result: services.Result, number: int | None = None) -> str:
    """A result's page; for a rule article, its place in version `number` (by default the
    version it was found in)."""
    if result.kind == SearchSource.NOTICE:
        return url_for("notices.show", village=village.slug, notice_id=result.source_id)
    number = number if number is not None else result.number
    anchor = f"article-{result.position}"
    try:
        return url_for(
            "rules.version",
            village=village.slug,
            document_id=result.document_id,
            number=number,
            _anchor=anchor,
        )
    except BuildError:  # the rules pages' address, as DESIGN.md 4 fixes it
        return f"/v/{village.slug}/rules/{result.document_id}/versions/{number}#{anchor}"


@bp.get("/v/<village>/search")
@village_page
def index(village):
    """Notices and rule articles matching ?q=, 20 a page (?page=)."""
    q = request.args.get("q", "")[:MAX_QUERY]
    page = clamp_page(request.args.get("page", 1, type=int))
    found = services.search(village, q, page)
    return render(
        "search/index.html",
        blocks={"search-results": "results"},
        village=village,
        q=found.q,
        found=found,
        result_url=result_url,
    )


@bp.cli.command("reindex")
@click.option("--village", "slug", help="Only this village (its slug).")
def reindex_command(slug: str | None) -> None:
    """Rebuild the search index of one village or of all, one transaction per village."""
    query = sa.select(Village).order_by(Village.id)
    if slug:
        query = query.where(Village.slug == slug)
    villages = db.session.scalars(query).all()
    if slug and not villages:
        raise click.ClickException(f"No village with the slug {slug!r}.")
    total = 0
    for village in villages:
        total += services.reindex_village(village)
        db.session.commit()
    click.echo(f"Search index rebuilt: {len(villages)} villages, {total} entries.")
