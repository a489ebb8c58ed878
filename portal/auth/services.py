"""The rules of identity: phone numbers, passwords, invite codes, registration, login.

No `request` and no templates here: views parse the form, call these functions and
render. Each action that writes is one `unit_of_work()`; the ones that read an invite
code and then spend it lock the code's row inside it, so one code cannot be used twice
by registrations that arrive together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal import clock
from portal.actions import NotFound, Refusal, unit_of_work
from portal.audit.services import record_action
from portal.auth.access import require_committee
from portal.auth.models import InviteCode, RegistrationStatus, Role, RoleGrant, User
from portal.auth.passwords import hash_password, needs_rehash, verify_password
from portal.auth.sessions import revoke_all_logins
from portal.extensions import db
from portal.villages.models import Grid, Household, Resident, Town, Village

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
PASSWORD_MIN = 10
PASSWORD_MAX = 128
DIGITS_ONLY_MIN = 12
# Above this many villages the registration page stops listing them all in a select
# (a city's 1,500 villages would outweigh the page): the applicant starts from
# their village's home page instead, which links here with ?village=<slug>.
VILLAGE_SELECT_MAX = 300

# Passwords people pick first, and keyboard or alphabet runs, all at least
# PASSWORD_MIN long (shorter ones are refused by length anyway). Compared lowercased.
COMMON_PASSWORDS = frozenset(
    {
        "password123",
        "password1234",
        "passw0rd123",
        "1234567890a",
        "a1234567890",
        "aa1234567890",
        "abc1234567",
        "abc12345678",
        "abcd123456",
        "abcd1234567",
        "a123456789",
        "aa123456789",
        "qwertyuiop",
        "qwerty12345",
        "qwerty123456",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "qazwsxedcrfv",
        "asdfghjkl;",
        "zxcvbnm123",
        "abcdefghij",
        "abcdefghijk",
        "abcdefghijkl",
        "iloveyou123",
        "woaini1314520",
        "woaini5201314",
        "5201314woaini",
        "woaini1314",
        "woaini520",
        "admin12345",
        "admin123456",
        "administrator",
        "welcome123",
        "changeme123",
        "letmein123",
        "shanzhi123",
        "shanzhi1234",
    }
)


class IdentityError(Refusal):
    """A refusal with a message for the person, tied to the form field it is about."""

    status = 422

    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)


# ---- phone numbers -------------------------------------------------------------------


def normalize_phone(raw: str | None) -> str:
    """Digits as people type them: spaces and dashes dropped, a +86 prefix removed."""
    phone = re.sub(r"[\s\-]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone


def phone_format_problem(phone: str) -> str | None:
    if not phone:
        return _l("请填写手机号。")
    if not PHONE_PATTERN.match(phone):
        return _l("请填写11位手机号码，例如13812345678。")
    return None


def phone_taken(phone: str) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.phone == phone)) is not None


def phone_taken_message() -> str:
    """A number already registered: most often the person's own account, sometimes one
    someone else made with it (the committee can free it: `free_phone`)."""
    return _l("这个手机号已经注册过了，请直接登录。如果不是您本人注册的，请联系村委会。")


def phone_problem(phone: str) -> str | None:
    """What is wrong with `phone` for a new account, or None."""
    problem = phone_format_problem(phone)
    if problem:
        return problem
    if phone_taken(phone):
        return phone_taken_message()
    return None


def masked_phone(phone: str) -> str:
    """A phone number for the action log: 139****5678."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "****"


def freed_phone(user_id: int) -> str:
    """What a freed account keeps in place of its number: no phone number can look like
    it (they start with 1), and it is unique as the account's id is."""
    return f"x{user_id:010d}"


def unverified_holder(village: Village, phone: str) -> User | None:
    """The registration to `village`, not verified, that holds `phone` (or None)."""
    if not PHONE_PATTERN.match(phone or ""):
        return None
    return db.session.scalar(
        sa.select(User).where(
            User.phone == phone,
            User.village_id == village.id,
            User.resident_id.is_(None),
            User.status != RegistrationStatus.VERIFIED,
            User.disabled.is_(False),
        )
    )


def free_phone(actor: User, village: Village, user_id: int) -> User:
    """Free a phone number held by a registration to `village` that was never verified
    (pending or refused): the number's owner says someone else registered with it.

    The account is kept, for the record: disabled, its registration refused, its logins
    ended, its number replaced (`freed_phone`), so the owner can register with it. The
    log keeps the number masked. A verified account is never freed here.
    """
    with unit_of_work():
        require_committee(actor, village.id)
        user = db.session.scalar(
            sa.select(User)
            .where(User.id == user_id, User.village_id == village.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if user is None:
            raise NotFound()
        if user.resident_id is not None or user.status == RegistrationStatus.VERIFIED:
            raise Refusal(
                _l("这个账号已经核实，不能在这里释放手机号。如有问题，请联系站点管理员。")
            )
        if user.disabled:
            raise Refusal(_l("这个账号已经停用了。"))
        before = {"phone": masked_phone(user.phone), "status": user.status.value}
        user.phone = freed_phone(user.id)
        user.disabled = True
        user.status = RegistrationStatus.REFUSED
        user.refusal_reason = str(_l("手机号的机主说不是本人注册的，村委会已释放这个手机号。"))
        user.session_version = User.session_version + 1
        revoke_all_logins(user.id)
        record_action(
            actor,
            Role.COMMITTEE,
            "account.free_phone",
            user,
            village=village,
            before=before,
            after={"status": RegistrationStatus.REFUSED.value, "disabled": True},
        )
    db.session.refresh(user)
    return user


def mark_outcome_seen(user: User) -> None:
    """The person has read the word of their registration's outcome."""
    with unit_of_work():
        db.session.execute(
            sa.update(User).where(User.id == user.id).values(outcome_seen_at=clock.now())
        )


# ---- passwords -----------------------------------------------------------------------


def password_problem(password: str, phone: str | None = None) -> str | None:
    """Why `password` is too weak, or None (OWASP ASVS 6.2: length and a blocklist)."""
    if len(password) < PASSWORD_MIN:
        return _l("密码至少要%(n)d个字符。", n=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        return _l("密码太长了，最多%(n)d个字符。", n=PASSWORD_MAX)
    if len(set(password)) == 1:
        return _l("密码不能全是同一个字符。")
    if phone and phone in password:
        return _l("密码里不能有手机号。")
    if password.isdigit() and len(password) < DIGITS_ONLY_MIN:
        return _l("只有数字的密码至少要%(n)d位，或者加上字母。", n=DIGITS_ONLY_MIN)
    if password.lower() in COMMON_PASSWORDS:
        return _l("这个密码太常见，很容易被猜到，请换一个。")
    return None


# ---- invite codes --------------------------------------------------------------------


def normalize_code(raw: str | None) -> str:
    """Codes are read off paper: case, spaces and dashes do not matter."""
    return re.sub(r"[\s\-]", "", raw or "").upper()


def find_invite(raw: str | None, lock: bool = False) -> InviteCode | None:
    code = normalize_code(raw)
    if not code or len(code) > 32:
        return None
    candidates = {code, (raw or "").strip()}
    query = sa.select(InviteCode).where(InviteCode.code.in_(candidates)).limit(1)
    if lock:
        # PostgreSQL: wait for a registration holding this code, then read it afresh.
        # (SQLite ignores FOR UPDATE; there BEGIN IMMEDIATE already serialises writers.)
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def residents_without_account(household_id: int) -> list[Resident]:
    query = (
        sa.select(Resident)
        .outerjoin(User, User.resident_id == Resident.id)
        .where(Resident.household_id == household_id, User.id.is_(None))
        .order_by(Resident.id)
    )
    return list(db.session.scalars(query))


def resident_has_account(resident_id: int) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.resident_id == resident_id)) is not None


def invite_problem(
    invite: InviteCode | None, village: Village | None = None, at: datetime | None = None
) -> str | None:
    """What stops `invite` from registering someone (in `village`, if one was chosen)."""
    if invite is None:
        return _l("没有这个邀请码，请核对后重新输入。")
    if village is not None and invite.village_id != village.id:
        return _l("这个邀请码不是%(village)s的，请核对所选的村或邀请码。", village=village.name)
    if invite.used_at is not None:
        return _l("这个邀请码已经用过了。如需帮助，请联系村委会。")
    if invite.resident_id is not None:
        if resident_has_account(invite.resident_id):
            return _l("这个邀请码已经用过了。如需帮助，请联系村委会。")
    elif not residents_without_account(invite.household_id):
        return _l("这个邀请码已经用过了。如需帮助，请联系村委会。")
    if invite.expires_at is not None and invite.expires_at <= (at or clock.now()):
        return _l("这个邀请码已过期，请向村委会要一个新的。")
    return None


@dataclass
class InviteCheck:
    """The answer to "is this code good?": never a resident's name."""

    invite: InviteCode | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def for_person(self) -> bool:
        return self.invite is not None and self.invite.resident_id is not None


def check_invite(raw: str | None, village: Village | None = None) -> InviteCheck:
    invite = find_invite(raw)
    return InviteCheck(invite, invite_problem(invite, village))


def same_name(a: str, b: str) -> bool:
    """Names compared without the spaces people sometimes type inside them."""
    return re.sub(r"\s", "", a) == re.sub(r"\s", "", b)


# ---- villages ------------------------------------------------------------------------


def village_by_slug(slug: str | None) -> Village | None:
    if not slug:
        return None
    return db.session.scalar(sa.select(Village).where(Village.slug == slug.strip()))


def village_choices() -> list[tuple[str, list[tuple[str, str]]]] | None:
    """Villages by town for the registration select, or None when there are too many."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Village))
    if count > VILLAGE_SELECT_MAX:
        return None
    rows = db.session.execute(
        sa.select(Town.name, Village.slug, Village.name)
        .join(Village.town)
        .order_by(Town.name, Village.name)
    )
    grouped: dict[str, list[tuple[str, str]]] = {}
    for town_name, slug, name in rows:
        grouped.setdefault(town_name, []).append((slug, name))
    return list(grouped.items())


# ---- registration --------------------------------------------------------------------


def register_with_invite(
    *, phone: str, password: str, name: str, code: str, village: Village | None = None
) -> User:
    """A verified account for the resident the code (and, for a household, the name) names.

    A person's code is spent at once; a household's once every member has an account.
    """
    password_hash = hash_password(password)  # slow on purpose: before taking the lock
    village_id = village.id if village is not None else None
    with unit_of_work(conflict=lambda: _conflict(phone)):
        invite = find_invite(code, lock=True)
        chosen = db.session.get(Village, village_id) if village_id is not None else None
        problem = invite_problem(invite, chosen)
        if problem:
            raise IdentityError("invite_code", problem)
        if phone_taken(phone):
            raise IdentityError("phone", phone_taken_message())
        resident = _resident_for(invite, name)
        user = User(
            phone=phone,
            password_hash=password_hash,
            name=resident.name,
            resident=resident,
            village_id=invite.village_id,
            status=RegistrationStatus.VERIFIED,
            # Told at once, on the page after registering: no word of it waits for them.
            outcome_seen_at=clock.now(),
        )
        db.session.add(user)
        db.session.add(RoleGrant(user=user, role=Role.VILLAGER, village_id=invite.village_id))
        db.session.flush()
        if invite.resident_id is not None or not residents_without_account(invite.household_id):
            invite.used_at = clock.now()
            invite.used_by_id = user.id
    return user


def _resident_for(invite: InviteCode, name: str) -> Resident:
    if invite.resident_id is not None:
        resident = db.session.get(Resident, invite.resident_id)
        if not same_name(resident.name, name):
            raise IdentityError("name", _l("姓名和这个邀请码登记的人对不上，请填写户籍上的姓名。"))
        return resident
    members = db.session.scalars(
        sa.select(Resident).where(Resident.household_id == invite.household_id)
    ).all()
    named = [r for r in members if same_name(r.name, name)]
    if not named:
        raise IdentityError(
            "name", _l("这一户的名册上没有叫“%(name)s”的人，请填写户籍上的姓名。", name=name)
        )
    free = [r for r in named if not resident_has_account(r.id)]
    if not free:
        raise IdentityError(
            "name",
            _l(
                "这一户叫“%(name)s”的人已经注册过了。如果不是您本人注册的，请联系村委会。",
                name=name,
            ),
        )
    return free[0]


def _conflict(phone: str) -> IdentityError:
    if phone_taken(phone):
        return IdentityError("phone", phone_taken_message())
    return IdentityError("invite_code", _l("这个邀请码已经用过了。如需帮助，请联系村委会。"))


def register_pending(
    *,
    phone: str,
    password: str,
    name: str,
    village: Village,
    door_number: str,
    birth_year: int,
) -> User:
    """An account waiting in `village`'s verification queue for the committee to match."""
    password_hash = hash_password(password)
    village_id = village.id
    taken = IdentityError("phone", phone_taken_message())
    with unit_of_work(conflict=lambda: taken):
        if phone_taken(phone):
            raise taken
        user = User(
            phone=phone,
            password_hash=password_hash,
            name=name,
            village_id=village_id,
            claimed_door_number=door_number,
            claimed_birth_year=birth_year,
            status=RegistrationStatus.PENDING,
        )
        db.session.add(user)
    return user


# ---- login and account ---------------------------------------------------------------

_DUMMY_HASH: list[str] = []


def _spend_time_like_a_check(password: str) -> None:
    """Verify against a throwaway hash, so an unknown phone takes as long as a known one."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password("not-a-real-password"))
    verify_password(_DUMMY_HASH[0], password)


@dataclass
class LoginResult:
    user: User | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def authenticate(phone: str, password: str) -> LoginResult:
    """Check a phone and password. Unknown phone and wrong password read the same."""
    wrong = _l("手机号或密码不对，请重新输入。")
    user = db.session.scalar(sa.select(User).where(User.phone == phone)) if phone else None
    if user is None:
        _spend_time_like_a_check(password)
        return LoginResult(None, wrong)
    if not verify_password(user.password_hash, password):
        return LoginResult(None, wrong)
    if user.disabled:
        return LoginResult(None, _l("这个账号已停用。如有疑问，请联系村委会。"))
    if needs_rehash(user.password_hash):
        new_hash = hash_password(password)
        with unit_of_work():
            user.password_hash = new_hash
    return LoginResult(user, None)


def end_all_sessions(user: User) -> None:
    """Log out everywhere: every login of the person is revoked, and every cookie carrying
    the old session version stops working."""
    with unit_of_work():
        revoke_all_logins(user.id)
        db.session.execute(
            sa.update(User)
            .where(User.id == user.id)
            .values(session_version=User.session_version + 1)
        )
    db.session.refresh(user)


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password; sessions elsewhere end, as after "log out everywhere"."""
    if not verify_password(user.password_hash, current):
        raise IdentityError("current_password", _l("现在的密码不对。"))
    problem = password_problem(new, user.phone)
    if problem:
        raise IdentityError("new_password", problem)
    if verify_password(user.password_hash, new):
        raise IdentityError("new_password", _l("新密码不能和现在的密码一样。"))
    new_hash = hash_password(new)
    with unit_of_work():
        user.password_hash = new_hash
        user.session_version = User.session_version + 1
        revoke_all_logins(user.id)
    db.session.refresh(user)


ROLE_LABELS = {
    Role.VILLAGER: _l("村民"),
    Role.GRID_WORKER: _l("网格员"),
    Role.COMMITTEE: _l("村委会成员"),
    Role.SUPERVISOR: _l("村务监督委员会成员"),
    Role.SHOPKEEPER: _l("积分超市管理员"),
    Role.TOWN_OFFICIAL: _l("镇街工作人员"),
    Role.ADMIN: _l("站点管理员"),
}


@dataclass(frozen=True)
class Place:
    """A place the person may go to do what their roles let them: `endpoint` and `values`
    make its URL; `kind` is "admin", "town", "console" or "village"."""

    kind: str
    label: str
    endpoint: str
    values: tuple[tuple[str, str], ...] = ()

    @property
    def url_values(self) -> dict[str, str]:
        return dict(self.values)


@dataclass
class Standing:
    """Who the person is here: each role held now as (label, where), and the places those
    roles (and their own village) open to them, work first."""

    roles: list[tuple[str, str]]
    places: list[Place]


def standing_of(user: User, home: sa.Row | None = None) -> Standing:
    """The person's roles and places from one statement: the admin pages, each town office,
    each village console, then the villages, their own (`home`, from `place_of`) first."""
    roles = []
    admin: list[Place] = []
    towns: dict[str, Place] = {}
    consoles: dict[str, Place] = {}
    villages: dict[str, Place] = {}
    # A grid worker's own work 记录积分, after the villages (their landing stays the home).
    recording: dict[str, Place] = {}
    for grant in db.session.execute(_active_roles_statement(), {"user_id": user.id}):
        if grant.grid is not None:
            where = f"{grant.village or ''} {grant.grid}".strip()
        elif grant.village is not None:
            where = grant.village
        elif grant.town is not None:
            where = grant.town
        else:
            where = str(_l("全站"))
        roles.append((str(ROLE_LABELS.get(grant.role, grant.role.value)), where))
        if grant.role == Role.ADMIN and not admin:
            admin.append(Place("admin", str(_l("系统管理")), "admin.index"))
        elif grant.role == Role.TOWN_OFFICIAL and grant.town_slug:
            towns.setdefault(
                grant.town_slug,
                Place(
                    "town",
                    str(_l("%(town)s办公", town=grant.town)),
                    "town.index",
                    (("town", grant.town_slug),),
                ),
            )
        elif grant.role in (Role.COMMITTEE, Role.SUPERVISOR) and grant.village_slug:
            consoles.setdefault(
                grant.village_slug,
                Place(
                    "console",
                    str(_l("%(village)s村务管理", village=grant.village)),
                    "manage.index",
                    (("village", grant.village_slug),),
                ),
            )
        elif grant.role == Role.SHOPKEEPER and grant.village_slug:
            # The shopkeeper's counter, beside the village (a key of its own: the village
            # home comes from the same person's villager grant).
            villages.setdefault(
                f"{grant.village_slug}/shop",
                Place(
                    "village",
                    str(_l("%(village)s积分超市柜台", village=grant.village)),
                    "shop.counter",
                    (("village", grant.village_slug),),
                ),
            )
        elif grant.village_slug:
            villages.setdefault(
                grant.village_slug, _village_place(grant.village_slug, grant.village)
            )
        if grant.role == Role.GRID_WORKER and grant.village_slug:
            recording.setdefault(
                grant.village_slug,
                Place(
                    "village",
                    str(_l("%(village)s记录积分", village=grant.village)),
                    "points_console.record",
                    (("village", grant.village_slug),),
                ),
            )
    if home is not None:
        villages = {home.slug: _village_place(home.slug, home.name)} | {
            slug: place for slug, place in villages.items() if slug != home.slug
        }
    places = [
        *admin,
        *towns.values(),
        *consoles.values(),
        *villages.values(),
        *recording.values(),
    ]
    return Standing(roles, places)


def _village_place(slug: str, name: str) -> Place:
    return Place(
        "village",
        str(_l("%(village)s首页", village=name)),
        "public.village_home",
        (("village", slug),),
    )


def landing_place(user: User) -> Place | None:
    """Where a person's work is, for after login: the admin pages, else their town office,
    else their village's console, else their village (None: no village at all)."""
    places = standing_of(user, place_of(user)).places
    return places[0] if places else None


@cache
def _active_roles_statement() -> sa.Select:
    """Each current grant's role and the names (and slugs) of its village, grid and town:
    the account page shows nothing else, so rows of names, not objects. Built once."""
    return (
        sa.select(
            RoleGrant.role,
            Village.name.label("village"),
            Village.slug.label("village_slug"),
            Grid.name.label("grid"),
            Town.name.label("town"),
            Town.slug.label("town_slug"),
        )
        .outerjoin(Village, Village.id == RoleGrant.village_id)
        .outerjoin(Grid, Grid.id == RoleGrant.grid_id)
        .outerjoin(Town, Town.id == RoleGrant.town_id)
        .where(
            RoleGrant.user_id == sa.bindparam("user_id", type_=sa.Integer),
            RoleGrant.revoked_at.is_(None),
        )
        .order_by(RoleGrant.id)
    )


def place_of(user: User) -> sa.Row | None:
    """Where a person belongs: the village of their roster entry (with their door number),
    else the village they applied to. A row of slug, name and door_number (None without a
    household), or None. One statement."""
    if user.resident_id is None and user.village_id is None:
        return None
    return db.session.execute(_place_statement(), {"user_id": user.id}).first()


@cache
def _place_statement() -> sa.Select:
    return (
        sa.select(Village.slug, Village.name, Household.door_number)
        .select_from(User)
        .outerjoin(Resident, Resident.id == User.resident_id)
        .outerjoin(Household, Household.id == Resident.household_id)
        .join(Village, Village.id == sa.func.coalesce(Resident.village_id, User.village_id))
        .where(User.id == sa.bindparam("user_id", type_=sa.Integer))
    )
