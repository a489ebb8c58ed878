"""factory_boy factories and one-line helpers for each role."""

from __future__ import annotations

import factory
import sqlalchemy as sa
from factory.alchemy import SQLAlchemyModelFactory

from portal.auth.models import InviteCode, RegistrationStatus, Role, RoleGrant, User
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.villages.models import Gender, Grid, Household, Resident, Town, Village

PASSWORD = "correct-horse-9"
_HASH: dict[str, str] = {}


def password_hash(password: str = PASSWORD) -> str:
    """argon2 is slow on purpose; hash the shared test password once."""
    if password not in _HASH:
        _HASH[password] = hash_password(password)
    return _HASH[password]


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class TownFactory(Base):
    class Meta:
        model = Town

    name = factory.Sequence(lambda n: f"测试{n}镇")
    slug = factory.Sequence(lambda n: f"town{n}")


class VillageFactory(Base):
    class Meta:
        model = Village

    town = factory.SubFactory(TownFactory)
    name = factory.Sequence(lambda n: f"测试{n}村")
    slug = factory.Sequence(lambda n: f"village{n}")


class GridFactory(Base):
    class Meta:
        model = Grid

    village = factory.SubFactory(VillageFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")


class HouseholdFactory(Base):
    class Meta:
        model = Household

    village = factory.SubFactory(VillageFactory)
    # "1栋", "2栋"...: never equal to, nor found by a search for, the "N号" door numbers
    # tests give their households by hand, whatever order the tests run in.
    door_number = factory.Sequence(lambda n: f"{n + 1}栋")


class ResidentFactory(Base):
    class Meta:
        model = Resident

    household = factory.SubFactory(HouseholdFactory)
    village = factory.SelfAttribute("household.village")
    name = factory.Sequence(lambda n: f"村民{n}")
    birth_year = 1970
    gender = Gender.FEMALE


class UserFactory(Base):
    class Meta:
        model = User

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password_hash = factory.LazyFunction(password_hash)
    status = RegistrationStatus.PENDING


class RoleGrantFactory(Base):
    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = Role.VILLAGER


class InviteCodeFactory(Base):
    class Meta:
        model = InviteCode

    household = factory.SubFactory(HouseholdFactory)
    village = factory.SelfAttribute("household.village")
    code = factory.Sequence(lambda n: f"TEST{n:06d}")


def villager(village: Village, birth_year: int = 1970, **kwargs) -> User:
    """A verified villager of `village`, linked to a new resident in a new household
    (or in `household=`, when given)."""
    household = kwargs.pop("household", None) or HouseholdFactory(village=village)
    resident = ResidentFactory(household=household, birth_year=birth_year, **kwargs)
    user = UserFactory(
        name=resident.name,
        resident=resident,
        village=village,
        status=RegistrationStatus.VERIFIED,
    )
    RoleGrantFactory(user=user, role=Role.VILLAGER, village=village)
    return user


def official(
    role: Role,
    village: Village | None = None,
    grid: Grid | None = None,
    town: Town | None = None,
    **kwargs,
) -> User:
    """A user holding `role` in `village` (or for `town`, or site-wide for admin)."""
    user = UserFactory(**kwargs)
    RoleGrantFactory(
        user=user,
        role=role,
        village=village,
        grid=grid,
        town=town or (village.town if village is not None and role == Role.TOWN_OFFICIAL else None),
    )
    return user


def count(model, *where) -> int:
    """Rows of `model` (matching `where`) as the database now has them: the test's own
    read transaction is ended first, so what requests wrote is seen."""
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
