"""`flask seed-scale`: the bulk data set, on a tiny scale (a few seconds per test)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.auth.models import User
from portal.extensions import db
from portal.points.models import LedgerEntry, PointsAccount
from portal.rules.models import RuleVersion, VoteEligibility
from portal.rules.services import roll_query
from portal.scale import ScaleError, Sizes, seed_scale, sizes_for
from portal.villages.models import Household, Resident, Village
from tests.conftest import _clean_postgres, login_as
from tests.factories import VillageFactory

TINY = ["--villages", "2", "--households", "60", "--residents", "200", "--ledger", "900"]
# One village: every household is its, whatever the seed, so only the village's own
# generator can tell two seeds apart.
ONE_VILLAGE = Sizes(villages=1, households=40, residents=130, ledger=500, towns=1)
TODAY = date(2026, 6, 15)


def digests() -> dict[str, str]:
    """Each table's rows, in primary-key order, hashed."""
    found = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns))
        found[table.name] = hashlib.sha256(
            "\n".join(repr(tuple(row)) for row in rows).encode()
        ).hexdigest()
    return found


def seeded_digests(
    template_database: str, db_backend: str, path: Path, seed: int, bulk: bool
) -> dict:
    """The digests of a fresh database at the head migration seeded with `seed`; `bulk`:
    with PostgreSQL's keys set aside for the load, or in place."""
    if db_backend == "postgres":
        _clean_postgres(template_database)
        url = template_database
    else:
        copy = path / f"scale-{seed}-{len(list(path.glob('scale-*')))}.db"
        shutil.copyfile(Path(sa.engine.make_url(template_database).database), copy)
        url = f"sqlite:///{copy}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        seed_scale(ONE_VILLAGE, seed=seed, today=TODAY, bulk=bulk)
        found = digests()
        db.session.remove()
        db.engine.dispose()
    return found


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_same_seed_same_rows_other_seed_other_rows(template_database, db_backend, tmp_path):
    first = seeded_digests(template_database, db_backend, tmp_path, seed=7, bulk=True)
    again = seeded_digests(template_database, db_backend, tmp_path, seed=7, bulk=False)
    other = seeded_digests(template_database, db_backend, tmp_path, seed=8, bulk=False)
    # The same rows whichever way they were loaded.
    assert first == again
    assert first["resident"] != other["resident"]
    assert first["points_ledger"] != other["points_ledger"]
    # The structure (towns, villages, catalogues) is the sizes', whatever the seed.
    assert first["town"] == other["town"]


def test_seeded_village_adds_up_and_its_pages_answer(runner, client):
    result = runner.invoke(args=["seed-scale", *TINY])
    assert result.exit_code == 0, result.output
    assert "points_ledger" in result.output and "seed-scale:" in result.output

    assert count(Village) == 2
    assert count(Household) == 60
    assert count(Resident) == 200
    assert count(LedgerEntry) == 900
    assert count(PointsAccount) == 60

    verified = runner.invoke(args=["points", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "every balance" in verified.output

    # Each vote's frozen roll is the roll the rules compute from the roster.
    for version in db.session.scalars(sa.select(RuleVersion)):
        frozen = db.session.execute(
            sa.select(VoteEligibility.resident_id, VoteEligibility.household_id)
            .where(VoteEligibility.version_id == version.id)
            .order_by(VoteEligibility.resident_id)
        ).all()
        assert frozen == db.session.execute(roll_query(version)).all()
        assert version.roll_eligible_count == len(frozen) > 0

    village = db.session.scalar(sa.select(Village).order_by(Village.id).limit(1))
    villager = db.session.scalar(
        sa.select(User).where(User.village_id == village.id, User.phone.like("15%")).limit(1)
    )
    login_as(client, villager)
    for page in ("", "rules", "notices", "boards", "nominations", "points", "shop"):
        response = client.get(f"/v/{village.slug}/{page}")
        assert response.status_code == 200, page

    committee = db.session.scalar(sa.select(User).where(User.phone == "13100000000"))
    login_as(client, committee)
    for page in ("manage/", "manage/points", "manage/points/ledger", "manage/residents"):
        response = client.get(f"/v/{village.slug}/{page}")
        assert response.status_code == 200, page


def test_a_seeded_villager_logs_in_with_the_password(runner, client):
    result = runner.invoke(args=["seed-scale", *TINY, "--password", "scale-pass-2026"])
    assert result.exit_code == 0, result.output
    response = client.post("/login", data={"phone": "15000000000", "password": "scale-pass-2026"})
    assert response.status_code == 303
    assert "/login" not in response.headers["Location"]


def test_refuses_a_database_that_is_not_empty(runner):
    VillageFactory()
    db.session.commit()
    result = runner.invoke(args=["seed-scale", *TINY])
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert count(Village) == 1
    assert count(Household) == 0


def test_sizes_that_cannot_be_built_are_refused():
    assert sizes_for("county").villages == 300
    assert sizes_for("county").town_count == 15
    assert sizes_for("village", ledger=10).ledger == 10
    with pytest.raises(ScaleError):
        sizes_for("village", residents=100)  # fewer residents than households
    with pytest.raises(ScaleError):
        sizes_for("village", villages=500)  # fewer than 5 households per village
