"""The settings page /v/<village>/manage/settings: who reads it, who changes it, and how."""

from __future__ import annotations

import pytest

from portal.auth.models import Role
from tests.conftest import htmx_headers, login_as
from tests.factories import official, villager
from tests.settings.conftest import setting_logs, stored

URL = "/v/hubin/manage/settings"
PER_MINUTE = "setting-rules-comments_per_minute"
PER_DAY = "setting-rules-comments_per_day"


def test_the_committee_sees_each_setting_with_its_value_and_default_and_a_get_writes_nothing(
    client, village, committee
):
    login_as(client, committee)
    page = client.get(URL)
    assert page.status_code == 200
    text = page.text
    assert "本村设置" in text and 'id="settings-form"' in text and 'method="post"' in text
    assert "村规民约" in text and "村务公开" in text
    assert f'name="{PER_MINUTE}" value="3"' in text and 'min="1" max="20"' in text
    assert "默认：3 条意见" in text and "默认：10 天" in text
    assert 'aria-current="page">本村设置</a>' in text
    home = client.get("/v/hubin/manage/")
    assert f'href="{URL}"' in home.text and '<span class="tile-label">本村设置</span>' in home.text
    assert stored() == {} and setting_logs() == []


@pytest.mark.parametrize("headers", [None, htmx_headers("settings-form")])
def test_the_committee_saves_a_change(client, village, committee, headers):
    login_as(client, committee)
    form = {PER_MINUTE: "1", PER_DAY: "20", "setting-disclosure-grace_days": "10"}
    response = client.post(URL, data=form, headers=headers)
    if headers is None:
        assert response.status_code == 303 and response.headers["Location"].endswith(URL)
        response = client.get(URL)
        assert "<html" in response.text
        log = client.get("/v/hubin/manage/log").text
        assert "修改本村设置" in log and "每人每分钟最多提几条意见" in log
    else:
        assert response.status_code == 200
        assert "<html" not in response.text and response.text.lstrip().startswith(
            '<div id="settings-form">'
        )
    assert "已保存 1 项设置。" in response.text
    assert f'name="{PER_MINUTE}" value="1"' in response.text
    assert "（本村已改为 1 条意见）" in response.text
    assert stored() == {"rules.comments_per_minute": "1"}
    [log] = setting_logs()
    assert log.summary == {
        "before": {"rules.comments_per_minute": 3},
        "after": {"rules.comments_per_minute": 1},
    }
    again = client.post(URL, data=form, headers=headers)
    assert again.status_code in (200, 303)
    page = again if headers else client.get(URL)
    assert "没有改动，设置保持原样。" in page.text
    assert len(setting_logs()) == 1


@pytest.mark.parametrize("headers", [None, htmx_headers("settings-form")])
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "请填写一个整数"),
        ("0", "最少是 1"),
        ("21", "最多是 20"),
        ("1" * 300, "最多 200 个字"),
    ],
)
def test_bad_input_gets_its_message_beside_the_field_and_writes_nothing(
    client, village, committee, headers, raw, message
):
    login_as(client, committee)
    response = client.post(URL, data={PER_MINUTE: raw, PER_DAY: "5"}, headers=headers)
    assert response.status_code == 422
    text = response.text
    assert ("<html" in text) is (headers is None)
    assert f'<p class="error" id="{PER_MINUTE}-error">' in text and message in text
    assert f'id="{PER_MINUTE}-field"' in text and 'aria-invalid="true"' in text
    assert f'name="{PER_DAY}" value="5"' in text
    assert stored() == {} and setting_logs() == []


def test_a_control_character_in_the_form_is_dropped_before_it_is_read(client, village, committee):
    login_as(client, committee)
    response = client.post(URL, data={PER_MINUTE: "\x1b2"})
    assert response.status_code == 303
    assert stored() == {"rules.comments_per_minute": "2"}


@pytest.mark.parametrize("who", ["supervisor", "town_official"])
def test_readers_see_the_values_without_the_form_and_may_not_post(client, village, who):
    reader = (
        official(Role.SUPERVISOR, village=village)
        if who == "supervisor"
        else official(Role.TOWN_OFFICIAL, town=village.town)
    )
    login_as(client, reader)
    page = client.get(URL)
    assert page.status_code == 200
    assert "每人每分钟最多提几条意见" in page.text and "3 条意见（默认）" in page.text
    assert 'id="settings-form"' not in page.text and "只有本村村委会可以修改" in page.text
    assert ("console-nav" in page.text) is (who == "supervisor")
    for headers in (None, htmx_headers("settings-form")):
        refused = client.post(URL, data={PER_MINUTE: "1"}, headers=headers)
        assert refused.status_code == 403
    assert stored() == {} and setting_logs() == []


def test_others_are_refused(client, village, other_village):
    outsiders = [
        official(Role.COMMITTEE, village=other_village),
        official(Role.SUPERVISOR, village=other_village),
        official(Role.TOWN_OFFICIAL, town=other_village.town),
        villager(village),
        official(Role.GRID_WORKER, village=village),
    ]
    for user in outsiders:
        login_as(client, user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, data={PER_MINUTE: "1"}).status_code == 403
    assert stored() == {} and setting_logs() == []


def test_a_visitor_is_sent_to_log_in(client, village):
    for response in (client.get(URL), client.post(URL, data={PER_MINUTE: "1"})):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    htmx = client.post(URL, data={PER_MINUTE: "1"}, headers=htmx_headers("settings-form"))
    assert "/login" in htmx.headers.get("HX-Redirect", htmx.headers.get("Location", ""))
    assert stored() == {} and setting_logs() == []
