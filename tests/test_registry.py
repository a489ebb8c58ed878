"""The sections of the village home and the console home come from portal/registry.py:
a feature declares its own, and the pages show them in order without knowing it."""

from __future__ import annotations

import pytest
from jinja2 import ChoiceLoader, DictLoader

from portal import registry
from portal.auth.models import Role
from tests.conftest import login_as
from tests.factories import VillageFactory, official


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def extra_templates(app):
    """Templates a test feature brings, beside the portal's own."""
    templates = {}
    app.jinja_env.loader = ChoiceLoader([DictLoader(templates), app.jinja_env.loader])
    return templates


@pytest.fixture
def declared(monkeypatch):
    """Declarations made in a test are forgotten after it."""
    monkeypatch.setattr(registry, "_HOME", dict(registry._HOME))
    monkeypatch.setattr(registry, "_CONSOLE", dict(registry._CONSOLE))


def test_rules_and_notices_declare_their_home_sections_in_order(app):
    names = [s.name for s in registry.home_sections()]
    assert names.index("notices") < names.index("rules")
    console = [s.name for s in registry.console_sections([Role.COMMITTEE])]
    assert console.index("notices") < console.index("roster")


def test_a_new_feature_adds_a_home_section_without_touching_the_home(
    client, village, extra_templates, declared
):
    extra_templates["harvest/_home_section.html"] = (
        '<section class="card"><h2>秋收</h2><p>{{ board_note }} {{ village.name }}</p></section>'
    )
    seen = []

    def board_context(found):
        seen.append(found.id)
        return {"board_note": "本月上榜 3 户"}

    registry.home_section(
        "harvest", order=15, template="harvest/_home_section.html", context=board_context
    )
    page = client.get("/v/hubin/").text
    assert "本月上榜 3 户 湖滨村" in page and seen == [village.id]
    assert page.index("村务公开") < page.index("秋收") < page.index('id="home-rules-heading"')


def test_a_console_section_is_shown_only_to_the_roles_it_names(
    client, village, extra_templates, declared
):
    extra_templates["harvest/_console_section.html"] = "<li>待审批积分 {{ points_waiting }}</li>"
    registry.console_section(
        "harvest",
        order=5,
        template="harvest/_console_section.html",
        context=lambda found: {"points_waiting": 4},
        roles=[Role.COMMITTEE],
    )
    login_as(client, official(Role.COMMITTEE, village=village))
    home = client.get("/v/hubin/manage/").text
    assert "待审批积分 4" in home and home.index("待审批积分") < home.index("待核实的注册")
    login_as(client, official(Role.SUPERVISOR, village=village))
    assert "待审批积分" not in client.get("/v/hubin/manage/").text


def test_two_sections_giving_one_name_fail_loudly(village, declared):
    one = registry.home_section("one", order=1, template="x", context=lambda v: {"shared": 1})
    two = registry.home_section("two", order=2, template="y", context=lambda v: {"shared": 2})
    with pytest.raises(ValueError, match="'one' and 'two' both give 'shared'"):
        registry.gather([one, two], village)


def test_a_name_is_declared_once(declared):
    first = registry.home_section(
        "same", order=1, template="x", context="portal.rules.home:home_context"
    )
    assert (
        registry.home_section(
            "same", order=1, template="x", context="portal.rules.home:home_context"
        )
        == first
    )
    with pytest.raises(ValueError, match="two sections are named 'same'"):
        registry.home_section(
            "same", order=2, template="x", context="portal.rules.home:home_context"
        )
