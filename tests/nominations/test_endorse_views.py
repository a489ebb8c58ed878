"""The endorse button 联名 and the nominator's withdrawal: plain (post/redirect/get) and
htmx (the block swapped in place, an event for the other count), and every refusal:
twice, one's own, a visitor, an unverified account, another village's villager."""

from __future__ import annotations

import json
import re

import pytest

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.extensions import db
from portal.nominations import services
from portal.nominations.models import Endorsement, Nomination, NominationState
from tests.conftest import htmx_headers, login_as
from tests.factories import UserFactory, VillageFactory, count, villager
from tests.nominations.conftest import nominate


def words(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


@pytest.fixture
def nomination(village, nominator, nominee, now):
    return nominate(nominator, village, nominee)


def endorse(client, nomination, headers=None):
    return client.post(f"/v/hubin/nominations/{nomination.id}/endorse", headers=headers or {})


def endorsements(nomination) -> tuple[int, int, int]:
    """(rows, the count on the nomination, action-log rows)."""
    rows = count(Endorsement, Endorsement.nomination_id == nomination.id)
    shown = db.session.get(Nomination, nomination.id).endorsement_count
    logged = count(ActionLog, ActionLog.action == "nomination.endorse")
    return rows, shown, logged


def test_endorse_plain(client, nomination, endorsers):
    login_as(client, endorsers[0])
    page = client.get(f"/v/hubin/nominations/{nomination.id}").text
    assert "我也联名" in page and "csrf_token" in page
    answer = endorse(client, nomination)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/v/hubin/nominations/{nomination.id}")
    assert endorsements(nomination) == (1, 1, 1)
    page = client.get(answer.headers["Location"]).text
    assert "谢谢您的联名" in page and "您已联名这条推荐" in page and "我也联名" not in page
    assert "1 位村民联名" in words(page)


def test_endorse_htmx_swaps_the_block_and_fires_the_event(client, nomination, endorsers):
    login_as(client, endorsers[0])
    answer = endorse(client, nomination, htmx_headers(f"endorse-{nomination.id}"))
    assert answer.status_code == 200
    assert "<html" not in answer.text and f'id="endorse-{nomination.id}"' in answer.text
    assert "已有 1 位村民联名" in words(answer.text) and "还差 2 位" in words(answer.text)
    assert "endorsements-changed" in json.loads(answer.headers["HX-Trigger"])
    assert endorsements(nomination) == (1, 1, 1)
    count_block = client.get(
        f"/v/hubin/nominations/{nomination.id}",
        headers=htmx_headers(f"endorsement-count-{nomination.id}"),
    )
    assert "<html" not in count_block.text and "1 位村民联名" in words(count_block.text)


def test_the_count_moves_to_review(client, nomination, endorsers):
    for user in endorsers[:3]:
        login_as(client, user)
        assert endorse(client, nomination).status_code == 303
    assert endorsements(nomination) == (3, 3, 3)
    page = client.get("/v/hubin/nominations").text
    assert "3 位村民联名" in words(page) and "待村委会评议" in page


@pytest.mark.parametrize("htmx", [False, True])
def test_twice_is_refused(client, nomination, endorsers, htmx):
    login_as(client, endorsers[0])
    headers = htmx_headers(f"endorse-{nomination.id}") if htmx else None
    assert endorse(client, nomination, headers).status_code in (200, 303)
    again = endorse(client, nomination, headers)
    assert again.status_code == 409 and "每人只能联名一次" in again.text
    assert ("<html" in again.text) != htmx
    assert "HX-Trigger" not in again.headers
    assert endorsements(nomination) == (1, 1, 1)


def test_the_lost_race_on_the_constraint_answers_in_words(
    client, nomination, endorsers, monkeypatch
):
    """A second request that passed the check before the first committed meets the
    unique constraint: the same words, nothing written."""
    login_as(client, endorsers[0])
    assert endorse(client, nomination).status_code == 303
    monkeypatch.setattr(services, "endorsement_of", lambda nomination, resident_id: None)
    again = endorse(client, nomination)
    assert again.status_code == 409 and "每人只能联名一次" in again.text
    assert endorsements(nomination) == (1, 1, 1)


@pytest.mark.parametrize("htmx", [False, True])
def test_ones_own_is_refused(client, nomination, nominator, htmx):
    login_as(client, nominator)
    page = client.get(f"/v/hubin/nominations/{nomination.id}").text
    assert "这是您自己的推荐" in page and "我也联名" not in page
    headers = htmx_headers(f"endorse-{nomination.id}") if htmx else None
    answer = endorse(client, nomination, headers)
    assert answer.status_code == 409 and "这是您自己的推荐" in answer.text
    assert endorsements(nomination) == (0, 0, 0)


def test_a_visitor_is_sent_to_log_in(client, nomination):
    answer = endorse(client, nomination)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    htmx = endorse(client, nomination, htmx_headers(f"endorse-{nomination.id}"))
    assert "/login" in htmx.headers["HX-Redirect"]
    assert endorse(client, nomination).status_code == 302
    assert endorsements(nomination) == (0, 0, 0)


def test_without_the_token_nothing_happens(client, nomination, endorsers):
    login_as(client, endorsers[0])
    answer = client.post(f"/v/hubin/nominations/{nomination.id}/endorse", csrf=False)
    assert answer.status_code == 400
    assert endorsements(nomination) == (0, 0, 0)


@pytest.mark.parametrize("htmx", [False, True])
def test_unverified_and_another_villages_villager_are_refused(client, village, nomination, htmx):
    elsewhere = villager(VillageFactory(slug="shanqian"))
    waiting = UserFactory(village=village)
    headers = htmx_headers(f"endorse-{nomination.id}") if htmx else None
    for user, text in ((waiting, "等村委会核实"), (elsewhere, "本村已核实的村民")):
        login_as(client, user)
        page = client.get(f"/v/hubin/nominations/{nomination.id}").text
        assert text in page and "我也联名" not in page
        answer = endorse(client, nomination, headers)
        assert answer.status_code == 403 and text in answer.text
    assert endorsements(nomination) == (0, 0, 0)


def test_a_foreign_village_address_is_404(client, nomination, endorsers):
    VillageFactory(slug="shanqian")
    login_as(client, endorsers[0])
    assert client.post(f"/v/shanqian/nominations/{nomination.id}/endorse").status_code == 404
    assert endorsements(nomination) == (0, 0, 0)


def test_not_while_in_notice(client, nomination, endorsers, committee):
    for user in endorsers[:3]:
        with unit_of_work():
            services.endorse(user, nomination)
    with unit_of_work():
        services.accept(committee, nomination)
    login_as(client, endorsers[3])
    answer = endorse(client, nomination)
    assert answer.status_code == 409 and "不再征集联名" in answer.text
    assert endorsements(nomination) == (3, 3, 3)


# --- withdrawing ----------------------------------------------------------------------


def withdraw(client, nomination, **data):
    return client.post(f"/v/hubin/nominations/{nomination.id}/withdraw", data=data)


def test_the_nominator_withdraws_with_confirmation(client, nomination, nominator):
    login_as(client, nominator)
    unconfirmed = withdraw(client, nomination)
    assert unconfirmed.status_code == 422 and "请勾选确认后再撤回" in unconfirmed.text
    assert db.session.get(Nomination, nomination.id).state == NominationState.SUBMITTED
    answer = withdraw(client, nomination, confirm="y")
    assert answer.status_code == 303
    assert db.session.get(Nomination, nomination.id).state == NominationState.WITHDRAWN
    assert count(ActionLog, ActionLog.action == "nomination.withdraw") == 1
    page = client.get(answer.headers["Location"]).text
    assert "推荐已撤回" in page and "已撤回" in page


def test_others_may_not_withdraw(client, nomination, endorsers, committee):
    for user in (endorsers[0], committee):
        login_as(client, user)
        assert "撤回这条推荐" not in client.get(f"/v/hubin/nominations/{nomination.id}").text
        answer = withdraw(client, nomination, confirm="y")
        assert answer.status_code == 403 and "只有推荐人本人可以撤回" in answer.text
    assert db.session.get(Nomination, nomination.id).state == NominationState.SUBMITTED
    assert count(ActionLog, ActionLog.action == "nomination.withdraw") == 0


def test_not_once_in_notice(client, nomination, nominator, endorsers, committee):
    for user in endorsers[:3]:
        with unit_of_work():
            services.endorse(user, nomination)
    with unit_of_work():
        services.accept(committee, nomination)
    login_as(client, nominator)
    assert "撤回这条推荐" not in client.get(f"/v/hubin/nominations/{nomination.id}").text
    answer = withdraw(client, nomination, confirm="y")
    assert answer.status_code == 409 and "不能再撤回" in answer.text
    assert db.session.get(Nomination, nomination.id).state == NominationState.NOTICE


def test_withdraw_htmx_redirects_and_refusals_answer_the_page(client, nomination, nominator):
    login_as(client, nominator)
    refused = client.post(f"/v/hubin/nominations/{nomination.id}/withdraw", headers=htmx_headers())
    assert refused.status_code == 422 and "请勾选确认后再撤回" in refused.text
    answer = client.post(
        f"/v/hubin/nominations/{nomination.id}/withdraw",
        data={"confirm": "y"},
        headers=htmx_headers(),
    )
    assert answer.status_code == 200
    assert answer.headers["HX-Redirect"].endswith(f"/v/hubin/nominations/{nomination.id}")
    assert db.session.get(Nomination, nomination.id).state == NominationState.WITHDRAWN


def test_the_page_costs_the_same_for_few_and_many_endorsements(client, nomination, village):
    from tests.statements import statements

    def add(n):
        for _ in range(n):
            with unit_of_work():
                services.endorse(villager(village), nomination)

    add(1)
    url = f"/v/hubin/nominations/{nomination.id}"
    client.get(url)
    with statements() as few:
        client.get(url)
    add(5)
    with statements() as many:
        page = client.get(url).text
    assert len(many) == len(few) and "6 位村民联名" in words(page)
