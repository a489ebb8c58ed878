"""The household's printable QR card /v/<village>/points/households/<id>/card: for the
household's members and the committee (who print cards for those without phones);
the QR code of the statement's full address, the head's name and the door number,
A6 print CSS linked from this page alone; anyone else refused."""

from __future__ import annotations

import io
import re

import pytest
import segno

from portal.auth.models import Role
from tests.conftest import login_as
from tests.factories import HouseholdFactory, VillageFactory, official, villager


def card_url(household, slug="hubin"):
    return f"/v/{slug}/points/households/{household.id}/card"


def qr_path(url: str) -> str:
    """The modules of the QR code of `url`, as the card draws them."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", xmldecl=False, svgns=True, nl=False, omitsize=True, border=4
    )
    return re.search(r' d="([^"]+)"', out.getvalue().decode()).group(1)


@pytest.mark.parametrize("who", ["member", "committee"])
def test_the_household_and_the_committee_print_the_card(
    client, village, households, resident_user, committee, who
):
    household = households[0]
    login_as(client, resident_user if who == "member" else committee)
    page = client.get(card_url(household))
    assert page.status_code == 200
    text = page.text
    assert "湖滨村" in text and "陈建国" in text and "东街 1 号" in text
    statement = f"http://localhost/v/hubin/points/households/{household.id}"
    assert statement in text
    svg = re.search(r"<svg[^>]*points-card-qr.*?</svg>", text, re.S).group(0)
    assert 'role="img"' in svg and "aria-label=" in svg and "style=" not in svg
    assert qr_path(statement) in svg
    assert "打印" in text and "<script>" not in text and " on" not in svg
    css = re.search(r'href="(/static/(?:build/)?css/points\.[^"]*)"', text).group(1)
    sheet = client.get(css)
    assert sheet.status_code == 200 and b"size: A6" in sheet.data
    assert page.headers["Cache-Control"] == "no-store"


def test_the_card_style_is_linked_from_the_card_alone(client, village, households):
    for path in ("/v/hubin/points", f"/v/hubin/points/households/{households[0].id}"):
        assert "css/points." not in client.get(path).text


@pytest.mark.parametrize("who", ["stranger", "grid worker", "supervisor", "shopkeeper"])
def test_anyone_else_logged_in_is_refused(
    client, village, households, grid_worker, supervisor, shopkeeper, who
):
    user = {
        "stranger": villager(village, name="李四"),
        "grid worker": grid_worker,
        "supervisor": supervisor,
        "shopkeeper": shopkeeper,
    }[who]
    login_as(client, user)
    page = client.get(card_url(households[0]))
    assert page.status_code == 403
    assert "东街 1 号" not in page.text


def test_a_visitor_is_asked_to_log_in(client, village, households):
    page = client.get(card_url(households[0]))
    assert page.status_code in (302, 303) and "/login" in page.headers["Location"]


def test_another_villages_household_or_committee(client, village, households, committee):
    login_as(client, committee)
    elsewhere = HouseholdFactory(village=VillageFactory(slug="beishan"))
    assert client.get(card_url(elsewhere)).status_code == 404
    assert client.get(card_url(households[0], "beishan")).status_code == 404
    outsider = official(Role.COMMITTEE, VillageFactory(slug="shanqian"))
    login_as(client, outsider)
    assert client.get(card_url(households[0])).status_code == 403
    assert client.get("/v/hubin/points/households/999999/card").status_code == 404


def test_the_card_costs_the_same_whatever_the_household_holds(
    client, village, households, resident_user, committee, second_member
):
    from tests.points.conftest import approve, record
    from tests.statements import statements

    household = households[0]
    address = card_url(household)
    login_as(client, resident_user)

    def cost() -> int:
        client.get(address)
        with statements() as seen:
            assert client.get(address).status_code == 200
        return len(seen)

    few = cost()
    for _i in range(3):
        approve(second_member, village, record(committee, village, household, "G04"))
        villager(village, household=household)
    assert cost() == few == CARD_STATEMENTS
    print(f"points card: {few} statements")


# The village; the user and their roles; their own household; the household; the head.
CARD_STATEMENTS = 6
