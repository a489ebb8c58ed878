"""The one villager predicate and the villager access rule built on it."""

from __future__ import annotations

import pytest

from portal.auth.access import (
    is_verified_villager,
    villager_refusal,
    villager_required,
    villager_standing,
)
from portal.auth.models import RegistrationStatus, Role
from portal.extensions import db
from tests.conftest import login_as
from tests.factories import UserFactory, VillageFactory, official, villager


@pytest.fixture
def village(app):
    return VillageFactory(slug="hubin")


@pytest.fixture
def guarded(app):
    @villager_required
    def only_villagers(village):
        return f"你好，{village.name}的村民"

    app.add_url_rule("/v/<village>/only-villagers", "only_villagers", only_villagers)
    return "/v/hubin/only-villagers"


def test_standing_of_each_kind_of_person(village):
    member = villager(village)
    pending = UserFactory(village=village, status=RegistrationStatus.PENDING)
    outsider = villager(VillageFactory())
    committee = official(Role.COMMITTEE, village=village)
    assert villager_standing(member, village.id) == "villager"
    assert villager_standing(None, village.id) == "visitor"
    assert villager_standing(pending, village.id) == "unverified"
    assert villager_standing(outsider, village.id) == "outsider"
    assert villager_standing(committee, village.id) == "outsider"
    assert is_verified_villager(member, village.id)
    assert villager_refusal(member, village.id) is None


def test_a_disabled_or_revoked_villager_is_no_longer_one(village):
    disabled = villager(village)
    disabled.disabled = True
    revoked = villager(village)
    revoked.grants[0].revoked_at = revoked.created_at
    db.session.commit()
    assert not is_verified_villager(disabled, village.id)
    assert not is_verified_villager(revoked, village.id)


def test_the_rule_admits_a_villager(client, village, guarded):
    login_as(client, villager(village))
    response = client.get(guarded)
    assert response.status_code == 200 and "的村民" in response.text


def test_the_rule_sends_a_visitor_to_log_in(client, village, guarded):
    response = client.get(guarded)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("who", "words"),
    [
        ("pending", "还在等村委会核实"),
        ("outsider", "只有本村已核实的村民"),
        ("committee", "只有本村"),
    ],
)
def test_the_rule_refuses_others_in_words(client, village, guarded, who, words):
    user = {
        "pending": lambda: UserFactory(village=village, status=RegistrationStatus.PENDING),
        "outsider": lambda: villager(VillageFactory()),
        "committee": lambda: official(Role.COMMITTEE, village=village),
    }[who]()
    login_as(client, user)
    for headers in (None, {"HX-Request": "true", "HX-Target": "x"}):
        response = client.get(guarded, headers=headers)
        assert response.status_code == 403 and words in response.text
