"""The village finder, a village's home page and /healthz."""

from __future__ import annotations

from tests.conftest import htmx_headers, login_as
from tests.factories import TownFactory, VillageFactory, villager


def test_healthz_answers_plain_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.data == b"ok"
    assert response.headers["Content-Type"].startswith("text/plain")


def test_finder_searches_by_name_plain_and_htmx(client):
    VillageFactory(name="湖滨村")
    VillageFactory(name="山前村")
    page = client.get("/?q=湖滨")
    assert "湖滨村" in page.text and "山前村" not in page.text and "<html" in page.text
    assert "HX-Request" in page.headers["Vary"]
    partial = client.get("/?q=湖滨", headers=htmx_headers("village-results"))
    assert "湖滨村" in partial.text and "山前村" not in partial.text
    assert "<html" not in partial.text and "<nav" not in partial.text


def test_finder_finds_villages_by_town_name(client):
    town = TownFactory(name="银涂镇")
    VillageFactory(town=town, name="湖滨村")
    assert "湖滨村" in client.get("/?q=银涂").text


def test_finder_says_plainly_when_nothing_matches(client):
    VillageFactory(name="湖滨村")
    page = client.get("/?q=不存在")
    assert "没有找到名字里有“不存在”的村" in page.text


def test_hostile_search_terms_are_harmless(client):
    VillageFactory(name="湖滨村")
    for q in ["%", "_", "'; DROP TABLE village; --", "\\", "a" * 5000, "<script>alert(1)</script>"]:
        response = client.get("/", query_string={"q": q})
        assert response.status_code == 200
        assert "湖滨村" not in response.text.split('id="village-results"')[1]
        assert "<script>alert" not in response.text


def test_start_page_lists_towns_not_every_village(client):
    first = TownFactory(name="银涂镇", slug="yintu")
    second = TownFactory(name="平桥镇", slug="pingqiao")
    VillageFactory(town=first, name="湖滨村")
    VillageFactory(town=second, name="山前村")
    page = client.get("/")
    assert "银涂镇" in page.text and "平桥镇" in page.text
    assert "湖滨村" not in page.text
    town_page = client.get("/?town=yintu")
    assert "湖滨村" in town_page.text and "山前村" not in town_page.text
    assert client.get("/?town=nowhere").status_code == 404


def test_a_single_town_lists_its_villages_at_once(client):
    town = TownFactory(name="银涂镇")
    VillageFactory(town=town, name="湖滨村")
    assert "湖滨村" in client.get("/").text


def test_towns_are_paginated(client):
    for n in range(55):
        TownFactory(name=f"镇{n:02d}")
    first = client.get("/")
    assert "镇00" in first.text and "镇54" not in first.text and "page=2" in first.text
    second = client.get("/?page=2")
    assert "镇54" in second.text and "镇00" not in second.text


def test_logged_in_villager_is_offered_their_own_village(client):
    village = VillageFactory(name="湖滨村")
    login_as(client, villager(village))
    page = client.get("/")
    assert f'href="/v/{village.slug}/"' in page.text


def test_village_home_shows_the_village_and_its_navigation(client):
    village = VillageFactory(name="湖滨村", slug="hubin")
    page = client.get("/v/hubin/")
    assert page.status_code == 200
    assert "湖滨村" in page.text and 'aria-current="page"' in page.text
    boosted = client.get("/v/hubin/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 200 and village.name in boosted.text


def test_navigation_marks_the_section_of_a_deeper_page(client):
    """The section's own list is the current page; a page inside the section marks the
    section's link as current (aria-current="true"), and console pages mark 村务管理."""
    import re

    from portal.auth.models import Role
    from tests.factories import official
    from tests.notices.conftest import make_notice

    village = VillageFactory(name="湖滨村", slug="hubin")

    def current(path):
        page = client.get(path)
        nav = page.text.split('class="village-nav"')[1].split("</nav>")[0]
        return dict(
            (label, value) for value, label in re.findall(r'aria-current="(\w+)">([^<]+)</a>', nav)
        )

    assert current("/v/hubin/notices") == {"村务公开": "page"}
    assert current("/v/hubin/rules") == {"村规民约": "page"}
    assert current("/v/hubin/search?q=垃圾") == {}
    committee = official(Role.COMMITTEE, village=village)
    notice = make_notice(committee, village)
    assert current(f"/v/hubin/notices/{notice.id}") == {"村务公开": "true"}
    login_as(client, committee)
    assert current("/v/hubin/manage/") == {"村务管理": "page"}
    assert current("/v/hubin/manage/notices") == {"村务管理": "true"}
    assert current("/v/hubin/manage/rules") == {"村务管理": "true"}


def test_unknown_village_is_404_in_chinese(client):
    page = client.get("/v/nowhere/")
    assert page.status_code == 404 and "找不到页面" in page.text
    partial = client.get("/v/nowhere/", headers=htmx_headers("x"))
    assert partial.status_code == 404 and "<html" not in partial.text


def village_home_links(page: str) -> set[str]:
    """The site's own links on a page (not #anchors, not the static files)."""
    import re

    links = set(re.findall(r'<a [^>]*href="([^"#]+)', page))
    return {link.replace("&amp;", "&") for link in links if link.startswith("/")}


def test_every_link_on_the_village_home_leads_somewhere(client, app):
    """Visitor, villager and committee: the home offers only what works (every link
    answers 200), and no feature that is not there (好人推荐, 红黑榜, 积分)."""
    from portal.auth.models import Role
    from portal.rules.models import TallyVisibility
    from tests.factories import official
    from tests.rules import factories as rf

    village = VillageFactory(name="湖滨村", slug="hubin")
    committee = official(Role.COMMITTEE, village=village)
    member = villager(village)
    rf.voting(village, committee, visibility=TallyVisibility.LIVE)
    for user in (None, member, committee):
        if user is not None:
            login_as(client, user)
        page = client.get("/v/hubin/").text
        links = village_home_links(page)
        assert "/v/hubin/rules" in links and "/v/hubin/notices" in links
        for link in sorted(links):
            if link.startswith("/lang/"):  # sets the language cookie: checked without it
                assert client.get(link).status_code == 303
                client.set_cookie("lang", "zh")
                continue
            answer = client.get(link, follow_redirects=True)
            assert answer.status_code == 200, f"{link} on the home of {user}: {answer.status_code}"
        for feature, endpoint in (
            ("好人", "nominations.index"),
            ("红黑榜", "boards.index"),
            ("积分", "points.index"),
        ):
            if endpoint not in app.view_functions:
                assert feature not in page, f"the home offers {feature}, which does not exist"
