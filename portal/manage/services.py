"""The committee console's rules: verifying registrations, invite codes, appointments.

Each action runs in one transaction with its action-log row (DESIGN.md 2.6) and
raises `ConsoleError` with a message for the committee member when refused.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import clock
from portal.actions import NotFound, Refusal, unit_of_work
from portal.audit.services import record_action
from portal.auth.access import active_grants, is_verified_villager
from portal.auth.models import InviteCode, RegistrationStatus, Role, RoleGrant, User
from portal.auth.roles import (  # noqa: F401  (re-exported for the console's callers)
    RoleError,
    SeparationOfDutiesError,
    check_separation_of_duties,
    grant_role,
    revoke_role,
)
from portal.coltypes import UTCDateTime
from portal.extensions import db
from portal.villages.doors import sort_by_door
from portal.villages.models import Grid, Household, Resident, Village

ACTOR_ROLE = Role.COMMITTEE


# The console's refusals are the portal's one refusal (message, status, field).
ConsoleError = Refusal


# --- the verification queue 注册核实 ------------------------------------------------


def pending_registrations(village: Village) -> sa.Select:
    """Registrations waiting for this village's committee, oldest first."""
    return (
        sa.select(User)
        .where(User.village_id == village.id, User.status == RegistrationStatus.PENDING)
        .order_by(User.created_at, User.id)
    )


@dataclass
class Candidate:
    """A roster resident who may be the person who registered."""

    resident: Resident
    same_door: bool
    same_name: bool
    same_year: bool

    @property
    def score(self) -> int:
        return 2 * self.same_name + 2 * self.same_door + self.same_year


def compare(user: User, resident: Resident) -> Candidate | None:
    """How a roster resident matches what the applicant said: a candidate when the name
    or the door number is the same, else None (the committee may not match them)."""
    same_door = bool(user.claimed_door_number) and (
        resident.household.door_number == user.claimed_door_number
    )
    same_name = resident.name == user.name
    if not (same_door or same_name):
        return None
    return Candidate(resident, same_door, same_name, resident.birth_year == user.claimed_birth_year)


def candidates_for(village: Village, registrations: list[User]) -> dict[int, list[Candidate]]:
    """For each registration, residents without an account in the same household or with
    the same name, best matches first. One query for the whole page."""
    if not registrations:
        return {}
    doors = {u.claimed_door_number for u in registrations if u.claimed_door_number}
    names = {u.name for u in registrations}
    has_account = sa.select(User.id).where(User.resident_id == Resident.id).exists()
    rows = db.session.scalars(
        sa.select(Resident)
        .join(
            Household,
            sa.and_(Household.id == Resident.household_id, Household.village_id == village.id),
        )
        .where(
            Resident.village_id == village.id,
            ~has_account,
            sa.or_(Household.door_number.in_(doors), Resident.name.in_(names)),
        )
        .options(sa.orm.contains_eager(Resident.household))
        .order_by(Resident.id)
        .limit(50 * len(registrations))
    ).all()
    found: dict[int, list[Candidate]] = {}
    for user in registrations:
        matches = [
            candidate for resident in rows if (candidate := compare(user, resident)) is not None
        ]
        matches.sort(key=lambda c: -c.score)
        found[user.id] = matches[:10]
    return found


def _lock_registration(village: Village, user_id: int) -> User:
    user = db.session.scalar(
        sa.select(User)
        .where(User.id == user_id, User.village_id == village.id)
        .with_for_update(key_share=True)
    )
    if user is None:
        raise NotFound()
    if user.status != RegistrationStatus.PENDING:
        raise ConsoleError(_("这份注册申请已经处理过了。"))
    return user


def match_registration(actor: User, village: Village, user_id: int, resident_id: int) -> User:
    """Link a pending registration to a roster resident: verified, and a villager."""
    with unit_of_work():
        user = _lock_registration(village, user_id)
        resident = db.session.scalar(
            sa.select(Resident)
            .where(Resident.id == resident_id, Resident.village_id == village.id)
            .with_for_update(key_share=True)
        )
        if resident is None:
            raise ConsoleError(_("花名册里没有这位村民。"), status=422)
        linked = db.session.scalar(sa.select(User).where(User.resident_id == resident.id))
        if linked is not None:
            raise ConsoleError(
                _(
                    "花名册上的%(name)s已经关联了另一个账号，不能再关联。"
                    "如果那个账号不是本人的，请先联系管理员。",
                    name=resident.name,
                )
            )
        if compare(user, resident) is None:
            raise ConsoleError(
                _(
                    "花名册上的%(resident)s和申请人%(name)s的姓名、门牌号都对不上，"
                    "不能核实为同一个人。请从列出的人里选。",
                    resident=resident.name,
                    name=user.name,
                ),
                status=422,
            )
        user.resident_id = resident.id
        user.status = RegistrationStatus.VERIFIED
        user.refusal_reason = None
        user.outcome_seen_at = None  # the person is told of it (portal/auth, the header)
        if not active_grants(user, [Role.VILLAGER], village_id=village.id):
            db.session.add(
                RoleGrant(
                    user=user, role=Role.VILLAGER, village_id=village.id, granted_by_id=actor.id
                )
            )
        record_action(
            actor,
            ACTOR_ROLE,
            "registration.match",
            user,
            village=village,
            before={"status": RegistrationStatus.PENDING.value},
            after={"status": RegistrationStatus.VERIFIED.value, "resident_id": resident.id},
        )
    return user


def refuse_registration(actor: User, village: Village, user_id: int, reason: str) -> User:
    """Refuse a pending registration; the applicant sees the reason."""
    reason = reason.strip()
    if not reason:
        raise ConsoleError(_("请写明不通过的理由。"), status=422, field="reason")
    with unit_of_work():
        user = _lock_registration(village, user_id)
        user.status = RegistrationStatus.REFUSED
        user.refusal_reason = reason[:200]
        user.outcome_seen_at = None  # the person is told of it (portal/auth, the header)
        record_action(
            actor,
            ACTOR_ROLE,
            "registration.refuse",
            user,
            village=village,
            before={"status": RegistrationStatus.PENDING.value},
            after={"status": RegistrationStatus.REFUSED.value, "reason": user.refusal_reason},
        )
    return user


# --- invite codes 邀请码 ------------------------------------------------------------

# No 0/O, 1/I: a code read aloud or copied from paper by hand cannot be misread.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MAX_BULK = 5000


class InviteStatus:
    UNUSED = "unused"  # nobody has registered with it
    # Registered with: a person's code by its person; a household's code by a member,
    # while members without an account can still use it.
    USED = "used"
    SPENT = "spent"  # nothing left to do with it
    EXPIRED = "expired"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def fresh_codes(count: int) -> list[str]:
    """`count` random codes that no invite code uses yet."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {new_code() for _ in range(count - len(codes))} - codes
        taken: set[str] = set()
        chunk = list(wanted)
        for i in range(0, len(chunk), 500):
            taken.update(
                db.session.scalars(
                    sa.select(InviteCode.code).where(InviteCode.code.in_(chunk[i : i + 500]))
                )
            )
        codes.update(wanted - taken)
    return list(codes)[:count]


def _member_without_account(household_id) -> sa.Exists:
    member = sa.orm.aliased(Resident)
    return (
        sa.select(member.id)
        .where(
            member.household_id == household_id,
            ~sa.select(User.id).where(User.resident_id == member.id).exists(),
        )
        .exists()
    )


def _member_with_account(household_id) -> sa.Exists:
    member = sa.orm.aliased(Resident)
    return (
        sa.select(member.id)
        .join(User, User.resident_id == member.id)
        .where(member.household_id == household_id)
        .exists()
    )


def invite_status_expr(now=None) -> sa.Case:
    """An invite code's status, computed by the database (one definition for lists and counts).

    A person's code is spent once its person has an account; registered with the code,
    it shows as used. A household's code serves each member in turn: it is used as soon
    as one member has an account while others still lack one (they can still register
    with it), and spent once every member has one (and stays spent: registration takes
    no code marked used).

    `now` is the time codes expire against: the clock's time, unless a statement built
    once passes a bound parameter.
    """
    if now is None:
        now = clock.now()
    expired = sa.and_(InviteCode.expires_at.is_not(None), InviteCode.expires_at <= now)
    for_household = InviteCode.resident_id.is_(None)
    person_registered = sa.and_(
        InviteCode.resident_id.is_not(None),
        InviteCode.used_at.is_(None),
        sa.select(User.id).where(User.resident_id == InviteCode.resident_id).exists(),
    )
    household_all_registered = sa.and_(
        for_household, ~_member_without_account(InviteCode.household_id)
    )
    household_in_use = sa.and_(for_household, _member_with_account(InviteCode.household_id))
    # Registration takes no code once it is marked used: a household's code spent when
    # its last member registered stays spent, even if the roster gains a member later.
    household_closed = sa.and_(for_household, InviteCode.used_at.is_not(None))
    return sa.case(
        (sa.or_(person_registered, household_all_registered, household_closed), InviteStatus.SPENT),
        (InviteCode.used_at.is_not(None), InviteStatus.USED),
        (expired, InviteStatus.EXPIRED),
        (household_in_use, InviteStatus.USED),
        else_=InviteStatus.UNUSED,
    )


def invite_list(village: Village, status: str | None = None) -> sa.Select:
    query = sa.select(InviteCode).where(InviteCode.village_id == village.id)
    if status in (InviteStatus.UNUSED, InviteStatus.USED, InviteStatus.SPENT):
        expr = invite_status_expr()
        if status == InviteStatus.SPENT:
            query = query.where(expr.in_([InviteStatus.SPENT, InviteStatus.EXPIRED]))
        else:
            query = query.where(expr == status)
    return query.order_by(InviteCode.id.desc()).options(
        sa.orm.joinedload(InviteCode.household), sa.orm.joinedload(InviteCode.resident)
    )


@dataclass(frozen=True)
class InviteUsage:
    """What the list shows of a code besides the code itself: its status, and when it
    was first registered with (None while nobody has)."""

    status: str
    used_on: datetime | None


def _first_registration(code: type[InviteCode]) -> sa.ScalarSelect:
    """When the code was first registered with: its own stamp (a person's code, or a
    household's last use), else the first account a member of its household opened
    after the code was issued."""
    member = sa.orm.aliased(Resident)
    first_account = (
        sa.select(sa.func.min(User.created_at))
        .join(member, member.id == User.resident_id)
        .where(
            member.household_id == code.household_id,
            code.resident_id.is_(None),
            User.created_at >= code.created_at,
        )
        .scalar_subquery()
    )
    return sa.func.coalesce(code.used_at, first_account)


def usage_of(codes: list[InviteCode]) -> dict[int, InviteUsage]:
    """The status and first use of each code, in one statement for a page of codes."""
    if not codes:
        return {}
    rows = db.session.execute(
        sa.select(
            InviteCode.id,
            invite_status_expr(),
            sa.type_coerce(_first_registration(InviteCode), UTCDateTime),
        ).where(InviteCode.id.in_([c.id for c in codes]))
    )
    return {
        code_id: InviteUsage(status, used_on if status != InviteStatus.UNUSED else None)
        for code_id, status, used_on in rows
    }


def statuses_of(codes: list[InviteCode]) -> dict[int, str]:
    return {code_id: usage.status for code_id, usage in usage_of(codes).items()}


def unused_invite_count(village: Village) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(InviteCode)
        .where(InviteCode.village_id == village.id, invite_status_expr() == InviteStatus.UNUSED)
    )


def console_counts(village: Village) -> dict[str, int]:
    """The console home's figures: households, residents, registrations waiting, unused codes.

    One statement with a subquery for each figure, each served by an index on its
    village column.
    """
    row = db.session.execute(
        _console_counts_statement(), {"village_id": village.id, "now": clock.now()}
    ).one()
    return {name: value or 0 for name, value in row._mapping.items()}


@cache
def _console_counts_statement() -> sa.Select:
    """Built once, with bound parameters: the invite status expression is costly to build
    on every request, and a statement reused keeps its cache key."""
    village_id = sa.bindparam("village_id")

    def count(model, *where) -> sa.ScalarSelect:
        return sa.select(sa.func.count()).select_from(model).where(*where).scalar_subquery()

    return sa.select(
        count(Household, Household.village_id == village_id).label("households"),
        count(Resident, Resident.village_id == village_id, Resident.left_on.is_(None)).label(
            "residents"
        ),
        count(User, User.village_id == village_id, User.status == RegistrationStatus.PENDING).label(
            "pending"
        ),
        count(
            InviteCode,
            InviteCode.village_id == village_id,
            invite_status_expr(sa.bindparam("now")) == InviteStatus.UNUSED,
        ).label("unused_invites"),
    )


def _usable_code(household_id: int, resident_id: int | None) -> InviteCode | None:
    """A code for this household (or person) that still serves its purpose."""
    query = sa.select(InviteCode).where(
        InviteCode.household_id == household_id,
        invite_status_expr().in_([InviteStatus.UNUSED, InviteStatus.USED]),
    )
    if resident_id is None:
        query = query.where(InviteCode.resident_id.is_(None))
    else:
        query = query.where(InviteCode.resident_id == resident_id, InviteCode.used_at.is_(None))
    return db.session.scalars(query.limit(1)).first()


def find_invitee(
    village: Village, door_number: str, name: str = ""
) -> tuple[Household, Resident | None]:
    """The household (and person, if one is named) an invite code is asked for."""
    door_number = unicodedata.normalize("NFKC", door_number).strip()
    name = unicodedata.normalize("NFKC", name).strip()
    household = db.session.scalar(
        sa.select(Household).where(
            Household.village_id == village.id, Household.door_number == door_number
        )
    )
    if household is None:
        raise ConsoleError(
            _("本村花名册里没有门牌号“%(door)s”。", door=door_number),
            status=422,
            field="door_number",
        )
    if not name:
        return household, None
    people = [r for r in household.residents if r.name == name]
    if not people:
        raise ConsoleError(
            _("%(door)s没有叫%(name)s的人。", door=door_number, name=name),
            status=422,
            field="name",
        )
    if len(people) > 1:
        raise ConsoleError(
            _(
                "%(door)s有两位以上叫%(name)s的人，无法区分，请给全户发码。",
                door=door_number,
                name=name,
            ),
            status=422,
            field="name",
        )
    return household, people[0]


def issue_invite(
    actor: User, village: Village, household: Household, resident: Resident | None = None
) -> InviteCode:
    """One code for a household, or for one person in it who has no account yet."""
    with unit_of_work():
        if resident is not None:
            if db.session.scalar(sa.select(User.id).where(User.resident_id == resident.id)):
                raise ConsoleError(
                    _("%(name)s已经注册了，不需要邀请码。", name=resident.name), status=422
                )
            existing = _usable_code(household.id, resident.id)
            if existing is not None:
                raise ConsoleError(
                    _(
                        "%(name)s已有未使用的邀请码 %(code)s。",
                        name=resident.name,
                        code=existing.code,
                    )
                )
        else:
            if not db.session.scalar(sa.select(_member_without_account(household.id))):
                raise ConsoleError(
                    _(
                        "%(door)s的人都已注册，或花名册上还没有人，不需要邀请码。",
                        door=household.door_number,
                    ),
                    status=422,
                )
            existing = _usable_code(household.id, None)
            if existing is not None:
                raise ConsoleError(
                    _(
                        "%(door)s已有可用的邀请码 %(code)s。",
                        door=household.door_number,
                        code=existing.code,
                    )
                )
        invite = InviteCode(
            code=fresh_codes(1)[0],
            village_id=village.id,
            household_id=household.id,
            resident_id=resident.id if resident else None,
            created_by_id=actor.id,
        )
        db.session.add(invite)
        record_action(
            actor,
            ACTOR_ROLE,
            "invite.issue",
            invite,
            village=village,
            after={"household_id": household.id, "resident_id": invite.resident_id},
        )
    return invite


def households_needing_codes(village: Village) -> sa.Select:
    """Households with residents, none of whom has an account, and no code still usable."""
    nobody_registered = ~(
        sa.select(Resident.id)
        .join(User, User.resident_id == Resident.id)
        .where(Resident.household_id == Household.id)
        .exists()
    )
    has_residents = sa.select(Resident.id).where(Resident.household_id == Household.id).exists()
    code = sa.orm.aliased(InviteCode)
    has_code = (
        sa.select(code.id)
        .where(
            code.household_id == Household.id, code.resident_id.is_(None), code.used_at.is_(None)
        )
        .where(sa.or_(code.expires_at.is_(None), code.expires_at > clock.now()))
        .exists()
    )
    return (
        sa.select(Household)
        .where(Household.village_id == village.id, has_residents, nobody_registered, ~has_code)
        .order_by(sa.func.length(Household.door_number), Household.door_number, Household.id)
    )


def count_households_needing_codes(village: Village) -> int:
    query = households_needing_codes(village).order_by(None).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(query))


def issue_bulk_invites(actor: User, village: Village) -> list[InviteCode]:
    """A household code for every household where nobody has an account yet, in one go."""
    with unit_of_work():
        households = db.session.scalars(households_needing_codes(village).limit(MAX_BULK)).all()
        if not households:
            return []
        codes = fresh_codes(len(households))
        invites = [
            InviteCode(code=code, village_id=village.id, household_id=h.id, created_by_id=actor.id)
            for code, h in zip(codes, households, strict=True)
        ]
        db.session.add_all(invites)
        db.session.flush()
        record_action(
            actor,
            ACTOR_ROLE,
            "invite.issue_bulk",
            village,
            village=village,
            after={"count": len(invites), "first_id": invites[0].id, "last_id": invites[-1].id},
        )
    return invites


def invites_for_print(
    village: Village,
    ids: list[int] | None = None,
    first: int | None = None,
    last: int | None = None,
) -> list[InviteCode]:
    """Codes of this village by id, or an id range (a batch), ordered by door number as
    people read them (一组 before 二组, 2号 before 10号)."""
    query = (
        sa.select(InviteCode)
        .join(InviteCode.household)
        .where(InviteCode.village_id == village.id)
        .options(
            sa.orm.contains_eager(InviteCode.household), sa.orm.joinedload(InviteCode.resident)
        )
        .order_by(InviteCode.id)
    )
    if ids:
        query = query.where(InviteCode.id.in_(ids[:MAX_BULK]))
    elif first is not None and last is not None:
        query = query.where(InviteCode.id.between(first, last))
    else:
        return []
    codes = list(db.session.scalars(query.limit(MAX_BULK)))
    return sort_by_door(codes, door=lambda code: code.household.door_number)


# --- appointments 任命 --------------------------------------------------------------

APPOINTABLE = (Role.GRID_WORKER, Role.SUPERVISOR, Role.SHOPKEEPER)


def verified_villager(village: Village, phone: str = "", user_id: int | None = None) -> User:
    """The verified villager of this village with this phone number (or id)."""
    if user_id:
        user = db.session.get(User, user_id)
    else:
        user = db.session.scalar(sa.select(User).where(User.phone == phone))
    if user is None or not is_verified_villager(user, village.id):
        raise ConsoleError(
            _("没有找到这个手机号注册、并已核实的本村村民。"), status=422, field="phone"
        )
    return user


def active_appointments(village: Village) -> list[RoleGrant]:
    """Committee members, supervisors, grid workers and shopkeepers of this village, by
    role then name."""
    return list(
        db.session.scalars(
            sa.select(RoleGrant)
            .join(RoleGrant.user)
            # This village's grids only: a plain join may hash every grid of the city.
            .outerjoin(Grid, sa.and_(Grid.id == RoleGrant.grid_id, Grid.village_id == village.id))
            .where(
                RoleGrant.village_id == village.id,
                RoleGrant.role.in_(
                    [Role.COMMITTEE, Role.SUPERVISOR, Role.GRID_WORKER, Role.SHOPKEEPER]
                ),
                RoleGrant.revoked_at.is_(None),
            )
            .options(
                sa.orm.contains_eager(RoleGrant.user)
                .joinedload(User.resident)
                .joinedload(Resident.household),
                sa.orm.contains_eager(RoleGrant.grid),
            )
            .order_by(RoleGrant.role, RoleGrant.grid_id, User.name, RoleGrant.id)
        )
    )


def appoint(
    actor: User, village: Village, user: User, role: Role, grid: Grid | None = None
) -> RoleGrant:
    """Appoint a verified villager as grid worker for a grid, supervisor or shopkeeper."""
    if role not in APPOINTABLE:
        raise ConsoleError(
            _("这里只能任命网格员、村务监督委员会成员和积分超市管理员。"), status=422, field="role"
        )
    if role == Role.GRID_WORKER and (grid is None or grid.village_id != village.id):
        raise ConsoleError(_("请选择本村的一个网格。"), status=422, field="grid_id")
    if role != Role.GRID_WORKER:
        grid = None
    with unit_of_work():
        try:
            grant = grant_role(actor, ACTOR_ROLE, user, role, village=village, grid=grid)
        except RoleError as error:
            raise ConsoleError(error.message, status=422) from error
    return grant


def revoke(actor: User, village: Village, grant_id: int) -> RoleGrant:
    """End a grid worker's or supervisor's appointment (the grant stays, with its end date)."""
    with unit_of_work():
        grant = db.session.scalar(
            sa.select(RoleGrant)
            .where(RoleGrant.id == grant_id, RoleGrant.village_id == village.id)
            .with_for_update()
        )
        if grant is None or grant.role not in APPOINTABLE:
            raise NotFound()
        try:
            revoke_role(actor, ACTOR_ROLE, grant)
        except RoleError as error:
            raise ConsoleError(error.message) from error
    return grant
