"""A GET never writes (DESIGN.md 2.7, SECURITY.md row 4): every GET route over the seeded
demo, with the demo's real ids, as every role, leaves every row of every table as it was.

The routes' arguments are filled from the demo's own rows (its rule document and both
versions, its articles, notices, attachments, filing, roster import), so the pages
render for real instead of answering 404; the htmx variants a page answers are asked
for too. Rows are compared whole, so an UPDATE is caught as well as an INSERT.
"""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
from flask import url_for

from portal import demo
from portal.auth.models import User
from portal.extensions import db
from portal.notices.models import Notice, NoticeAttachment
from portal.rules.models import RuleDocument, RuleFiling, RuleVersion
from portal.villages.models import RosterImport, Town, Village
from tests.conftest import login_as

ROLES = {
    "visitor": None,
    "villager": demo.VILLAGER_PHONES[0],
    "committee": demo.COMMITTEE_PHONE,
    "grid worker": demo.GRID_WORKER_PHONE,
    "supervisor": demo.SUPERVISOR_PHONE,
    "town official": demo.TOWN_OFFICIAL_PHONE,
    "admin": demo.ADMIN_PHONE,
}
HTMX_TARGETS = ("vote", "vote-live", "questions", "read-count", "paper-ballot", "roll-results")


def snapshot() -> dict[str, list]:
    db.session.rollback()
    tables = {}
    for table in db.metadata.sorted_tables:
        order = [c for c in table.primary_key.columns] or list(table.columns)
        tables[table.name] = db.session.execute(sa.select(table).order_by(*order)).all()
    db.session.rollback()
    return tables


def demo_values() -> dict[str, list]:
    """Real values for every URL argument, from the demo's rows."""
    village = db.session.scalar(sa.select(Village).where(Village.slug == demo.DEMO_VILLAGE))
    document = db.session.scalar(
        sa.select(RuleDocument).where(RuleDocument.village_id == village.id)
    )
    numbers = list(
        db.session.scalars(
            sa.select(RuleVersion.number).where(RuleVersion.document_id == document.id)
        )
    )
    notices = list(
        db.session.scalars(
            sa.select(Notice.id).where(Notice.village_id == village.id).order_by(Notice.id)
        )
    )
    attachment = db.session.scalar(sa.select(NoticeAttachment).limit(1))
    filing = db.session.scalar(sa.select(RuleFiling.id).limit(1))
    job = db.session.scalar(sa.select(RosterImport.id).limit(1))
    return {
        "village": [village.slug],
        "town": [db.session.scalar(sa.select(Town.slug).limit(1))],
        "document_id": [document.id],
        "number": numbers,
        "position": [1, 2],
        "notice_id": ([attachment.notice_id] if attachment else []) + notices[:2],
        "attachment_id": [attachment.id] if attachment else [1],
        "filing_id": [filing or 1],
        "job_id": [job or 1],
        "code": ["zh"],
    }


def demo_urls(app) -> list[str]:
    values = demo_values()
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "public.set_language"):
            continue
        names = sorted(rule.arguments)
        choices = [values.get(name, [1]) for name in names]
        for combination in itertools.islice(itertools.product(*choices), 6):
            with app.test_request_context():
                urls.append(url_for(rule.endpoint, **dict(zip(names, combination, strict=True))))
    return urls


@pytest.fixture
def seeded(app):
    demo.seed_demo()
    return app


@pytest.mark.demo
def test_no_get_changes_a_row_of_the_demo_for_any_role(seeded, client):
    urls = demo_urls(seeded)
    # Each role's login (a row of its own) is made before the count: the visitor's client
    # stays logged out.
    clients = {}
    for role, phone in ROLES.items():
        clients[role] = client if phone is None else seeded.test_client()
        if phone is not None:
            login_as(clients[role], db.session.scalar(sa.select(User).where(User.phone == phone)))
    before = snapshot()
    statuses = {}
    for role in ROLES:
        client = clients[role]
        for url in urls:
            variants = [None]
            if "/versions/" in url or "/notices/" in url:
                variants += [{"HX-Request": "true", "HX-Target": t} for t in HTMX_TARGETS]
            for headers in variants:
                response = client.get(url, headers=headers)
                assert response.status_code < 500, (role, url, headers)
                statuses.setdefault(response.status_code, 0)
                statuses[response.status_code] += 1
        db.session.rollback()
    after = snapshot()
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], f"GET requests changed rows of {changed}"
    # The walk reached real pages, not only refusals and 404s.
    assert statuses.get(200, 0) > 100, statuses


@pytest.mark.demo
def test_the_walk_can_see_a_write(seeded, client):
    """The comparison notices a change: a POST that writes (a villager's vote) shows up."""
    before = snapshot()
    village = db.session.scalar(sa.select(Village).where(Village.slug == demo.DEMO_VILLAGE))
    version = db.session.scalar(
        sa.select(RuleVersion).where(RuleVersion.village_id == village.id, RuleVersion.number == 2)
    )
    login_as(client, db.session.scalar(sa.select(User).where(User.phone == ROLES["villager"])))
    url = f"/v/{village.slug}/rules/{version.document_id}/versions/2/vote"
    assert client.post(url, data={"choice": "yes"}).status_code == 303
    after = snapshot()
    assert before["ballot"] != after["ballot"]
