"""Public pages: the village finder, a village's home, health, language."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, request
from flask_login import current_user

from portal import registry, typesetting
from portal.auth.access import public, village_page
from portal.auth.redirects import safe_next
from portal.extensions import db
from portal.htmx import render
from portal.i18n import LANG_COOKIE
from portal.paging import clamp_page
from portal.villages.models import Town, Village
from portal.villages.services import find_villages, list_towns, villages_of_town

bp = Blueprint("public", __name__)
# A message's dates, times and counts with their units each kept on one line.
bp.add_app_template_filter(typesetting.keep_together, "together")


@bp.get("/healthz")
@public
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/")
@public
def index():
    """Find your village by name; active search with htmx, a plain GET form without it."""
    q = request.args.get("q", "").strip()
    page = clamp_page(request.args.get("page", 1, type=int))
    town = None
    villages: list[Village] = []
    towns, town_total = [], 0
    if q:
        villages = find_villages(q)
    elif request.args.get("town"):
        town = db.first_or_404(sa.select(Town).where(Town.slug == request.args["town"]))
        villages = villages_of_town(town)
    else:
        towns, town_total = list_towns(page)
        if town_total == 1:
            # One town on this site: its villages are the useful start, whatever the page.
            town = (towns or list_towns(1)[0])[0][0]
            villages = villages_of_town(town)
    own_village = None
    if current_user.is_authenticated and current_user.resident:
        own_village = current_user.resident.village
    return render(
        "public/index.html",
        blocks={"village-results": "results"},
        q=q,
        town=town,
        villages=villages,
        towns=towns,
        page=max(page, 1),
        has_next=max(page, 1) * 50 < town_total,
        own_village=own_village,
    )


@bp.get("/v/<village>/")
@village_page
def village_home(village: Village):
    """The village home: a section for each feature, as the features declare them
    (portal/registry.py), each with the context its own function gives."""
    sections = registry.home_sections()
    return render(
        "public/village.html",
        village=village,
        village_sections=sections,
        **registry.gather(sections, village),
    )


@bp.get("/lang/<code>")
@public
def set_language(code: str):
    """Switch the language; a cookie, not a database write."""
    response = redirect(safe_next(request.args.get("next")), 303)
    value = "en" if code == "en" else "zh"
    response.set_cookie(
        LANG_COOKIE,
        value,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response
