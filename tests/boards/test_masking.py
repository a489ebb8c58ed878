"""Names on the boards: masked (张*, 王**, 欧阳**, 明*), in full only for a red entry
whose subject's consent is recorded."""

from __future__ import annotations

import pytest

from tests.boards.conftest import black_entry, red_entry
from tests.conftest import login_as
from tests.factories import HouseholdFactory, ResidentFactory


def person(village, name, door="西街 3 号"):
    household = HouseholdFactory(village=village, door_number=door)
    return household, ResidentFactory(household=household, village=village, name=name)


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("王建国", "王**"), ("欧阳娜娜", "欧阳**"), ("明", "明*")],
)
def test_the_black_board_masks_every_name(
    client, seeded, committee, second_member, neighbour, at, name, masked
):
    household, resident = person(seeded, name)
    entry = black_entry(
        seeded, committee, second_member, at, "published", household=household, resident=resident
    )
    login_as(client, neighbour)
    for path in ("/v/hubin/boards?board=black", f"/v/hubin/boards/{entry.id}"):
        page = client.get(path).text
        assert f">{masked}<" in page, path
        if len(name) > 1 or name != masked:
            assert f">{name}<" not in page
        assert "西街 3 号" not in page


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("王建国", "王**"), ("欧阳娜娜", "欧阳**"), ("明", "明*")],
)
def test_a_red_entry_without_consent_is_masked(client, seeded, committee, at, name, masked):
    household, resident = person(seeded, name)
    entry = red_entry(seeded, committee, at, "published", household=household, resident=resident)
    for path in ("/v/hubin/boards", f"/v/hubin/boards/{entry.id}", "/v/hubin/"):
        page = client.get(path).text
        assert f">{masked}<" in page, path
        assert f">{name}<" not in page, path
        assert "西街 3 号" not in page


def test_a_consented_red_entry_shows_the_full_name(client, seeded, committee, at):
    household, resident = person(seeded, "欧阳娜娜")
    entry = red_entry(
        seeded, committee, at, "published", household=household, resident=resident, consented=True
    )
    for path in ("/v/hubin/boards", f"/v/hubin/boards/{entry.id}", "/v/hubin/"):
        page = client.get(path).text
        assert ">欧阳娜娜<" in page, path
        assert "欧阳**" not in page
        assert "西街 3 号" not in page


def test_an_entry_about_a_household_names_it_masked_never_by_door(client, seeded, committee, at):
    household, _resident = person(seeded, "王建国", door="南街 8 号")
    red_entry(seeded, committee, at, "published", household=household)
    page = client.get("/v/hubin/boards").text
    assert ">王**家<" in page
    assert "王建国" not in page and "南街 8 号" not in page
