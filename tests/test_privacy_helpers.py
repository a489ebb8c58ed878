"""portal/privacy.py: masking a name, who may see it whole, and pages kept out of caches
and search engines (DESIGN.md 2.3, SECURITY.md rows 12 and 14)."""

from __future__ import annotations

import pytest
from flask import g
from flask_login import AnonymousUserMixin, login_user

from portal.auth.access import public
from portal.auth.models import RegistrationStatus, Role
from portal.extensions import db
from portal.notices import questions
from portal.privacy import mask_name, may_see_full_name, private, private_page, shown_name
from tests.conftest import login_as
from tests.factories import (
    ResidentFactory,
    RoleGrantFactory,
    UserFactory,
    VillageFactory,
    official,
    villager,
)
from tests.notices.conftest import make_notice

# --- mask_name ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("王建国", "王**"),
        ("李", "李*"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("诸葛亮", "诸葛*"),
        ("万俟卨", "万俟*"),
        ("欧阳", "欧阳*"),
        ("欧文", "欧*"),
        ("阿依古丽·买买提", "阿*******"),
        ("  陈小红 ", "陈**"),
        ("Li Lei", "Li ***"),
        ("Mary  Ann Smith", "Mary ********"),
        ("Madonna", "M******"),
    ],
)
def test_mask_name_keeps_the_surname_and_stars_the_rest(app, name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("name", [None, "", "   "])
def test_no_name_masks_to_a_word_never_an_empty_gap(app, name):
    assert mask_name(name) == "某某"
    assert mask_name(name, consented=True) == "某某"


def test_a_consented_name_is_shown_whole(app):
    assert mask_name("欧阳娜娜", consented=True) == "欧阳娜娜"
    assert mask_name(" 张三 ", consented=True) == "张三"
    assert mask_name("Li  Lei", consented=True) == "Li Lei"


def test_no_masked_name_shows_a_character_of_the_given_name(app):
    for name in ("陈建国", "欧阳修", "夏侯惇", "东方朔", "王", "Zhang San Feng"):
        masked = mask_name(name)
        kept = masked.rstrip("*").rstrip()
        assert name.startswith(kept) and set(masked[len(kept) :].strip()) == {"*"}
        assert masked != name


# --- who may see a name whole --------------------------------------------------------


@pytest.fixture
def village(app):
    return VillageFactory(slug="hubin")


@pytest.fixture
def people(village):
    """A household of three (two with accounts, one without), and a neighbour."""
    me = villager(village, name="陈建国")
    household = me.resident.household
    spouse = ResidentFactory(household=household, name="王秀英")
    spouse_account = UserFactory(
        name=spouse.name, resident=spouse, village=village, status=RegistrationStatus.VERIFIED
    )
    RoleGrantFactory(user=spouse_account, role=Role.VILLAGER, village=village)
    child = ResidentFactory(household=household, name="陈小红")
    neighbour = villager(village, name="李桂兰")
    return {
        "me": me,
        "spouse": spouse,
        "spouse_account": spouse_account,
        "child": child,
        "neighbour": neighbour,
    }


def test_a_villager_sees_themselves_and_their_household_whole(app, village, people):
    me = people["me"]
    for person in (me, me.resident, people["spouse"], people["spouse_account"], people["child"]):
        assert may_see_full_name(me, person, village), person
    assert not may_see_full_name(me, people["neighbour"], village)
    assert not may_see_full_name(me, people["neighbour"].resident, village)
    assert not may_see_full_name(people["neighbour"], people["child"], village)


@pytest.mark.parametrize("role", [Role.COMMITTEE, Role.SUPERVISOR])
def test_the_committee_and_supervisors_of_the_village_see_everyone_whole(
    app, village, people, role
):
    member = official(role, village=village)
    assert may_see_full_name(member, people["neighbour"], village)
    assert may_see_full_name(member, people["child"], village)
    other_village = VillageFactory()
    assert not may_see_full_name(member, people["neighbour"], other_village)


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.TOWN_OFFICIAL, Role.ADMIN])
def test_other_roles_see_other_households_masked(app, village, people, role):
    holder = official(role, village=village if role == Role.GRID_WORKER else None)
    assert not may_see_full_name(holder, people["neighbour"], village)


def test_visitors_and_unverified_accounts_see_only_masks(app, village, people):
    assert not may_see_full_name(None, people["child"], village)
    assert not may_see_full_name(AnonymousUserMixin(), people["child"], village)
    # Linked to the household's roster entry, but not verified: not a villager yet.
    pending = UserFactory(resident=ResidentFactory(household=people["me"].resident.household))
    assert not may_see_full_name(pending, people["child"], village)
    assert may_see_full_name(pending, pending, village)
    assert not may_see_full_name(people["me"], None, village)


def test_shown_name_masks_for_others_and_tells_the_household_what_others_see(app, village, people):
    child = people["child"]
    with app.test_request_context():
        g.village = village
        assert shown_name(child) == "陈**"
        assert shown_name(child, consented=True) == "陈小红"
    with app.test_request_context():
        g.village = village
        login_user(people["neighbour"])
        assert shown_name(child) == "陈**"
        assert shown_name(None) == "某某"
    with app.test_request_context():
        g.village = village
        login_user(people["me"])
        assert shown_name(child) == "陈小红（公开显示为陈**）"
        assert shown_name(child, consented=True) == "陈小红"


def test_the_notice_page_names_the_asker_to_the_household_and_the_committee(
    client, village, people
):
    committee = official(Role.COMMITTEE, village=village)
    notice = make_notice(committee, village)
    questions.ask(people["spouse_account"], notice, "村道修缮的钱从哪里来？")
    db.session.commit()
    path = f"/v/hubin/notices/{notice.id}"
    assert "村民王某问" in client.get(path).text and "王秀英" not in client.get(path).text
    for viewer in (people["me"], committee):
        login_as(client, viewer)
        assert "村民王秀英（公开显示为王某）问" in client.get(path).text
    login_as(client, people["neighbour"])
    text = client.get(path).text
    assert "村民王某问" in text and "王秀英" not in text


# --- pages kept out of caches and search engines ----------------------------------------


def test_private_sets_no_store_noindex_and_vary_cookie(app):
    with app.test_request_context():
        response = private(app.make_response("黑榜"))
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "Cookie" in response.vary


@pytest.fixture
def probe(app):
    """A public page made private, registered before the app's first request."""

    @private_page
    @public
    def private_probe():
        return "黑榜", 200, {"Vary": "HX-Request"}

    app.add_url_rule("/_private_probe", view_func=private_probe)
    return private_probe


def test_a_private_page_is_private_for_visitors_and_logged_in_people(client, probe, village):
    assert probe.access == "public"
    visitor = client.get("/_private_probe")
    assert visitor.status_code == 200 and visitor.text == "黑榜"
    assert visitor.headers["Cache-Control"] == "no-store"
    assert visitor.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert {"Cookie", "HX-Request"} <= set(visitor.headers["Vary"].replace(" ", "").split(","))
    login_as(client, villager(village))
    logged_in = client.get("/_private_probe")
    assert logged_in.headers["Cache-Control"] == "no-store"
    assert logged_in.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_ordinary_pages_are_not_marked_noindex(client, village):
    page = client.get("/v/hubin/")
    assert page.status_code == 200 and "X-Robots-Tag" not in page.headers
    assert "no-store" not in page.headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    ("name", "signed"),
    [("陈建国", "陈某"), ("欧阳娜娜", "欧阳某"), ("李", "李某"), ("Li Lei", "Li"), ("", "某某")],
)
def test_surname_form_signs_by_surname_without_stars(app, name, signed):
    from portal.privacy import surname_form

    with app.test_request_context():
        assert surname_form(name) == signed
        assert "*" not in surname_form(name)
    assert surname_form("陈建国", consented=True) == "陈建国"
