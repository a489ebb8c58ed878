"""The settings registry: defaults, typed values, checked changes with their log row."""

from __future__ import annotations

import pytest

from portal.actions import Refusal
from portal.extensions import db
from portal.settings import registry
from portal.settings.models import VillageSetting
from portal.settings.registry import SettingsRefusal, change_settings, setting, settings_for
from tests.settings.conftest import setting_logs, stored
from tests.statements import statements

PORTAL_DEFAULTS = {
    "rules.comments_per_minute": 3,
    "rules.comments_per_day": 20,
    "notices.open_questions_per_notice": 3,
    "notices.questions_per_day": 10,
    "disclosure.grace_days": 10,
}


def test_without_rows_every_setting_is_its_default(village, kinds):
    for key, value in PORTAL_DEFAULTS.items():
        assert setting(village, key) == value
    assert setting(village, "test.display") == "masked"
    assert setting(village, "test.remind") is False
    with statements() as seen:
        sections = settings_for(village)
    assert len(seen) == 1
    labels = [str(section.label) for section in sections]
    assert labels[:2] == ["村规民约", "村务公开"] and labels[-1] == "测试"
    entries = [entry for section in sections for entry in section.entries]
    assert {e.setting.key for e in entries} >= set(PORTAL_DEFAULTS)
    assert all(e.is_default and not e.chosen for e in entries)
    with pytest.raises(KeyError):
        setting(village, "rules.no_such_thing")


def test_a_change_is_read_back_and_logged_with_the_changed_keys_only(village, committee, kinds):
    changed = change_settings(
        committee,
        village,
        {
            "rules.comments_per_minute": " 1 ",
            "rules.comments_per_day": "20",
            "test.display": "counts",
            "test.remind": "1",
            "not.a.setting": "x",
        },
    )
    assert changed == {
        "rules.comments_per_minute": 1,
        "test.display": "counts",
        "test.remind": True,
    }
    assert stored() == {
        "rules.comments_per_minute": "1",
        "test.display": "counts",
        "test.remind": "1",
    }
    assert setting(village, "rules.comments_per_minute") == 1
    assert setting(village, "test.remind") is True
    assert setting(village, "rules.comments_per_day") == 20
    [log] = setting_logs()
    assert log.actor_id == committee.id and log.village_id == village.id
    assert log.role == "committee" and log.object_type == "village"
    assert log.summary == {
        "before": {"rules.comments_per_minute": 3, "test.display": "masked", "test.remind": False},
        "after": {"rules.comments_per_minute": 1, "test.display": "counts", "test.remind": True},
    }

    # The same values again: nothing changes, and nothing is logged.
    assert change_settings(committee, village, {"rules.comments_per_minute": "1"}) == {}
    assert len(setting_logs()) == 1

    # Back to the default: the row keeps the village's choice, the log its before and after.
    change_settings(committee, village, {"rules.comments_per_minute": "3"})
    assert stored()["rules.comments_per_minute"] == "3"
    assert setting_logs()[-1].summary == {
        "before": {"rules.comments_per_minute": 1},
        "after": {"rules.comments_per_minute": 3},
    }
    row = db.session.query(VillageSetting).filter_by(key="rules.comments_per_minute").one()
    assert row.updated_by_id == committee.id


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("rules.comments_per_minute", "三", "请填写一个整数"),
        ("rules.comments_per_minute", "2.5", "请填写一个整数"),
        ("rules.comments_per_minute", "", "请填写一个整数"),
        ("rules.comments_per_minute", "0", "最少是 1"),
        ("rules.comments_per_minute", "21", "最多是 20"),
        ("rules.comments_per_minute", "99999999999", "请填写一个整数"),
        ("rules.comments_per_minute", "1\x1b", "控制字符"),
        ("disclosure.grace_days", "1" * 201, "最多 200 个字"),
        ("test.display", "everyone", "请从列出的选项中选择"),
        ("test.remind", "maybe", "请选择“是”或“否”"),
    ],
)
def test_bad_input_is_refused_per_field_and_writes_nothing(
    village, committee, kinds, key, raw, message
):
    with pytest.raises(SettingsRefusal) as refused:
        change_settings(committee, village, {"rules.comments_per_day": "5", key: raw})
    assert refused.value.status == 422
    assert list(refused.value.errors) == [key] and message in refused.value.errors[key]
    assert refused.value.field == registry.get(key).field
    assert stored() == {} and setting_logs() == []
    assert setting(village, "rules.comments_per_day") == 20


def test_only_the_villages_committee_may_change_its_settings(
    village, other_village, supervisor, committee
):
    from portal.auth.models import Role
    from tests.factories import official

    outsider = official(Role.COMMITTEE, village=other_village)
    for actor in (supervisor, outsider):
        with pytest.raises(Refusal) as refused:
            change_settings(actor, village, {"rules.comments_per_minute": "1"})
        assert refused.value.status == 403
    assert stored() == {} and setting_logs() == []


def test_a_stored_value_that_no_longer_fits_reads_as_the_default(village, committee):
    db.session.add(
        VillageSetting(village_id=village.id, key="rules.comments_per_minute", value="99")
    )
    db.session.commit()
    assert setting(village, "rules.comments_per_minute") == 3


def test_a_declaration_is_checked(kinds):
    with pytest.raises(ValueError):
        registry.number("x.y", label="x", section="x", default=0, minimum=1, maximum=2)
    with pytest.raises(ValueError):
        registry.choice("x.y", label="x", section="x", default="c", choices=[("a", "A")])
    with pytest.raises(ValueError):
        registry.register(registry.yes_no("test.remind", label="x", section="x", default=True))
    assert registry.register(kinds[1]) is kinds[1]
