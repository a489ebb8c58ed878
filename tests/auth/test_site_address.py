"""The site's address (SECURITY.md row 17): absolute URLs (feeds, posters' QR codes,
slips) come from `SITE_URL`, never from the Host header; other hosts are refused; the
page cache keys on the host."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.auth.models import Role
from portal.extensions import db
from tests.factories import VillageFactory, official
from tests.notices.conftest import make_notice


@pytest.fixture
def app_config():
    return {
        "SITE_URL": "https://shanzhi.example",
        "TRUSTED_HOSTS": ["lb.internal"],
        "PAGE_CACHE_SECONDS": 5,
    }


SITE = "https://shanzhi.example"


def test_an_unknown_host_is_refused(client, app):
    VillageFactory(slug="hubin")
    assert client.get("/v/hubin/notices.atom", base_url=SITE).status_code == 200
    poisoned = client.get("/v/hubin/notices.atom", headers={"Host": "evil.tld"})
    assert poisoned.status_code == 400
    assert app.config["TRUSTED_HOSTS"] == ["lb.internal", "shanzhi.example"]


def test_absolute_urls_name_the_site_whichever_trusted_host_was_asked(client, app):
    village = VillageFactory(slug="hubin")
    committee = official(Role.COMMITTEE, village=village)
    notice = make_notice(committee, village)
    inside = client.get("/v/hubin/notices.atom", base_url="http://lb.internal")
    assert inside.status_code == 200
    assert f'href="{SITE}/v/hubin/notices"' in inside.text and "lb.internal" not in inside.text
    poster = client.get(f"/v/hubin/notices/{notice.id}/poster", base_url="http://lb.internal")
    assert poster.status_code == 200
    assert f"{SITE}/v/hubin/notices/{notice.id}" in poster.text and "lb.internal" not in poster.text
    # Each host its own entries in the page cache.
    outside = client.get("/v/hubin/notices.atom", base_url=SITE)
    assert outside.text == inside.text
    hosts = {key[-1] for key in app.extensions["page_cache"].entries}
    assert hosts == {"lb.internal", "shanzhi.example"}


def test_the_tests_own_host_is_accepted_without_a_site_address(database_url):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "localhost"}
    )
    assert app.config["TRUSTED_HOSTS"] is None
    with app.app_context():
        assert app.test_client().get("/healthz").status_code == 200
        db.session.remove()
