"""Row links built once per list (with_query) are the links url_for builds, and the console
home's figures, from a statement built once, follow the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import url_for

from portal import clock
from portal.manage import services
from portal.manage.blueprint import with_query
from tests.factories import HouseholdFactory, InviteCodeFactory, ResidentFactory
from tests.manage.conftest import as_user

AWKWARD = [
    "一组1号",
    "5号 (东)",
    "3/2号",
    "a&b=c",
    "<b>",
    "100%",
    "#3",
    "a+b",
    "'\"",
    "!$'()*,/:;?@",
    "号?x=1",
]


@pytest.mark.parametrize("value", AWKWARD)
def test_with_query_builds_the_link_url_for_builds(app, value):
    with app.test_request_context():
        base = url_for("manage.invites", village="hubin")
        for args in (
            {"door": value},
            {"door": value, "name": value},
            {"door": value, "name": None},
        ):
            assert with_query(base, **args) == url_for("manage.invites", village="hubin", **args)
        assert with_query(base) == base


def test_row_links_keep_awkward_door_numbers_and_names(app, client, village, committee):
    door, name = "5号 (东)", "A&B"
    ResidentFactory(household=HouseholdFactory(village=village, door_number=door), name=name)
    with app.test_request_context():
        invite = url_for("manage.invites", village="hubin", door=door)
        person = url_for("manage.invites", village="hubin", door=door, name=name)
        household = url_for("manage.households", village="hubin", q=door)
    as_user(client, committee)
    households = client.get("/v/hubin/manage/households").text
    assert f'href="{invite}"' in households
    residents = client.get("/v/hubin/manage/residents").text
    assert f'href="{household}"' in residents
    assert f'href="{person.replace("&", "&amp;")}"' in residents


def test_unused_invite_figure_follows_the_clock(app, monkeypatch, village):
    home = HouseholdFactory(village=village)
    ResidentFactory(household=home)
    InviteCodeFactory(household=home, expires_at=clock.now() + timedelta(days=1))
    assert services.console_counts(village)["unused_invites"] == 1
    later = clock.now() + timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert services.console_counts(village)["unused_invites"] == 0
    assert services.unused_invite_count(village) == 0
