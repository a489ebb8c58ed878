"""What the bench needs inside the database, made in-process with the portal's models.

Run as `python -m bench.prepare OUTDIR [--writes N]` with DATABASE_URL and SECRET_KEY
of the server under test. It writes, to OUTDIR:

- `roles.json`: a session cookie for each demo role, made the way the login form makes
  one (a login record, and the signed session naming it) but without the form, whose
  rate limit allows five logins a minute;
- with `--writes N`: `ballot.txt`, `endorse.txt`, `approve.txt`, `redeem.txt`, one
  request a line (method, path, cookie, form body, HX-Target; tab-separated) for
  `bench/writes.lua`, after adding to the demo village what those writes need: N
  verified villagers on the roll of the vote in voting, nominations collecting
  endorsements, pending points entries recorded by one committee member for the other
  to approve, and balances and stock for the shop counter.

`python -m bench.prepare OUTDIR --count` prints (as JSON) what the writes left behind,
so the bench can check that every request it counted really wrote its row.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_login.utils import _create_identifier
from itsdangerous import URLSafeTimedSerializer

from portal import clock, create_app
from portal.auth.models import LoginSession, RegistrationStatus, Role, RoleGrant, User
from portal.auth.sessions import token_hash
from portal.demo import DEMO_VILLAGE, demo_password_hash
from portal.extensions import db
from portal.nominations import services as nominations
from portal.nominations.models import Endorsement, Nomination, NominationState
from portal.points import services as points
from portal.points.models import (
    STOCK_MAX,
    Channel,
    EntryState,
    LedgerEntry,
    LedgerKind,
    PointItem,
    PointsEntry,
    Reward,
)
from portal.rules.models import Ballot, BallotChannel, RuleVersion, VersionState, VoteEligibility
from portal.villages.models import Gender, Grid, Household, Resident, Village

ROLE_PHONES = {
    "villager": "13800000010",
    "committee": "13800000001",
    "committee2": "13800000005",
    "shopkeeper": "13800000006",
    "grid": "13800000002",
    "supervisor": "13800000003",
    "town": "13800000004",
    "admin": "13800000000",
}
# The bench's own villagers: phones no demo account uses.
BENCH_PHONE = "1779{:07d}"
BENCH_DOOR = "压测{:04d}号"
PER_HOUSEHOLD = 4
NOMINATIONS = 8
PENDING_ENTRIES = 4000
BALANCE = 1_000_000


class Signer:
    """Session cookies and CSRF tokens as the server signs them, with its SECRET_KEY."""

    def __init__(self, app: Flask):
        self.app = app
        self.serializer = app.session_interface.get_signing_serializer(app)
        secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        self.csrf = URLSafeTimedSerializer(secret, salt="wtf-csrf-token")
        self.name = app.config["SESSION_COOKIE_NAME"]
        # Flask-Login's "basic" session protection compares this with the request's
        # (address and User-Agent: wrk sends none); equal, it leaves the session alone.
        with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            self.identifier = _create_identifier()

    def login(self, users: list[User]) -> list[tuple[str, str]]:
        """A login record for each of `users` (in one insert), and its (cookie, token)."""
        if not users:
            return []
        tokens = [secrets.token_urlsafe(32) for _ in users]
        db.session.execute(
            sa.insert(LoginSession),
            [
                {"user_id": user.id, "token_hash": token_hash(token)}
                for user, token in zip(users, tokens, strict=True)
            ],
        )
        db.session.commit()
        out = []
        for user, token in zip(users, tokens, strict=True):
            raw = secrets.token_hex(20)
            session = {
                "_user_id": f"{user.id}:{user.session_version}:{token}",
                "_fresh": True,
                "_id": self.identifier,
                "csrf_token": raw,
            }
            cookie = f"{self.name}={self.serializer.dumps(session)}"
            out.append((cookie, self.csrf.dumps(raw)))
        return out


def demo_village() -> Village:
    return db.session.scalars(sa.select(Village).where(Village.slug == DEMO_VILLAGE)).one()


def user_by_phone(phone: str) -> User:
    return db.session.scalars(sa.select(User).where(User.phone == phone)).one()


def role_cookies(signer: Signer) -> dict[str, dict[str, str]]:
    """A cookie for each demo role whose account the database has (a data set made by
    `flask seed-scale` may have other people)."""
    found = {
        u.phone: u
        for u in db.session.scalars(sa.select(User).where(User.phone.in_(ROLE_PHONES.values())))
    }
    users = {role: found[phone] for role, phone in ROLE_PHONES.items() if phone in found}
    made = signer.login(list(users.values()))
    return {
        role: {"cookie": cookie, "csrf": csrf, "user_id": user.id}
        for (role, user), (cookie, csrf) in zip(users.items(), made, strict=True)
    }


def demo_ids() -> dict:
    """The pages the bench needs by their state, which a link's place cannot tell: the
    vote now open, a nomination collecting endorsements, the demo villager's household."""
    village = db.session.scalars(sa.select(Village).where(Village.slug == DEMO_VILLAGE)).first()
    if village is None:
        return {}
    ids: dict = {}
    version = voting_version(village)
    if version is not None:
        ids["vote"] = f"/v/{village.slug}/rules/{version.document_id}/versions/{version.number}"
    nomination = db.session.scalar(
        sa.select(Nomination.id)
        .where(
            Nomination.village_id == village.id,
            Nomination.state == NominationState.SUBMITTED,
        )
        .order_by(Nomination.id)
        .limit(1)
    )
    if nomination is not None:
        ids["open nomination"] = f"/v/{village.slug}/nominations/{nomination}"
    household = db.session.scalar(
        sa.select(Resident.household_id)
        .join(User, User.resident_id == Resident.id)
        .where(User.phone == ROLE_PHONES["villager"])
    )
    if household is not None:
        ids["villager household"] = f"/v/{village.slug}/points/households/{household}"
    return ids


def voting_version(village: Village) -> RuleVersion:
    return db.session.scalars(
        sa.select(RuleVersion)
        .where(RuleVersion.village_id == village.id, RuleVersion.state == VersionState.VOTING)
        .order_by(RuleVersion.id)
    ).first()


def add_villagers(village: Village, version: RuleVersion, count: int) -> list[User]:
    """`count` verified villagers of the village, on the roll of `version`; they are added
    to the frozen roll directly, as if they had been on the roster at its opening."""
    existing = list(
        db.session.scalars(
            sa.select(User).where(User.phone.like("1779%")).order_by(User.phone).limit(count)
        )
    )
    if len(existing) >= count:
        return existing
    grids = list(db.session.scalars(sa.select(Grid.id).where(Grid.village_id == village.id)))
    households = []
    for n in range(len(existing), count, PER_HOUSEHOLD):
        household = Household(
            village_id=village.id,
            grid_id=grids[(n // PER_HOUSEHOLD) % len(grids)] if grids else None,
            door_number=BENCH_DOOR.format(n // PER_HOUSEHOLD),
        )
        households.append(household)
    db.session.add_all(households)
    db.session.flush()
    password = demo_password_hash()
    users = []
    for n in range(len(existing), count):
        household = households[(n - len(existing)) // PER_HOUSEHOLD]
        resident = Resident(
            village_id=village.id,
            household_id=household.id,
            name=f"压测村民{n:04d}",
            birth_year=1960 + n % 40,
            gender=Gender.MALE if n % 2 else Gender.FEMALE,
        )
        db.session.add(resident)
        users.append(
            User(
                phone=BENCH_PHONE.format(n),
                name=resident.name,
                password_hash=password,
                resident=resident,
                village=village,
                status=RegistrationStatus.VERIFIED,
                outcome_seen_at=clock.now(),
                grants=[RoleGrant(role=Role.VILLAGER, village=village)],
            )
        )
    db.session.add_all(users)
    db.session.flush()
    db.session.execute(
        sa.insert(VoteEligibility),
        [
            {"version_id": version.id, "resident_id": u.resident_id, "household_id": h}
            for u, h in ((u, u.resident.household_id) for u in users)
        ],
    )
    version.roll_eligible_count = (version.roll_eligible_count or 0) + len(users)
    version.roll_household_count = (version.roll_household_count or 0) + len(households)
    db.session.commit()
    return existing + users


def add_nominations(village: Village, users: list[User]) -> list[Nomination]:
    """Nominations collecting endorsements: the demo's, and more nominated by the bench's
    villagers through the service, so endorsements do not all wait on one row."""
    found = list(
        db.session.scalars(
            sa.select(Nomination).where(
                Nomination.village_id == village.id,
                Nomination.state == NominationState.SUBMITTED,
            )
        )
    )
    categories = nominations.categories(village)
    for n, user in enumerate(users[-NOMINATIONS:]):
        if len(found) >= NOMINATIONS:
            break
        nominee = users[n]
        try:
            found.append(
                nominations.nominate(
                    user,
                    village,
                    category_id=categories[n % len(categories)].id,
                    nominee_resident_id=nominee.resident_id,
                    story="压测用的推荐：帮邻居修好了漏水的屋顶，还把院子打扫得干干净净。" * 2,
                    deed_on=clock.today_local() - timedelta(days=3),
                )
            )
            db.session.commit()
        except Exception as error:  # noqa: BLE001 - a refusal only means one fewer
            db.session.rollback()
            print(f"  a nomination was refused: {error}", file=sys.stderr)
    return found


def add_pending_entries(
    village: Village, recorders: list[User], households: list[int], count: int
) -> None:
    """Pending points entries, recorded alternately by the two committee members, for
    households of neither (so whoever did not record one may approve it)."""
    item = db.session.scalars(
        sa.select(PointItem)
        .where(
            PointItem.village_id == village.id,
            PointItem.retired_at.is_(None),
            PointItem.points > 0,
        )
        .order_by(PointItem.id)
    ).first()
    today = clock.today_local()
    db.session.execute(
        sa.insert(PointsEntry),
        [
            {
                "village_id": village.id,
                "household_id": households[n % len(households)],
                "item_id": item.id,
                "points": item.points,
                "occurred_on": today - timedelta(days=n % 30),
                "channel": Channel.COMMITTEE,
                "state": EntryState.PENDING,
                "recorded_by_id": recorders[n % 2].id,
                "note": "压测",
                "created_at": clock.now(),
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def fund_households(village: Village, households: list[int]) -> None:
    """A large balance for each household and stock for every reward. The balance comes in
    as a year's opening row (an award would need an approved entry behind it)."""
    now = clock.now()
    for household_id in households:
        account = points.lock_account(village.id, household_id)
        points._write(account, LedgerKind.OPENING, BALANCE, now=now, actor=None, note="压测")
    db.session.execute(
        sa.update(Reward)
        .where(Reward.village_id == village.id, Reward.retired_at.is_(None))
        .values(stock=STOCK_MAX)
    )
    db.session.commit()


def write_lines(path: Path, lines: list[tuple[str, ...]]) -> None:
    path.write_text("".join("\t".join(line) + "\n" for line in lines), encoding="utf-8")


def prepare_writes(
    signer: Signer,
    roles: dict,
    outdir: Path,
    count: int,
    pending: int = PENDING_ENTRIES,
    households_max: int | None = None,
) -> dict:
    village = demo_village()
    slug = village.slug
    version = voting_version(village)
    users = add_villagers(village, version, count)
    made = signer.login(users)
    base = f"/v/{slug}/rules/{version.document_id}/versions/{version.number}/vote"
    write_lines(
        outdir / "ballot.txt",
        [
            ("POST", base, cookie, f"csrf_token={csrf}&choice={'yes' if n % 2 else 'no'}", "vote")
            for n, (cookie, csrf) in enumerate(made)
        ],
    )

    open_nominations = add_nominations(village, users)
    lines = []
    for k, nomination in enumerate(open_nominations):
        path = f"/v/{slug}/nominations/{nomination.id}/endorse"
        for n, user in enumerate(users):
            if user.resident_id == nomination.nominator_resident_id:
                continue
            cookie, csrf = made[n]
            lines.append((n * len(open_nominations) + k, path, cookie, csrf, nomination.id))
    lines.sort()
    write_lines(
        outdir / "endorse.txt",
        [
            ("POST", path, cookie, f"csrf_token={csrf}", f"endorse-{nid}")
            for _, path, cookie, csrf, nid in lines
        ],
    )

    committee = [user_by_phone(ROLE_PHONES["committee"]), user_by_phone(ROLE_PHONES["committee2"])]
    own = {points._own_household(u) for u in committee}
    cadre = points.cadre_households(village.id)
    households = list(
        db.session.scalars(
            sa.select(Household.id)
            .where(Household.village_id == village.id, Household.id.not_in(own | cadre))
            .order_by(Household.id)
            .limit(households_max)
        )
    )
    add_pending_entries(village, committee, households, pending)
    cookies = {
        u.id: roles["committee" if n == 0 else "committee2"] for n, u in enumerate(committee)
    }
    entries = db.session.execute(
        sa.select(PointsEntry.id, PointsEntry.recorded_by_id)
        .where(PointsEntry.village_id == village.id, PointsEntry.note == "压测")
        .where(PointsEntry.state == EntryState.PENDING)
        .order_by(PointsEntry.id)
    ).all()
    approve = []
    for entry_id, recorder in entries:
        other = cookies[committee[1].id if recorder == committee[0].id else committee[0].id]
        approve.append(
            (
                "POST",
                f"/v/{slug}/manage/points/{entry_id}/approve",
                other["cookie"],
                f"csrf_token={other['csrf']}",
                f"entry-{entry_id}",
            )
        )
    write_lines(outdir / "approve.txt", approve)

    fund_households(village, households)
    rewards = list(
        db.session.scalars(
            sa.select(Reward.id)
            .where(Reward.village_id == village.id, Reward.retired_at.is_(None))
            .order_by(Reward.id)
        )
    )
    counter = [roles["shopkeeper"], roles["committee"]]
    write_lines(
        outdir / "redeem.txt",
        [
            (
                "POST",
                f"/v/{slug}/shop/counter/redeem",
                counter[n % 2]["cookie"],
                f"csrf_token={counter[n % 2]['csrf']}&household={households[n % len(households)]}"
                f"&reward={rewards[n % len(rewards)]}&quantity=1",
                "counter-household",
            )
            for n in range(len(households) * len(rewards))
        ],
    )
    return {
        "voters": len(users),
        "nominations": len(open_nominations),
        "pending_entries": len(entries),
        "households_funded": len(households),
        "rewards": len(rewards),
    }


def count_writes() -> dict:
    """What the write runs left in the database, to compare with wrk's counts."""
    village = demo_village()
    version = voting_version(village)
    bench_residents = sa.select(User.resident_id).where(User.phone.like("1779%"))
    ballots = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Ballot)
        .where(
            Ballot.version_id == version.id,
            Ballot.channel == BallotChannel.ONLINE,
            Ballot.resident_id.in_(bench_residents),
        )
    )
    changed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Ballot)
        .where(
            Ballot.version_id == version.id,
            Ballot.resident_id.in_(bench_residents),
            Ballot.changed_at.is_not(None),
        )
    )
    endorsements = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Endorsement)
        .where(Endorsement.resident_id.in_(bench_residents))
    )
    approved = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PointsEntry)
        .where(PointsEntry.note == "压测", PointsEntry.state != EntryState.PENDING)
    )
    redemptions = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.village_id == village.id, LedgerEntry.kind == LedgerKind.REDEMPTION)
    )
    return {
        "ballots": ballots,
        "ballots_changed": changed,
        "endorsements": endorsements,
        "approvals": approved,
        "redemptions": redemptions,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--writes", type=int, default=0, help="villagers for the write runs")
    parser.add_argument("--count", action="store_true", help="print what the writes left")
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        if args.count:
            print(json.dumps(count_writes()))
            return 0
        signer = Signer(app)
        roles = role_cookies(signer)
        summary = {}
        if args.writes:
            summary = prepare_writes(signer, roles, args.outdir, args.writes)
        summary["counts_before"] = count_writes() if args.writes else {}
        (args.outdir / "roles.json").write_text(json.dumps(roles))
        (args.outdir / "ids.json").write_text(json.dumps(demo_ids()))
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
