"""The privacy scan of the black board (DESIGN.md 2.3, SECURITY.md row 14).

Black entries in every state name subjects with distinctive names; then every page a
visitor can reach, and every page a verified villager of another village can reach, is
asked for, and no answer may carry a black subject's name, whole or masked, nor the
household's door number. The black board's answers are private (no-store, noindex),
for villagers and for the refusal alike; the page cache never keeps them; the search
index holds no board entry.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import sqlalchemy as sa

from portal.actions import unit_of_work
from portal.extensions import db
from portal.search import services as search
from portal.search.models import SearchEntry, SearchSource
from tests.boards.conftest import BLACK_STATES, black_entry, red_entry
from tests.conftest import htmx_headers, login_as
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, villager
from tests.notices.conftest import make_notice

# One subject per state, each with a compound surname no one else in the village has.
SUBJECTS = {
    "warned": ("欧阳铁柱", "北街 91 号"),
    "put_right": ("欧阳金花", "北街 92 号"),
    "declined": ("司马大山", "北街 93 号"),
    "notice": ("司马小川", "北街 94 号"),
    "published": ("上官秀英", "北街 95 号"),
    "expired": ("上官德明", "北街 96 号"),
    "frozen": ("诸葛春生", "北街 97 号"),
    "withdrawn": ("诸葛秋实", "北街 98 号"),
}
# A household named by no one person: the board shows its first resident masked.
HOUSEHOLD_ONLY = ("慕容长风", "北街 99 号")


def forbidden_words(masked: bool = True) -> set[str]:
    words = set()
    for name, door in [*SUBJECTS.values(), HOUSEHOLD_ONLY]:
        words |= {name, door, door.replace(" ", "")}
        if masked:
            words |= {name[:2] + "**", name[:2] + "*"}
    return words


def lists_every_household(path: str) -> bool:
    """The points pages list every household of the village by its head's masked name
    (DESIGN.md 2.5): there a masked name says nothing of the black board; the full name
    and the door number still must not appear."""
    return "/points" in urlsplit(path).path


@pytest.fixture
def scene(seeded, committee, second_member, at):
    """Black entries in every state, a household-only one, a red entry and a notice."""
    village = seeded
    entries = {}
    for state in BLACK_STATES:
        name, door = SUBJECTS[state]
        household = HouseholdFactory(village=village, door_number=door)
        resident = ResidentFactory(household=household, village=village, name=name)
        entries[state] = black_entry(
            village,
            committee,
            second_member,
            at,
            state,
            household=household,
            resident=resident,
            description=f"{name}在北街堆放杂物。",
        )
    name, door = HOUSEHOLD_ONLY
    household = HouseholdFactory(village=village, door_number=door)
    ResidentFactory(household=household, village=village, name=name)
    entries["household"] = black_entry(
        village,
        committee,
        second_member,
        at,
        "published",
        household=household,
        description="堆放建筑垃圾。",
    )
    red_household = HouseholdFactory(village=village, door_number="南街 1 号")
    red_person = ResidentFactory(household=red_household, village=village, name="孙红梅")
    entries["red"] = red_entry(
        village, committee, at, "published", household=red_household, resident=red_person
    )
    make_notice(committee, village, title="关于清理北街杂物的通知", body="请各户清理门前杂物。")
    return entries


def get_routes(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in ("static", "public.set_language")
    ]


def urls_for(app, rule, slugs, town_slug, ids):
    """Concrete URLs of `rule`: each village of `slugs`, each of `ids` in its numbers."""
    from flask import url_for

    int_args = [
        n for n in rule.arguments if type(rule._converters[n]).__name__ == "IntegerConverter"
    ]
    found = []
    for slug in slugs if "village" in rule.arguments else [None]:
        for number in ids if int_args else [None]:
            values = {}
            for name in rule.arguments:
                if name == "village":
                    values[name] = slug
                elif name == "town":
                    values[name] = town_slug
                elif name in int_args:
                    values[name] = number
                else:
                    values[name] = "x"
            with app.test_request_context():
                found.append(url_for(rule.endpoint, **values))
    return found


def crawl(app, client, scene, slugs):
    village = scene["red"].village
    top = max(entry.id for entry in scene.values()) + 1
    paths = set()
    for rule in get_routes(app):
        paths.update(urls_for(app, rule, slugs, village.town.slug, range(1, top + 1)))
    queries = [
        "欧阳",
        "欧阳铁柱",
        "上官",
        "上官秀英",
        "司马",
        "诸葛",
        "慕容",
        "北街",
        "堆放",
        "柴草",
    ]
    for q in queries:
        paths.add(f"/v/hubin/search?q={q}")
        paths.add(f"/?q={q}")
    for which in ("red", "black"):
        for category_id in range(1, 12):
            paths.add(f"/v/hubin/boards?board={which}&category={category_id}")
    seen = []
    for path in sorted(paths):
        for headers in ({}, htmx_headers("board-list")):
            response = client.get(path, headers=headers)
            assert response.status_code < 500, path
            seen.append((path, response))
    return seen


def without_the_query(path: str, body: str) -> str:
    """The body without the places a search page repeats what was asked (the box, the
    address): what the scan looks for is what the site found, not what it was asked."""
    query = parse_qs(urlsplit(path).query).get("q")
    if not query:
        return body
    q = query[0]
    for echo in (f'value="{q}"', f"q={q}", f"q={quote(q)}", f"“{q}”"):
        body = body.replace(echo, "")
    return body


def assert_nothing_of_the_black_board(seen):
    for path, response in seen:
        words = forbidden_words(masked=not lists_every_household(path))
        body = (
            response.get_data(as_text=True)
            if response.mimetype.startswith(
                ("text/", "application/atom", "application/xml", "application/json")
            )
            else ""
        )
        body = without_the_query(path, body)
        for word in words:
            assert word not in body, f"{path} shows {word}"


def test_a_visitor_reaches_nothing_of_the_black_board(app, client, scene):
    seen = crawl(app, client, scene, ["hubin"])
    assert len(seen) > 100
    red = scene["red"]
    assert any(p == f"/v/hubin/boards/{red.id}" and r.status_code == 200 for p, r in seen)
    assert any(p.endswith(".atom") and r.status_code == 200 for p, r in seen)
    assert any(p.endswith("/poster") and r.status_code == 200 for p, r in seen)
    assert_nothing_of_the_black_board(seen)


def test_a_villager_of_another_village_reaches_nothing_of_it(app, client, scene):
    other = VillageFactory(slug="shanqian", name="山前村")
    login_as(client, villager(other, name="钱多多"))
    seen = crawl(app, client, scene, ["hubin", "shanqian"])
    assert any(p == "/account" and r.status_code == 200 for p, r in seen)
    assert_nothing_of_the_black_board(seen)


def test_the_crawl_would_see_a_name(app, client, scene, neighbour):
    """The scan can fail: a verified villager of the village does see the masked names."""
    login_as(client, neighbour)
    page = client.get("/v/hubin/boards?board=black").text
    assert "上官**" in page and "慕容**家" in page
    assert "欧阳" not in page and "北街 9" not in page


@pytest.mark.parametrize("htmx", [False, True])
def test_black_board_headers_for_villagers_and_for_the_refusal(client, scene, neighbour, htmx):
    headers = htmx_headers("board-list") if htmx else {}
    published = scene["published"]
    paths = ["/v/hubin/boards?board=black", f"/v/hubin/boards/{published.id}"]
    for path in paths:
        refusal = client.get(path, headers=headers)
        assert refusal.status_code == 403
        assert refusal.headers["Cache-Control"] == "no-store"
        assert "noindex" in refusal.headers["X-Robots-Tag"]
    login_as(client, neighbour)
    for path in paths:
        page = client.get(path, headers=headers)
        assert page.status_code == 200
        assert page.headers["Cache-Control"] == "no-store"
        assert "noindex" in page.headers["X-Robots-Tag"]
        assert "Cookie" in page.headers["Vary"]


class TestPageCache:
    @pytest.fixture
    def app_config(self):
        return {"PAGE_CACHE_SECONDS": 5}

    def cached_paths(self, app):
        return [key[0] for key in app.extensions["page_cache"].entries]

    def test_the_black_board_never_enters_the_page_cache(self, app, client, scene, neighbour):
        red = scene["red"]
        published = scene["published"]
        for _ in range(2):
            client.get("/v/hubin/boards?board=red")
            client.get(f"/v/hubin/boards/{red.id}")
            client.get("/v/hubin/boards?board=black")
            client.get("/v/hubin/boards?board=black", headers=htmx_headers("board-list"))
            client.get(f"/v/hubin/boards/{published.id}")
        cached = self.cached_paths(app)
        # The red board is a public page like any other: kept for a few seconds.
        assert "/v/hubin/boards?board=red" in cached and f"/v/hubin/boards/{red.id}?" in cached
        assert not [p for p in cached if "black" in p or f"/boards/{published.id}" in p]
        login_as(client, neighbour)
        assert "上官**" in client.get("/v/hubin/boards?board=black").text
        cached = self.cached_paths(app)
        assert not [p for p in cached if "black" in p or f"/boards/{published.id}" in p]


def test_the_search_index_holds_no_board_entry(app, scene):
    village = scene["red"].village
    with unit_of_work():
        search.reindex_village(village)
    db.session.rollback()
    rows = db.session.scalars(sa.select(SearchEntry)).all()
    assert rows, "the notice and the rules are indexed"
    assert {row.source for row in rows} <= {SearchSource.NOTICE, SearchSource.RULE_ARTICLE}
    text = " ".join(f"{row.title} {row.text} {row.tokens}" for row in rows)
    for word in forbidden_words():
        assert word not in text
    assert not re.search("欧阳|上官|司马|诸葛|慕容", text)
