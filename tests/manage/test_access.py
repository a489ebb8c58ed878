"""Who may reach the console: every console route, for each kind of person.

The routes come from `app.url_map`, so a new console route is covered as soon as
it exists.
"""

from __future__ import annotations

import pytest
from flask import url_for

from portal.auth.models import RegistrationStatus, Role
from portal.villages.models import RosterImport
from tests.conftest import htmx_headers
from tests.factories import GridFactory, RoleGrantFactory, UserFactory, official, villager
from tests.manage.conftest import as_user, log_actions


@pytest.fixture
def objects(app, village, committee):
    """One object of each kind a console URL names, all in `village`."""
    from portal.extensions import db

    pending = UserFactory(village=village, status=RegistrationStatus.PENDING)
    worker = villager(village)
    grant = RoleGrantFactory(
        user=worker, role=Role.GRID_WORKER, village=village, grid=GridFactory(village=village)
    )
    job = RosterImport(
        village_id=village.id, created_by_id=committee.id, filename="a.csv", file_format="csv"
    )
    db.session.add(job)
    db.session.commit()
    return {
        "user_id": pending.id,
        "grant_id": grant.id,
        "job_id": job.id,
        "resident_id": worker.resident_id,
    }


def console_routes(app, objects) -> list[tuple[str, str]]:
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("manage."):
                continue
            args = {name: objects[name] for name in rule.arguments if name != "village"}
            url = url_for(rule.endpoint, village="hubin", **args)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, url))
    return routes


def test_every_console_route_is_listed(app, objects):
    routes = console_routes(app, objects)
    assert len([r for r in routes if r[0] == "GET"]) >= 9
    assert len([r for r in routes if r[0] == "POST"]) >= 7


def test_anonymous_is_sent_to_login(app, client, objects):
    for method, url in console_routes(app, objects):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert "/login" in response.headers["Location"], (method, url)


def test_anonymous_htmx_request_gets_a_client_redirect_to_login(client, objects):
    response = client.get("/v/hubin/manage/households", headers=htmx_headers("household-results"))
    assert "/login" in response.headers["HX-Redirect"]


def test_villager_is_refused(app, client, village, objects):
    as_user(client, villager(village))
    for method, url in console_routes(app, objects):
        assert client.open(url, method=method).status_code == 403, (method, url)


def test_grid_worker_is_refused(app, client, village, objects):
    as_user(client, official(Role.GRID_WORKER, village=village))
    for method, url in console_routes(app, objects):
        assert client.open(url, method=method).status_code == 403, (method, url)


def test_committee_of_another_village_is_refused(app, client, other_village, objects):
    as_user(client, official(Role.COMMITTEE, village=other_village))
    for method, url in console_routes(app, objects):
        assert client.open(url, method=method).status_code == 403, (method, url)


def test_revoked_committee_member_is_refused(app, client, village, objects):
    from portal import clock
    from portal.extensions import db

    member = official(Role.COMMITTEE, village=village)
    member.grants[0].revoked_at = clock.now()
    db.session.commit()
    as_user(client, member)
    assert client.get("/v/hubin/manage/").status_code == 403


# Pages for the committee alone, though they only read: the invite slips hold codes
# that register a verified account (portal/manage/invites.py).
COMMITTEE_ONLY_PAGES = ("/v/hubin/manage/invites/print",)


def test_supervisor_reads_every_page_but_changes_nothing(app, client, supervisor, objects):
    as_user(client, supervisor)
    before = log_actions()
    for method, url in console_routes(app, objects):
        response = client.open(url, method=method)
        if method == "GET" and url not in COMMITTEE_ONLY_PAGES:
            assert response.status_code == 200, url
        else:
            assert response.status_code == 403, url
    assert log_actions() == before


def test_supervisor_sees_no_action_buttons(client, supervisor, objects):
    as_user(client, supervisor)
    for path in ("verifications", "invites", "roles", "roster/import", "households"):
        page = client.get(f"/v/hubin/manage/{path}").text
        assert 'method="post" action="/v/hubin/manage' not in page, path
        assert "hx-post" not in page, path
        assert "不能修改" in page


def test_committee_reads_every_page(app, client, committee, objects):
    as_user(client, committee)
    for method, url in console_routes(app, objects):
        if method == "GET":
            assert client.get(url).status_code == 200, url
    # The same check the supervisor test makes finds the committee's forms.
    page = client.get("/v/hubin/manage/verifications").text
    assert 'method="post" action="/v/hubin/manage' in page and "hx-post" in page


def test_unknown_village_is_404(client, committee):
    as_user(client, committee)
    assert client.get("/v/nowhere/manage/").status_code == 404


def test_post_without_csrf_token_is_refused(client, committee, objects):
    as_user(client, committee)
    response = client.post("/v/hubin/manage/invites/bulk", csrf=False)
    assert response.status_code == 400
    assert log_actions() == []


def test_console_link_in_village_navigation(client, committee, supervisor):
    as_user(client, committee)
    assert "村务管理" in client.get("/v/hubin/manage/").text
