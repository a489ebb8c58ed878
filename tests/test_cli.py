"""The flask commands: seed-demo, demo-logins, create-admin."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal import clock, demo
from portal.audit.models import ActionLog
from portal.auth.models import InviteCode, RegistrationStatus, Role, RoleGrant, User
from portal.auth.passwords import verify_password
from portal.extensions import db
from portal.villages.models import Grid, Household, Resident, Town, Village
from tests.factories import VillageFactory

TABLES = (Town, Village, Grid, Household, Resident, User, RoleGrant, InviteCode)


def counts() -> dict[str, int]:
    return {
        t.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in TABLES
    }


def user(phone: str) -> User:
    return db.session.scalar(sa.select(User).where(User.phone == phone))


def roles(u: User) -> set[tuple]:
    return {(g.role, g.village_id, g.grid_id, g.town_id) for g in u.grants if g.revoked_at is None}


def test_seed_demo_builds_the_town_and_three_villages(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo seeded" in result.output
    town = db.session.scalar(sa.select(Town).where(Town.slug == "yintu"))
    assert town.name == "银涂镇"
    assert {v.slug for v in town.villages} == {"hubin", "shanqian", "liutang"}
    for village in town.villages:
        grids = db.session.scalar(sa.select(sa.func.count()).where(Grid.village_id == village.id))
        assert 3 <= grids <= 4
        households = db.session.scalars(
            sa.select(Household).where(Household.village_id == village.id)
        ).all()
        assert len(households) >= 150
        assert all(h.door_number and h.grid_id for h in households)
        sizes = db.session.execute(
            sa.select(sa.func.count())
            .select_from(Resident)
            .where(Resident.village_id == village.id)
            .group_by(Resident.household_id)
        ).scalars()
        assert set(sizes) <= {2, 3, 4, 5}
    hubin = db.session.scalar(sa.select(Village).where(Village.slug == "hubin"))
    assert hubin.name == "湖滨村"


@pytest.mark.demo
def test_seed_demo_twice_changes_nothing(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    first = counts()
    names = db.session.scalars(sa.select(Resident.name).order_by(Resident.id)).all()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "nothing to add" in result.output
    assert counts() == first
    assert db.session.scalars(sa.select(Resident.name).order_by(Resident.id)).all() == names


def seed_elsewhere(tmp_path, read):
    """Build the demo again in a database of its own (the action log the first build
    wrote is append-only, so it cannot be emptied), and `read()` it there."""
    from flask_migrate import upgrade

    from portal import create_app

    other = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'again.db'}"}
    )
    with other.app_context():
        upgrade()
        result = other.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        try:
            return read()
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.demo
def test_seed_demo_is_the_same_people_every_time(runner, app, tmp_path):
    """A fixed random seed: the same names, birth years and door numbers on every run."""

    def roster():
        return db.session.execute(
            sa.select(Household.door_number, Resident.name, Resident.birth_year, Resident.gender)
            .join(Resident.household)
            .order_by(Resident.id)
        ).all()

    runner.invoke(args=["seed-demo"])
    first = roster()
    assert seed_elsewhere(tmp_path, roster) == first


def test_seed_demo_if_empty_leaves_an_existing_database_alone(runner):
    VillageFactory(name="别的村", slug="other")
    before = counts()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "not seeded" in result.output
    assert counts() == before
    assert user(demo.ADMIN_PHONE) is None


def test_seed_demo_if_empty_seeds_an_empty_database(runner):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert counts()["Village"] == 3


@pytest.mark.demo
def test_demo_logins_hold_the_right_roles(runner):
    runner.invoke(args=["seed-demo"])
    town = db.session.scalar(sa.select(Town).where(Town.slug == "yintu"))
    hubin = db.session.scalar(sa.select(Village).where(Village.slug == "hubin"))
    first_grid = db.session.scalar(
        sa.select(Grid).where(Grid.village_id == hubin.id).order_by(Grid.id).limit(1)
    )

    admin = user("13800000000")
    assert roles(admin) == {(Role.ADMIN, None, None, None)}
    assert admin.resident is None
    assert roles(user("13800000004")) == {(Role.TOWN_OFFICIAL, None, None, town.id)}
    assert user("13800000004").resident is None

    officials = {
        "13800000001": (Role.COMMITTEE, hubin.id, None, None),
        "13800000002": (Role.GRID_WORKER, hubin.id, first_grid.id, None),
        "13800000003": (Role.SUPERVISOR, hubin.id, None, None),
    }
    for phone, grant in officials.items():
        official = user(phone)
        assert roles(official) == {grant, (Role.VILLAGER, hubin.id, None, None)}
        # They live in the village: linked to its roster, verified.
        assert official.resident.village_id == hubin.id
        assert official.status == RegistrationStatus.VERIFIED
    assert user("13800000002").resident.household.grid_id == first_grid.id
    # Separation of duties: the supervisor is not the committee member.
    assert user("13800000003").id != user("13800000001").id
    assert Role.COMMITTEE not in {g.role for g in user("13800000003").grants}

    adult_by = clock.today_local().year - 18
    residents = set()
    for n in range(10, 30):
        villager = user(f"138000000{n}")
        assert roles(villager) == {(Role.VILLAGER, hubin.id, None, None)}
        assert villager.status == RegistrationStatus.VERIFIED and villager.is_verified
        assert villager.resident.village_id == hubin.id
        assert villager.resident.birth_year <= adult_by
        assert villager.name == villager.resident.name
        residents.add(villager.resident_id)
    assert len(residents) == 20

    # One hash shared by every demo account: argon2 runs once.
    hashes = set(db.session.scalars(sa.select(User.password_hash)))
    assert len(hashes) == 1
    assert verify_password(hashes.pop(), demo.DEMO_PASSWORD)


@pytest.mark.demo
def test_demo_has_minors_a_verification_queue_and_unused_codes(runner):
    runner.invoke(args=["seed-demo"])
    this_year = clock.today_local().year
    minors = db.session.scalar(
        sa.select(sa.func.count()).where(Resident.birth_year > this_year - 18)
    )
    assert minors >= 30
    years = db.session.execute(
        sa.select(sa.func.min(Resident.birth_year), sa.func.max(Resident.birth_year))
    ).one()
    assert years[0] >= 1935 and years[1] <= 2024

    hubin = db.session.scalar(sa.select(Village).where(Village.slug == "hubin"))
    pending = db.session.scalars(
        sa.select(User).where(
            User.status == RegistrationStatus.PENDING, User.village_id == hubin.id
        )
    ).all()
    assert len(pending) >= 3
    assert all(p.resident_id is None and p.claimed_door_number for p in pending)

    codes = db.session.scalars(sa.select(InviteCode).where(InviteCode.used_at.is_(None))).all()
    assert len(codes) >= 3
    assert any(c.resident_id is None for c in codes)  # a household code too

    code, resident = demo.unused_person_invite()
    invite = db.session.scalar(sa.select(InviteCode).where(InviteCode.code == code))
    assert invite.resident_id == resident.id and invite.village_id == hubin.id
    assert resident.birth_year <= this_year - 18
    assert db.session.scalar(sa.select(User.id).where(User.resident_id == resident.id)) is None


def test_demo_logins_prints_the_table(runner):
    result = runner.invoke(args=["demo-logins"])
    assert result.exit_code == 0
    for phone in ("13800000000", "13800000001", "13800000002", "13800000003", "13800000004"):
        assert phone in result.output
    assert "13800000010" in result.output and "13800000029" in result.output
    assert "demo-password" in result.output


def test_create_admin(runner):
    result = runner.invoke(
        args=["create-admin", "13912345678", "林主任"], input="a-long-password\na-long-password\n"
    )
    assert result.exit_code == 0, result.output
    admin = user("13912345678")
    assert admin.name == "林主任"
    assert roles(admin) == {(Role.ADMIN, None, None, None)}
    assert verify_password(admin.password_hash, "a-long-password")
    assert admin.password_hash.startswith("$argon2id$")
    log = db.session.scalar(sa.select(ActionLog).where(ActionLog.action == "admin.create"))
    assert log.object_id == admin.id and log.role == "admin"


def test_create_admin_with_password_option(runner):
    result = runner.invoke(
        args=["create-admin", "13912345679", "林主任", "--password", "another-long-one"]
    )
    assert result.exit_code == 0, result.output
    assert verify_password(user("13912345679").password_hash, "another-long-one")


def test_create_admin_refuses_bad_input(runner):
    cases = [
        (["create-admin", "12345", "林主任", "--password", "a-long-password"], "PHONE"),
        (["create-admin", "13912345678", " ", "--password", "a-long-password"], "NAME"),
        (["create-admin", "13912345678", "林主任", "--password", "short"], "--password"),
    ]
    for args, hint in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert hint in result.output
    assert user("13912345678") is None


def test_create_admin_refuses_a_phone_in_use(runner):
    runner.invoke(args=["create-admin", "13912345678", "林主任", "--password", "a-long-password"])
    result = runner.invoke(
        args=["create-admin", "13912345678", "别人", "--password", "a-long-password"]
    )
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_create_admin_refuses_mismatched_confirmation(runner):
    result = runner.invoke(
        args=["create-admin", "13912345678", "林主任"], input="a-long-password\nsomething-else\n"
    )
    assert user("13912345678") is None
    assert "match" in result.output


def test_create_admin_refuses_a_common_password(runner):
    result = runner.invoke(
        args=["create-admin", "13912345678", "林主任", "--password", "1234567890"]
    )
    assert result.exit_code != 0
    assert "--password" in result.output
    assert user("13912345678") is None


@pytest.mark.demo
def test_demo_has_adopted_rules_and_an_amendment_open_for_voting(runner):
    from portal.rules import services as rules
    from portal.rules.models import Ballot, RuleDocument, RuleFiling, VersionState

    runner.invoke(args=["seed-demo"])
    hubin = db.session.scalar(sa.select(Village).where(Village.slug == "hubin"))
    [document] = db.session.scalars(
        sa.select(RuleDocument).where(RuleDocument.village_id == hubin.id)
    ).all()
    first, second = document.versions
    assert first.state == VersionState.ADOPTED and len(first.articles) >= 10
    text = "".join(a.body for a in first.articles)
    for topic in ("垃圾", "红白理事会", "彩礼", "赡养", "邻里", "充电"):
        assert topic in text
    assert "不设罚款" in text
    assert first.result.passed and first.result.quorum_met
    filing = db.session.scalar(sa.select(RuleFiling).where(RuleFiling.version_id == first.id))
    assert filing.state == "filed"

    now = clock.now()
    assert second.state == VersionState.VOTING and second.based_on_id == first.id
    assert second.vote_opens_at < now < second.vote_closes_at
    assert rules.vote_is_open(second, now)
    turnout = rules.turnout(second)
    assert 0 < turnout.voted < turnout.eligible
    assert rules.tally(second).turnout == turnout.voted
    # The first demo villager has not voted yet, and can.
    voter = user(demo.VILLAGER_PHONES[0])
    assert rules.ballot_of(second, voter.resident_id) is None
    assert not rules.cast_ballot(second, voter, "yes", now).changed
    db.session.commit()
    assert rules.turnout(second).voted == turnout.voted + 1

    ballots = db.session.scalar(sa.select(sa.func.count()).select_from(Ballot))
    result = runner.invoke(args=["seed-demo"])
    assert "nothing to add" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == ballots
