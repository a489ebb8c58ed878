"""Households 户 and residents 村民 of the roster: search and pagination."""

from __future__ import annotations

from flask import request, url_for

from portal import clock
from portal.auth.access import village_role
from portal.htmx import render
from portal.manage.blueprint import READERS, bp, page_arg
from portal.villages import services

PER_PAGE = 20


@bp.get("/households")
@village_role(*READERS)
def households(village):
    q = services.clean_query(request.args.get("q"))
    pagination = services.search_households(village, q, page_arg(), per_page=PER_PAGE)
    return render(
        "manage/households.html",
        blocks={"household-results": "results"},
        village=village,
        q=q,
        pagination=pagination,
        members=services.members_of([household.id for household in pagination.items]),
        invites_url=url_for("manage.invites", village=village.slug),
    )


@bp.get("/residents")
@village_role(*READERS)
def residents(village):
    q = services.clean_query(request.args.get("q"))
    account = request.args.get("account")
    if account not in ("with", "without"):
        account = None
    pagination = services.search_residents(village, q, page_arg(), account, per_page=PER_PAGE)
    return render(
        "manage/residents.html",
        blocks={"resident-results": "results"},
        village=village,
        q=q,
        account=account,
        pagination=pagination,
        this_year=clock.today_local().year,
        households_url=url_for("manage.households", village=village.slug),
        invites_url=url_for("manage.invites", village=village.slug),
    )
