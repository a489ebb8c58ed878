"""The identity rules without HTTP: passwords, codes, and concurrent use of one code."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from portal.auth import services
from portal.auth.models import InviteCode, User
from portal.extensions import db
from portal.villages.models import Village
from tests.auth.conftest import GOOD_PASSWORD


@pytest.fixture
def request_ctx(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("abc", True),
        ("aaaaaaaaaaaa", True),
        ("12345678901", True),
        ("123456789012", False),
        ("QWERTYUIOP", True),
        ("woaini1314", True),
        ("x13912345678y", True),
        ("green-tea-river-9", False),
        ("x" * 129, True),
    ],
)
def test_password_policy(request_ctx, password, refused):
    assert (services.password_problem(password, "13912345678") is not None) is refused


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("139 1234 5678", "13912345678"),
        ("+8613912345678", "13912345678"),
        ("139-1234-5678", "13912345678"),
    ],
)
def test_phone_normalisation(raw, normal):
    assert services.normalize_phone(raw) == normal


@pytest.mark.parametrize("phone", ["13912345678", "19912345678"])
def test_good_phones(request_ctx, phone):
    assert services.phone_format_problem(phone) is None


@pytest.mark.parametrize("phone", ["12912345678", "1391234567", "139123456789", "1391234567a", ""])
def test_bad_phones(request_ctx, phone):
    assert services.phone_format_problem(phone) is not None


def test_second_use_of_a_person_code_is_refused(request_ctx, person_code):
    services.register_with_invite(
        phone="13900000001", password=GOOD_PASSWORD, name="王建国", code="HBP0001"
    )
    with pytest.raises(services.IdentityError) as refused:
        services.register_with_invite(
            phone="13900000002", password=GOOD_PASSWORD, name="王建国", code="HBP0001"
        )
    assert refused.value.field == "invite_code"
    assert "已经用过了" in str(refused.value.message)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_foreign_code_is_refused_by_the_service_too(request_ctx, hubin, foreign_code):
    with pytest.raises(services.IdentityError) as refused:
        services.register_with_invite(
            phone="13900000001",
            password=GOOD_PASSWORD,
            name="赵大山",
            code="SQH0001",
            village=hubin,
        )
    assert refused.value.field == "invite_code"


def run_together(app, count: int, action) -> list[str]:
    """Run `action(i)` in `count` threads released at once, each with its own session."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def worker(i: int) -> None:
        with app.test_request_context():
            try:
                barrier.wait()
                action(i)
                outcomes.append("ok")
            except services.IdentityError as error:
                outcomes.append(error.field)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_concurrent_uses_of_one_person_code_let_exactly_one_through(app, person_code):
    resident_id = person_code.resident_id
    db.session.commit()

    outcomes = run_together(
        app,
        6,
        lambda i: services.register_with_invite(
            phone=f"1390000001{i}", password=GOOD_PASSWORD, name="王建国", code="HBP0001"
        ),
    )

    assert sorted(outcomes) == ["invite_code"] * 5 + ["ok"]
    db.session.rollback()
    users = db.session.scalars(sa.select(User).where(User.resident_id == resident_id)).all()
    assert len(users) == 1
    code = db.session.scalar(sa.select(InviteCode).where(InviteCode.code == "HBP0001"))
    assert code.used_by_id == users[0].id


def test_concurrent_uses_of_a_household_code_give_each_member_one_account(app, household_code):
    household_id = household_code.household_id
    db.session.commit()
    names = ["王建国", "李秀英", "王建国", "李秀英"]

    outcomes = run_together(
        app,
        4,
        lambda i: services.register_with_invite(
            phone=f"1390000002{i}", password=GOOD_PASSWORD, name=names[i], code="HBH0001"
        ),
    )

    assert outcomes.count("ok") == 2
    db.session.rollback()
    accounts = db.session.scalars(
        sa.select(User).join(User.resident).where(User.resident.has(household_id=household_id))
    ).all()
    assert sorted(u.name for u in accounts) == ["李秀英", "王建国"]
    code = db.session.scalar(sa.select(InviteCode).where(InviteCode.code == "HBH0001"))
    assert code.used_at is not None


def test_concurrent_registrations_of_one_phone_make_one_account(app, hubin):
    village_id = hubin.id
    db.session.commit()
    outcomes = run_together(
        app,
        4,
        lambda i: services.register_pending(
            phone="13900000099",
            password=GOOD_PASSWORD,
            name=f"申请人{i}",
            village=db.session.get(Village, village_id),
            door_number="1号",
            birth_year=1970,
        ),
    )
    assert sorted(outcomes) == ["ok", "phone", "phone", "phone"]
