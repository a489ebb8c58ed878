"""`flask tick` runs the "points.final" freezer (DESIGN.md 2.7): an approved entry whose
公示 is over, every objection answered, is written to the ledger once; a second tick
writes nothing; an entry with an unanswered objection waits. Pages read "final" from
the clock (the balance shows the due entry at once), and no GET of any page writes it."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import url_for

from portal import tick
from portal.actions import unit_of_work
from portal.extensions import db
from portal.points import services
from portal.points.models import EntryState, LedgerEntry, LedgerKind, PointsEntry
from portal.publicity import services as publicity
from tests.conftest import login_as
from tests.points.conftest import START, approve, record

LATER = START + timedelta(days=4)  # the 3-day 公示 of an entry approved at START is over


@pytest.fixture
def entries(village, households, committee, second_member, resident_user, now):
    """Two approved entries at START: one that will be due, one held by an objection."""
    due = record(committee, village, households[2], "G04")
    approve(second_member, village, due)
    held = record(committee, village, households[3], "G03")
    approve(second_member, village, held)
    with unit_of_work():
        objection = publicity.object_online(
            resident_user, publicity.period_for(services.SUBJECT, held.id), "他那天不在村里"
        )
    db.session.commit()
    return due, held, objection


def ledger() -> list[tuple]:
    db.session.rollback()
    return db.session.execute(
        sa.select(LedgerEntry.entry_id, LedgerEntry.kind, LedgerEntry.points).order_by(
            LedgerEntry.id
        )
    ).all()


def state(entry) -> EntryState:
    db.session.rollback()
    return db.session.scalar(sa.select(PointsEntry.state).where(PointsEntry.id == entry.id))


def ticked(runner) -> str:
    db.session.commit()
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    return result.output


def test_tick_writes_a_due_entry_once(runner, entries, at):
    due, held, _ = entries
    at(LATER)
    assert "points.final: 1" in ticked(runner)
    assert ledger() == [(due.id, LedgerKind.AWARD, 20)]
    assert state(due) == EntryState.FINAL
    assert state(held) == EntryState.APPROVED
    assert "points.final: 0" in ticked(runner)
    assert ledger() == [(due.id, LedgerKind.AWARD, 20)]
    assert services.verify() == []


def test_tick_before_the_notice_ends_writes_nothing(runner, entries, at):
    at(START + timedelta(days=2))
    assert "points.final: 0" in ticked(runner)
    assert ledger() == []


def test_an_answered_objection_lets_the_next_tick_write(runner, entries, at, committee):
    due, held, objection = entries
    at(LATER)
    ticked(runner)
    with unit_of_work():
        publicity.answer(committee, objection, "核实过，当天他献了血。")
    assert "points.final: 1" in ticked(runner)
    assert [row[0] for row in ledger()] == [due.id, held.id]
    assert state(held) == EntryState.FINAL


def test_the_freezer_is_registered_and_idempotent(entries, at):
    at(LATER)
    assert tick.run()["points.final"] == 1
    assert tick.run()["points.final"] == 0


# --- no GET writes it ---------------------------------------------------------------------


def snapshot() -> dict[str, list]:
    db.session.rollback()
    tables = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        tables[table.name] = db.session.execute(sa.select(table).order_by(*order)).all()
    db.session.rollback()
    return tables


def village_urls(app, village, households, entries) -> list[str]:
    """Every GET route of a village (and the site's own), its arguments filled from the
    fixtures' rows: the households with entries, the entries, their 公示 period."""
    due, held, objection = entries
    values = {
        "village": [village.slug],
        "household_id": [households[2].id, households[3].id],
        "entry_id": [due.id, held.id],
        "publicity_id": [objection.publicity_id],
        "objection_id": [objection.id],
        "id": [due.id],
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "public.set_language"):
            continue
        if rule.arguments and "village" not in rule.arguments:
            continue
        names = sorted(rule.arguments)
        choices = [values.get(name, [1]) for name in names]
        for combination in itertools.islice(itertools.product(*choices), 4):
            with app.test_request_context():
                urls.append(url_for(rule.endpoint, **dict(zip(names, combination, strict=True))))
    return urls


def test_no_get_writes_the_due_entry(app, client, village, households, entries, committee, at):
    due, held, _ = entries
    member = app.test_client()
    login_as(member, committee)
    at(LATER)
    # The page figures count the due entry already: final is read from the clock.
    assert services.standing(households[2]).balance == 20
    urls = village_urls(app, village, households, entries)
    assert any("/points" in url for url in urls)
    before = snapshot()
    statuses: dict[int, int] = {}
    for visitor in (client, member):
        for url in urls:
            points_page = "/points" in url or "/shop" in url
            for headers in (None, {"HX-Request": "true"}) if points_page else (None,):
                response = visitor.get(url, headers=headers)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    after = snapshot()
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], f"GET requests changed rows of {changed}"
    assert statuses.get(200, 0) > 10, statuses
    assert state(due) == EntryState.APPROVED
    assert ledger() == []
