"""The demo: 银涂镇 with three villages, their rosters, and a login for every role.

Everything is generated from fixed random seeds, so every run builds the same
people, and building is idempotent: what already exists is left alone. The whole
demo is written in one transaction with bulk inserts, and `demo-password` is
hashed once and shared by every demo account.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import sqlalchemy as sa

from portal import clock
from portal.auth.models import InviteCode, RegistrationStatus, Role, RoleGrant, User
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.rules.models import (
    ArticleComment,
    Ballot,
    BallotChannel,
    FilingState,
    RuleArticle,
    RuleDocument,
    RuleFiling,
    RuleVersion,
    TallyVisibility,
    VersionState,
    VoteEligibility,
    VoteResult,
)
from portal.rules.services import (
    LOCAL_TZ,
    passes,
    quorum_met,
    roll_query,
    roll_size_at_opening,
)
from portal.search.services import reindex_village
from portal.villages.models import (
    DepartureReason,
    Gender,
    Grid,
    Household,
    Resident,
    Town,
    Village,
)

DEMO_PASSWORD = "demo-password"
TOWN = ("银涂镇", "yintu")
DEMO_VILLAGE = "hubin"


@dataclass(frozen=True)
class VillageSpec:
    name: str
    slug: str
    households: int
    grids: int
    # A village's old families: a few surnames account for much of its roster.
    clan_surnames: tuple[str, ...]


VILLAGES = (
    VillageSpec("湖滨村", "hubin", households=180, grids=4, clan_surnames=("陈", "王")),
    VillageSpec("山前村", "shanqian", households=160, grids=3, clan_surnames=("李", "张", "吴")),
    VillageSpec("柳塘村", "liutang", households=155, grids=3, clan_surnames=("刘", "周")),
)


@dataclass(frozen=True)
class DemoLogin:
    phone: str
    role: str  # shown in the logins table
    scope: str


ADMIN_PHONE = "13800000000"
COMMITTEE_PHONE = "13800000001"
GRID_WORKER_PHONE = "13800000002"
SUPERVISOR_PHONE = "13800000003"
TOWN_OFFICIAL_PHONE = "13800000004"
SECOND_COMMITTEE_PHONE = "13800000005"  # the boards' second member (portal.boards.demo)
SHOPKEEPER_PHONE = "13800000006"  # 积分超市管理员 (portal.points.demo)
VILLAGER_PHONES = tuple(f"138000000{n:02d}" for n in range(10, 30))

DEMO_LOGINS = (
    DemoLogin(ADMIN_PHONE, "管理员 admin", "全站 site-wide"),
    DemoLogin(COMMITTEE_PHONE, "村委 committee", "湖滨村"),
    DemoLogin(SECOND_COMMITTEE_PHONE, "村委 committee（第二位委员 second member）", "湖滨村"),
    DemoLogin(GRID_WORKER_PHONE, "网格员 grid worker", "湖滨村 第一网格"),
    DemoLogin(SUPERVISOR_PHONE, "村务监督 supervisor", "湖滨村"),
    DemoLogin(TOWN_OFFICIAL_PHONE, "镇街 town official", "银涂镇"),
    DemoLogin(SHOPKEEPER_PHONE, "积分超市管理员 shopkeeper", "湖滨村"),
    DemoLogin(
        f"{VILLAGER_PHONES[0]} - {VILLAGER_PHONES[-1]}", "村民 villager (verified)", "湖滨村"
    ),
)

# Registrations waiting in 湖滨村's verification queue (not logins to show).
PENDING_PHONES = ("13900000001", "13900000002", "13900000003", "13900000004")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵"
)
# Given-name characters by generation and gender: names go in and out of fashion.
GIVEN = {
    ("old", Gender.MALE): (
        "建国志永德文明海立春家长兴金庆振福宝洪桂",
        "华军平强明林生峰伟成祥才山根发荣富贵忠",
    ),
    ("old", Gender.FEMALE): ("秀桂玉丽美春淑红金凤素翠兰月彩", "英兰芳珍华梅娟霞琴凤云莲香芬花"),
    ("mid", Gender.MALE): ("建志海国晓红小卫永文伟俊立新东", "军平强明林峰伟涛斌东辉杰刚波勇华"),
    ("mid", Gender.FEMALE): ("丽晓小红海春秀玉燕艳慧静雪爱", "娟霞琴芳萍玲燕红梅丽敏华莉艳静"),
    ("new", Gender.MALE): ("子浩宇俊梓一铭博睿嘉思雨晨明天", "轩宇然泽睿辰阳航杰豪凯瑞琪霖博"),
    ("new", Gender.FEMALE): ("欣梓雨思诗佳可若子一语嘉心梦紫", "怡涵萱琪彤雯悦妍琳瑶然宁菲馨婷"),
}
GRID_NAMES = ("第一网格", "第二网格", "第三网格", "第四网格")
GROUP_NUMERALS = "一二三四"
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass
class SeedReport:
    """What one run of `seed_demo` created."""

    towns: int = 0
    villages: list[str] = field(default_factory=list)
    households: int = 0
    residents: int = 0
    users: int = 0
    invite_codes: int = 0
    rules: int = 0

    @property
    def created_anything(self) -> bool:
        return bool(self.towns or self.villages or self.users or self.invite_codes or self.rules)


def seed_demo() -> SeedReport:
    """Build whatever part of the demo is missing, in one transaction."""
    report = SeedReport()
    try:
        town = db.session.scalar(sa.select(Town).where(Town.slug == TOWN[1]))
        if town is None:
            town = Town(name=TOWN[0], slug=TOWN[1])
            db.session.add(town)
            report.towns += 1
        villages: dict[str, Village] = {}
        fresh: set[str] = set()
        for spec in VILLAGES:
            village = db.session.scalar(sa.select(Village).where(Village.slug == spec.slug))
            if village is None:
                village = _build_village(town, spec, report)
                fresh.add(spec.slug)
            villages[spec.slug] = village
        db.session.flush()
        _ensure_logins(town, villages[DEMO_VILLAGE], report)
        if DEMO_VILLAGE in fresh:
            _add_queue_and_codes(villages[DEMO_VILLAGE], report)
        _ensure_rules(villages[DEMO_VILLAGE], report)
        _ensure_notices(villages[DEMO_VILLAGE])
        _ensure_notice_questions(villages[DEMO_VILLAGE])
        _ensure_disclosure_schedule(villages[DEMO_VILLAGE])
        _ensure_boards(villages[DEMO_VILLAGE], report)
        _ensure_nominations(villages[DEMO_VILLAGE], report)
        _ensure_points(villages[DEMO_VILLAGE], report)
        reindex_village(villages[DEMO_VILLAGE])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


@cache
def demo_password_hash() -> str:
    """argon2 is slow on purpose: hash once, and share it across every demo account."""
    return hash_password(DEMO_PASSWORD)


def database_is_empty() -> bool:
    """True while no village exists: `seed-demo --if-empty` seeds only then."""
    return db.session.scalar(sa.select(Village.id).limit(1)) is None


# --- the roster -------------------------------------------------------------


ROSTER_AGE_DAYS = 730  # the roster was entered long before any demo vote
DEPARTED_PER_VILLAGE = 4  # residents who moved away or died, kept with the date
BIRTH_DATE_SHARE = 0.9  # the household register gives most people's full birth date


def _build_village(town: Town, spec: VillageSpec, report: SeedReport) -> Village:
    rng = random.Random(f"shanzhi-demo-{spec.slug}")
    # Birth dates and departures from a generator of their own, so the names stay put.
    register = random.Random(f"shanzhi-demo-register-{spec.slug}")
    entered = clock.now() - timedelta(days=ROSTER_AGE_DAYS)
    village = Village(town=town, name=spec.name, slug=spec.slug, created_at=entered)
    grids = [Grid(village=village, name=GRID_NAMES[i]) for i in range(spec.grids)]
    per_grid = -(-spec.households // spec.grids)
    households, residents = [], []
    for n in range(spec.households):
        g = n // per_grid
        household = Household(
            village=village,
            grid=grids[g],
            door_number=f"{GROUP_NUMERALS[g]}组{n % per_grid + 1}号",
            created_at=entered,
        )
        households.append(household)
        for name, birth_year, gender in _household_members(rng, spec):
            residents.append(
                Resident(
                    village=village,
                    household=household,
                    name=name,
                    birth_year=birth_year,
                    birth_date=_birth_date(register, birth_year),
                    gender=gender,
                    created_at=entered,
                )
            )
    # A few people left the village (迁出) or died (去世): their rows stay, with the date.
    today = clock.today_local()
    for resident in register.sample(residents[len(residents) // 2 :], DEPARTED_PER_VILLAGE):
        resident.left_on = today - timedelta(days=register.randint(30, 300))
        old = resident.birth_year < today.year - 75
        resident.left_reason = DepartureReason.DIED if old else DepartureReason.MOVED
    db.session.add(village)
    db.session.add_all(grids)
    db.session.add_all(households)
    db.session.add_all(residents)
    report.villages.append(spec.name)
    report.households += len(households)
    report.residents += len(residents)
    return village


def _birth_date(rng: random.Random, year: int) -> date | None:
    """A full birth date for most people; only the year for the rest."""
    if rng.random() >= BIRTH_DATE_SHARE:
        return None
    return date(year, rng.randint(1, 12), rng.randint(1, 28))


def _surname(rng: random.Random, spec: VillageSpec) -> str:
    if rng.random() < 0.55:
        return rng.choice(spec.clan_surnames)
    return rng.choice(SURNAMES)


def _given_name(rng: random.Random, birth_year: int, gender: Gender) -> str:
    era = "old" if birth_year < 1965 else "mid" if birth_year < 1995 else "new"
    first, second = GIVEN[(era, gender)]
    return rng.choice(first) + rng.choice(second)


def _household_members(rng: random.Random, spec: VillageSpec) -> list[tuple[str, int, Gender]]:
    """Two to five people: a couple, perhaps a parent of theirs, children, grandchildren."""
    size = rng.choices((2, 3, 4, 5), weights=(3, 4, 4, 2))[0]
    surname = _surname(rng, spec)
    head_gender = Gender.MALE if rng.random() < 0.8 else Gender.FEMALE
    head_year = rng.randint(1940, 1996)
    people: list[tuple[str, int, Gender]] = []
    used: set[str] = set()

    def add(family: str, year: int, gender: Gender) -> None:
        year = max(1935, min(2024, year))
        name = family + _given_name(rng, year, gender)
        while name in used:
            name = family + _given_name(rng, year, gender)
        used.add(name)
        people.append((name, year, gender))

    add(surname, head_year, head_gender)
    spouse_gender = Gender.FEMALE if head_gender == Gender.MALE else Gender.MALE
    add(_surname(rng, spec), head_year + rng.randint(-3, 4), spouse_gender)
    if size >= 4 and head_year >= 1962 and rng.random() < 0.5:
        add(surname, head_year - rng.randint(22, 30), rng.choice(list(Gender)))
    child_year = head_year + rng.randint(23, 30)
    while len(people) < size and child_year <= 2024:
        add(surname, child_year, rng.choice(list(Gender)))
        child_year += rng.randint(2, 6)
    grandchild_year = head_year + rng.randint(48, 58)
    while len(people) < size:
        # Old couples' households hold grandchildren; young ones a late child.
        year = grandchild_year if grandchild_year <= 2024 else rng.randint(2008, 2024)
        add(surname, year, rng.choice(list(Gender)))
        grandchild_year += rng.randint(2, 5)
    return people


# --- logins, the verification queue and invite codes ---------------------


def _adults_without_account(village: Village, born_by: int) -> list[Resident]:
    """Adults of `village` with no account, one per household, in household order."""
    linked = sa.select(User.resident_id).where(User.resident_id.is_not(None))
    rows = db.session.scalars(
        sa.select(Resident)
        .where(
            Resident.village_id == village.id,
            Resident.birth_year <= born_by,
            Resident.left_on.is_(None),
            Resident.id.not_in(linked),
        )
        .order_by(Resident.household_id, Resident.id)
        .options(sa.orm.selectinload(Resident.household))
    )
    by_household: dict[int, list[Resident]] = {}
    for resident in rows:
        by_household.setdefault(resident.household_id, []).append(resident)
    # Not always the head of the household: women and the young hold accounts too.
    return [members[n % len(members)] for n, members in enumerate(by_household.values())]


def _ensure_logins(town: Town, village: Village, report: SeedReport) -> None:
    phones = [ADMIN_PHONE, TOWN_OFFICIAL_PHONE, COMMITTEE_PHONE, GRID_WORKER_PHONE]
    phones += [SUPERVISOR_PHONE, *VILLAGER_PHONES]
    users = {u.phone: u for u in db.session.scalars(sa.select(User).where(User.phone.in_(phones)))}
    if len(users) == len(phones):
        return
    first_grid = db.session.scalar(
        sa.select(Grid).where(Grid.village_id == village.id).order_by(Grid.id).limit(1)
    )
    # Officials are people of the village, born well before the youngest voters.
    adults = _adults_without_account(village, born_by=clock.today_local().year - 25)
    in_first_grid = [r for r in adults if r.household.grid_id == first_grid.id]
    elsewhere = [r for r in adults if r.household.grid_id != first_grid.id]
    # Villagers spread over the grids: every sixth household, then whoever is left.
    spread = elsewhere[1::6] + in_first_grid[2::6] + elsewhere
    taken: set[int] = set()

    def ensure(
        phone: str, *grants: dict, pool: list[Resident] | None = None, name: str = ""
    ) -> User:
        if phone in users:
            return users[phone]
        resident = None
        if pool is not None:
            resident = next((r for r in pool if r.id not in taken), None)
            if resident is None:
                raise RuntimeError(f"{village.name} has too few adults for the demo logins")
            taken.add(resident.id)
        user = User(
            phone=phone,
            name=resident.name if resident else name,
            password_hash=demo_password_hash(),
            resident=resident,
            village=village if resident else None,
            status=RegistrationStatus.VERIFIED,
            # Verified long before the demo's today: the one-time word of it is read.
            outcome_seen_at=clock.now(),
        )
        if resident is not None:
            user.grants.append(RoleGrant(role=Role.VILLAGER, village=village))
        for grant in grants:
            user.grants.append(RoleGrant(**grant))
        db.session.add(user)
        db.session.flush()
        users[phone] = user
        report.users += 1
        return user

    admin = ensure(ADMIN_PHONE, {"role": Role.ADMIN}, name="系统管理员")
    ensure(
        TOWN_OFFICIAL_PHONE,
        {"role": Role.TOWN_OFFICIAL, "town": town, "granted_by_id": admin.id},
        name="孙立新",
    )
    committee = ensure(
        COMMITTEE_PHONE,
        {"role": Role.COMMITTEE, "village": village, "granted_by_id": admin.id},
        pool=in_first_grid,
    )
    ensure(
        GRID_WORKER_PHONE,
        {
            "role": Role.GRID_WORKER,
            "village": village,
            "grid": first_grid,
            "granted_by_id": committee.id,
        },
        pool=in_first_grid,
    )
    # A supervisor watches the committee, so never sits on it (separation of duties).
    ensure(
        SUPERVISOR_PHONE,
        {"role": Role.SUPERVISOR, "village": village, "granted_by_id": committee.id},
        pool=elsewhere,
    )
    for phone in VILLAGER_PHONES:
        ensure(phone, pool=spread)


def _add_queue_and_codes(village: Village, report: SeedReport) -> None:
    """A few registrations to verify and a few invite codes not yet used."""
    rng = random.Random(f"shanzhi-demo-codes-{village.slug}")
    committee_id = db.session.scalar(sa.select(User.id).where(User.phone == COMMITTEE_PHONE))
    adults = _adults_without_account(village, born_by=clock.today_local().year - 20)
    adults = adults[7::9]  # households without any account yet, across the grids
    pending, invited, household_codes = adults[:3], adults[3:8], adults[8:10]
    applicants = [(r.name, r.household.door_number, r.birth_year) for r in pending]
    # One applicant whose door number is not on the roster: the committee asks or refuses.
    applicants.append(("郑晓燕", "五组3号", 1988))
    for phone, (name, door_number, birth_year) in zip(PENDING_PHONES, applicants, strict=True):
        db.session.add(
            User(
                phone=phone,
                name=name,
                password_hash=demo_password_hash(),
                village=village,
                claimed_door_number=door_number,
                claimed_birth_year=birth_year,
                status=RegistrationStatus.PENDING,
            )
        )
        report.users += 1
    expires = clock.now() + timedelta(days=365)
    codes = [
        InviteCode(
            code=_invite_code(rng),
            village=village,
            household=resident.household,
            resident=resident if per_person else None,
            created_by_id=committee_id,
            expires_at=expires,
        )
        for per_person, group in ((True, invited), (False, household_codes))
        for resident in group
    ]
    db.session.add_all(codes)
    report.invite_codes += len(codes)


def _invite_code(rng: random.Random) -> str:
    return "".join(rng.choice(INVITE_ALPHABET) for _ in range(8))


def unused_person_invite(village_slug: str = DEMO_VILLAGE) -> tuple[str, Resident]:
    """An unused invite code of the demo for one adult with no account, and that adult."""
    today = clock.today_local().year
    row = db.session.execute(
        sa.select(InviteCode.code, Resident)
        .join(Resident, InviteCode.resident_id == Resident.id)
        .join(Village, InviteCode.village_id == Village.id)
        .where(
            Village.slug == village_slug,
            InviteCode.used_at.is_(None),
            Resident.birth_year <= today - 18,
            Resident.id.not_in(sa.select(User.resident_id).where(User.resident_id.is_not(None))),
        )
        .order_by(InviteCode.id)
        .limit(1)
    ).first()
    if row is None:
        raise LookupError(f"no unused invite code left in {village_slug}")
    return row[0], row[1]


# --- village rules 村规民约 ---------------------------------------------------------

RULES_TITLE = "湖滨村村规民约"

# (title, body) of the version in force.
RULE_ARTICLES = (
    (
        "总则",
        "为推进移风易俗、建设文明和美乡村，根据《中华人民共和国村民委员会组织法》等法律法规，"
        "结合本村实际，经村民会议讨论通过，制定本村规民约。本村全体村民共同遵守。",
    ),
    (
        "环境卫生",
        "村民应当爱护村容村貌，生活垃圾分类投放到指定地点，不乱倒垃圾，不乱堆柴草杂物，"
        "不在房前屋后焚烧秸秆和垃圾。各户落实“门前三包”，保持房前屋后干净整洁。",
    ),
    (
        "爱护湖塘",
        "爱护湖塘河道，不向河塘倾倒垃圾、污水和病死畜禽。畜禽圈养，粪污及时清理、妥善处理，"
        "不影响邻里生活。",
    ),
    (
        "红白事简办",
        "红白喜事由村红白理事会引导，提倡喜事新办、丧事简办。婚宴、寿宴宴请一般不超过15桌，"
        "不铺张浪费；丧事从简，不搞大操大办，不燃放大型烟花。",
    ),
    (
        "婚事新办",
        "倡导婚事新办，反对高价彩礼，彩礼一般不超过3万元。不借婚姻索取财物，不攀比嫁妆和排场，"
        "尊重婚姻自由。",
    ),
    (
        "孝老爱亲",
        "子女应当履行赡养父母的义务，关心老人的生活、健康和精神需求，不虐待、不遗弃老人。"
        "尊重老人的居住和财产权益，外出务工的子女常回家看看。",
    ),
    (
        "邻里和睦",
        "邻里之间互谅互让、互帮互助。有矛盾纠纷通过协商或村人民调解委员会调解解决，"
        "不聚众闹事，不恶语伤人。",
    ),
    (
        "消防安全",
        "不私拉乱接电线，电动车不进楼道、不在室内充电。柴草堆放远离房屋和火源，"
        "田间和林地禁止野外用火，清明、春节期间文明祭扫。",
    ),
    (
        "平安与公益",
        "积极参与村内公益事务和志愿服务，爱护道路、路灯、健身器材等公共设施。"
        "发现安全隐患及时向村委会或网格员报告。",
    ),
    (
        "表彰与执行",
        "对遵守本村规民约表现突出的农户，村委会在红榜公示表扬，并按积分细则给予积分。"
        "对违反本村规民约的，由村委会劝导、批评教育，督促限期改正。本村规民约不设罚款，"
        "不限制村民依法享有的各项权利。",
    ),
    (
        "附则",
        "本村规民约经村民会议表决通过后施行，并报银涂镇人民政府备案。未尽事宜，按国家法律法规执行。",
    ),
)

# The amendment now open for voting: positions (1-based) of changed articles, and one new.
AMENDED = {
    4: (
        "红白事简办",
        "红白喜事由村红白理事会引导，提倡喜事新办、丧事简办。婚宴、寿宴宴请一般不超过12桌，"
        "不上高档烟酒，不铺张浪费；丧事从简，不搞大操大办，不燃放烟花爆竹。",
    ),
    8: (
        "消防安全",
        "不私拉乱接电线，电动车不进楼道、不在室内充电，到村集中充电棚充电。柴草堆放远离房屋和火源，"
        "田间和林地禁止野外用火，清明、春节期间文明祭扫。",
    ),
}
NEW_ARTICLE = (
    9,
    (
        "文明养犬",
        "养犬户应当拴养或圈养犬只，按时接种狂犬疫苗；出户遛犬系好牵引绳，及时清理犬只粪便，"
        "不让犬只惊扰老人和孩子。",
    ),
)
CONSULTATION_COMMENTS = (
    (4, "12桌对大家族来说有点少，建议写明亲戚多的可以跟红白理事会商量。"),
    (4, "支持少办几桌，现在随礼负担太重了。"),
    (9, "建议村里统一组织打狂犬疫苗，方便老人。"),
)


def _ensure_rules(village: Village, report: SeedReport) -> None:
    """An adopted 村规民约, filed with the town, and an amendment open for voting.

    Built directly rather than through the rules services, in this one transaction
    and without action-log rows: it stands for what happened before the portal.
    """
    exists = sa.select(RuleDocument.id).where(RuleDocument.village_id == village.id)
    if db.session.scalar(exists.limit(1)) is not None:
        return
    now = clock.now().replace(microsecond=0)
    users = {
        u.phone: u
        for u in db.session.scalars(
            sa.select(User).where(
                User.phone.in_([COMMITTEE_PHONE, TOWN_OFFICIAL_PHONE, *VILLAGER_PHONES])
            )
        )
    }
    committee, town_official = users[COMMITTEE_PHONE], users[TOWN_OFFICIAL_PHONE]
    document = RuleDocument(
        village=village, title=RULES_TITLE, created_by=committee, created_at=now - _days(210)
    )
    first = RuleVersion(
        document=document,
        village=village,
        number=1,
        state=VersionState.ADOPTED,
        created_by=committee,
        created_at=now - _days(210),
        consultation_opened_at=now - _days(205),
        consultation_ends_at=now - _days(198),
        vote_announced_at=now - _days(198),
        tally_visibility=TallyVisibility.HIDDEN,
    )
    _vote_window(first, opens=now - _days(185), closes=now - _days(178))
    # Counted an hour after the close: the adoption and the result are that one moment.
    first.adopted_at = first.vote_closes_at + timedelta(hours=1)
    first.articles = [
        RuleArticle(position=n, title=title, body=body, created_at=first.created_at)
        for n, (title, body) in enumerate(RULE_ARTICLES, start=1)
    ]
    db.session.add_all([document, first])
    db.session.flush()
    roll = _demo_roll(village, first)
    # The assembly of half a year ago: most of the village took part, on paper; the few
    # with accounts then voted online.
    accounts = {u.resident_id: u.id for u in users.values() if u.resident_id}
    rng = random.Random("shanzhi-demo-vote-1")
    voters = rng.sample(roll, round(len(roll) * 0.64))
    cast = []
    for n, (resident_id, _household) in enumerate(voters):
        online = resident_id in accounts and n % 2 == 0
        choice = rng.choices(["yes", "no", "abstain"], weights=(80, 13, 7))[0]
        cast.append((choice, online))
        db.session.add(
            Ballot(
                version_id=first.id,
                resident_id=resident_id,
                choice=choice,
                channel=BallotChannel.ONLINE if online else BallotChannel.PAPER,
                cast_by_id=accounts[resident_id] if online else committee.id,
                cast_at=first.vote_opens_at + timedelta(hours=2, seconds=20 * n),
            )
        )
    choices = [c for c, _ in cast]
    online = sum(1 for _, o in cast if o)
    represented = len({h for _, h in voters})
    met = quorum_met(
        first.quorum_mode,
        eligible=len(roll),
        turnout=len(voters),
        households=first.roll_household_count,
        represented=represented,
    )
    db.session.add(
        VoteResult(
            version=first,
            quorum_mode=first.quorum_mode,
            eligible_count=len(roll),
            household_count=first.roll_household_count,
            households_represented=represented,
            yes_count=choices.count("yes"),
            no_count=choices.count("no"),
            abstain_count=choices.count("abstain"),
            online_count=online,
            paper_count=len(voters) - online,
            quorum_met=met,
            passed=met and passes(yes=choices.count("yes"), turnout=len(voters)),
            closed_at=first.adopted_at,
            closed_by=committee,
        )
    )
    db.session.add(
        RuleFiling(
            version=first,
            village_id=village.id,
            town_id=village.town_id,
            state=FilingState.FILED,
            submitted_by=committee,
            submitted_at=first.vote_closes_at + _days(2),
            decided_by=town_official,
            decided_at=first.vote_closes_at + _days(9),
        )
    )

    # The amendment: consultation done, the vote opened three days ago, closes in four.
    second = RuleVersion(
        document=document,
        village=village,
        number=2,
        state=VersionState.VOTING,
        based_on=first,
        created_by=committee,
        created_at=now - _days(30),
        consultation_opened_at=now - _days(25),
        consultation_ends_at=now - _days(18),
        vote_announced_at=now - _days(18),
        tally_visibility=TallyVisibility.LIVE,
    )
    _vote_window(second, opens=now - _days(3), closes=now + _days(4))
    articles = [
        RuleArticle(
            position=a.position,
            title=AMENDED.get(a.position, (a.title, a.body))[0],
            body=AMENDED.get(a.position, (a.title, a.body))[1],
            copied_from=a,
            created_at=second.created_at,
        )
        for a in first.articles
    ]
    position, (title, body) = NEW_ARTICLE
    articles.insert(position - 1, RuleArticle(title=title, body=body, position=0))
    for n, article in enumerate(articles, start=1):
        article.position = n
    second.articles = articles
    db.session.add(second)
    db.session.flush()
    villagers = [users[p] for p in VILLAGER_PHONES]
    for n, (position, text) in enumerate(CONSULTATION_COMMENTS):
        db.session.add(
            ArticleComment(
                article=articles[position - 1],
                version=second,
                author=villagers[10 + n],
                body=text,
                created_at=second.consultation_opened_at + _days(1 + n),
            )
        )
    roll = _demo_roll(village, second)
    on_roll = {r for r, _ in roll}
    # Nine villagers have voted online; 13800000010 has not, so the demo can vote.
    online = [u for u in villagers[1:10] if u.resident_id in on_roll]
    choices = ["yes", "yes", "no", "yes", "abstain", "yes", "yes", "no", "yes"]
    for n, user in enumerate(online):
        db.session.add(
            Ballot(
                version_id=second.id,
                resident_id=user.resident_id,
                choice=choices[n],
                channel=BallotChannel.ONLINE,
                cast_by_id=user.id,
                cast_at=second.vote_opens_at + timedelta(hours=5 * n + 1),
                changed_at=second.vote_opens_at + _days(1) if n == 2 else None,
            )
        )
    # The assembly met on the vote's second day; that evening the committee entered its
    # paper ballots, from people without an account.
    with_account = set(
        db.session.scalars(sa.select(User.resident_id).where(User.resident_id.is_not(None)))
    )
    rng = random.Random("shanzhi-demo-vote-2")
    paper_pool = [r for r, _ in roll if r not in with_account]
    entered_at = _local_day(second.vote_opens_at) + timedelta(days=1, hours=20)
    for n, resident_id in enumerate(rng.sample(paper_pool, round(len(paper_pool) * 0.55))):
        db.session.add(
            Ballot(
                version_id=second.id,
                resident_id=resident_id,
                choice=rng.choices(["yes", "no", "abstain"], weights=(74, 17, 9))[0],
                channel=BallotChannel.PAPER,
                cast_by_id=committee.id,
                cast_at=entered_at + timedelta(seconds=6 * n),
            )
        )
    report.rules += 1


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _local_day(moment, *, end: bool = False):
    """The start of `moment`'s day in Asia/Shanghai, or 23:59 of it, as the console sets a
    vote's window from its opening and closing dates."""
    local = moment.astimezone(LOCAL_TZ)
    local = local.replace(hour=23, minute=59) if end else local.replace(hour=0, minute=0)
    return local.replace(second=0, microsecond=0).astimezone(moment.tzinfo)


def _vote_window(version: RuleVersion, *, opens, closes) -> None:
    """A vote window of whole local days, from 00:00 of `opens` to 23:59 of `closes`."""
    opens, closes = _local_day(opens), _local_day(closes, end=True)
    version.vote_opens_at = opens
    version.vote_closes_at = closes
    version.vote_opened_at = opens
    version.quorum_mode = version.village.quorum_mode
    version.updated_at = opens


def _demo_roll(village: Village, version: RuleVersion) -> list[tuple[int, int]]:
    """The frozen roll of a demo vote, as the rules services freeze it: everyone on the
    roster at the opening time and 18 on the opening day, account or not."""
    roll = [tuple(row) for row in db.session.execute(roll_query(version)).all()]
    db.session.execute(
        sa.insert(VoteEligibility),
        [{"version_id": version.id, "resident_id": r, "household_id": h} for r, h in roll],
    )
    size = roll_size_at_opening(version)
    version.roll_eligible_count = size.eligible
    version.roll_household_count = size.households
    version.roll_year_rule_left_out = size.year_rule_left_out
    return roll


# --- 村务公开 notices -----------------------------------------------------------


def _ensure_notices(village: Village) -> None:
    """Notices of 湖滨村 in every category: a quarterly financial disclosure with a table,
    a meeting announcement (pinned), a sanitation drive and its correction, a Party day,
    an assembly decision, and one draft. Built directly, in the demo's one transaction:
    they stand for what the committee published before the portal, without action-log rows.
    """
    from portal.notices.markdown import render_markdown
    from portal.notices.models import Notice, NoticeCategory, NoticeState

    if db.session.scalar(sa.select(Notice.id).where(Notice.village_id == village.id).limit(1)):
        return
    committee = db.session.scalar(sa.select(User).where(User.phone == COMMITTEE_PHONE))
    now = clock.now().replace(microsecond=0)
    today = clock.today_local()
    quarter = (today.month - 1) // 3  # the last full quarter: 0 means last year's fourth
    year, quarter = (today.year - 1, 4) if quarter == 0 else (today.year, quarter)

    def add(category, title, body, days_ago, *, pinned=False, draft=False, corrects=None):
        at = now - timedelta(days=days_ago)
        notice = Notice(
            village=village,
            category=category,
            title=title,
            body=body.strip(),
            body_html=render_markdown(body.strip(), table_label="公告中的表格"),
            state=NoticeState.DRAFT if draft else NoticeState.PUBLISHED,
            pinned=pinned,
            corrects=corrects,
            created_by=committee,
            created_at=at - timedelta(days=1),
            updated_at=at,
            published_at=None if draft else at,
            published_by=None if draft else committee,
        )
        db.session.add(notice)
        return notice

    add(
        NoticeCategory.DECISION,
        "村民代表会议决定：实施村内道路硬化工程",
        """
经村党支部提议、村“两委”会议商议，2026年村民代表会议审议了村内道路硬化工程方案。

应到村民代表 35 人，实到 32 人。

| 同意 | 不同意 | 弃权 |
|---:|---:|---:|
| 29 | 2 | 1 |

会议决定：实施湖滨大道至三组的道路硬化工程，全长 1.2 公里，预算 36 万元。

资金由上级“一事一议”奖补资金和村集体收入共同承担。

施工单位通过镇公共资源交易平台公开选定。
""",
        40,
    )
    add(
        NoticeCategory.FINANCE,
        f"湖滨村{year}年第{'一二三四'[quarter - 1]}季度村级财务收支公开",
        f"""
根据《村务公开条例》，现将本村{year}年第{quarter}季度财务收支情况公开如下，接受全体村民监督。

### 收入

| 项目 | 金额（元） |
|---|---:|
| 上级转移支付 | 86,000.00 |
| 集体资产租赁收入 | 42,500.00 |
| 鱼塘承包费 | 18,000.00 |
| **合计** | **146,500.00** |

### 支出

| 项目 | 金额（元） |
|---|---:|
| 村干部报酬 | 54,000.00 |
| 道路养护 | 23,600.00 |
| 环境卫生保洁 | 15,200.00 |
| 办公及水电 | 6,350.00 |
| **合计** | **99,150.00** |

本季度结余 47,350.00 元。对以上账目有疑问的，请在公示期内向村务监督委员会反映。
""",
        _days_since_last_quarters_report(today),
    )
    add(
        NoticeCategory.PARTY,
        "关于开展主题党日活动的通知",
        """
全体党员：

本月主题党日活动定于 **15 日上午 9:00** 在村党群服务中心举行，内容为：

1. 重温入党誓词；
2. 学习党的基层组织建设有关文件；
3. 为村里 80 岁以上老人清扫庭院。

请准时参加，不能参加的请提前向党支部书记请假。
""",
        12,
    )
    sanitation = add(
        NoticeCategory.AFFAIRS,
        "村庄环境卫生整治活动安排",
        """
为迎接全镇人居环境检查，村里将于**本周六**开展环境卫生整治活动：

- 各户清理房前屋后的柴草、杂物和垃圾；
- 各网格清理沟渠和公共场地；
- 垃圾分类投放，不得焚烧秸秆。

请各户积极参加。整治情况将作为本季度积分评定的依据。
""",
        8,
    )
    add(
        NoticeCategory.AFFAIRS,
        "更正：村庄环境卫生整治活动改在下周六",
        """
原定本周六的环境卫生整治活动，因天气原因改在**下周六上午 8:00** 开始，其他安排不变。

- 各户清理房前屋后的柴草、杂物和垃圾；
- 各网格清理沟渠和公共场地；
- 垃圾分类投放，不得焚烧秸秆。
""",
        6,
        corrects=sanitation,
    )
    add(
        NoticeCategory.ANNOUNCEMENT,
        "关于召开村民代表会议的通知",
        """
各位村民代表：

村委会定于**下周三下午 2:00** 在村委会二楼会议室召开村民代表会议，议题如下：

1. 审议村规民约修订草案；
2. 通报本季度村级财务收支情况；
3. 讨论冬季防火安排。

请各位代表提前收集本组村民的意见，准时参会。
""",
        2,
        pinned=True,
    )
    add(
        NoticeCategory.ANNOUNCEMENT,
        "冬季防火安全提示",
        """
入冬后天干物燥，请各户注意用火用电安全，不在室内给电动车充电。
""",
        0,
        draft=True,
    )


# --- 公开目录 the disclosure schedule ------------------------------------------------


def _days_since_last_quarters_report(today) -> int:
    """How long ago the last quarter's financial report went up: five days after the
    quarter ended (today, early in a quarter), inside the schedule's ten days of grace."""
    from portal.notices.models import DisclosureCadence
    from portal.notices.schedule import period_containing

    quarter = period_containing(DisclosureCadence.QUARTERLY, today)
    return max(0, (today - quarter.start).days - 5)


def _ensure_disclosure_schedule(village: Village) -> None:
    """湖滨村's schedule: finances and the monthly 主题党日 the Party branch keeps, set up at
    the start of the last quarter; village affairs and Party affairs, the rest of the
    standard schedule, added at the start of this one. The last quarter's financial report
    went up within its grace days, and this quarter's village affairs and Party notices
    make those items public; the monthly Party day has had one Party notice in all, so
    the console shows it overdue. Built directly, like the notices, without action-log rows.
    """
    from portal.notices.models import DisclosureCadence, DisclosureItem, NoticeCategory
    from portal.notices.schedule import local_midnight, period_containing, standard_items

    if db.session.scalar(
        sa.select(DisclosureItem.id).where(DisclosureItem.village_id == village.id).limit(1)
    ):
        return
    this_quarter = period_containing(DisclosureCadence.QUARTERLY, clock.today_local())
    last_quarter_start = local_midnight(this_quarter.preceding().start) + timedelta(days=3, hours=9)
    specs = [
        *standard_items(),
        {
            "title": "主题党日",
            "category": NoticeCategory.PARTY,
            "cadence": DisclosureCadence.MONTHLY,
            "grace_days": 5,
        },
    ]
    for spec in specs:
        since_last_quarter = spec["category"] == NoticeCategory.FINANCE or (
            spec["cadence"] == DisclosureCadence.MONTHLY
        )
        created = last_quarter_start if since_last_quarter else local_midnight(this_quarter.start)
        db.session.add(DisclosureItem(village_id=village.id, created_at=created, **spec))


# --- 村民质询 questions on notices ------------------------------------------------


def _ensure_notice_questions(village: Village) -> None:
    """A villager's question 质询 on the quarterly financial disclosure with the
    committee's public answer, and one question on the meeting announcement still
    waiting in the console's queue. Built directly, like the notices."""
    from portal.notices.models import Notice, NoticeCategory, NoticeQuestion, NoticeState

    if db.session.scalar(
        sa.select(NoticeQuestion.id).where(NoticeQuestion.village_id == village.id).limit(1)
    ):
        return
    users = {
        u.phone: u
        for u in db.session.scalars(
            sa.select(User).where(
                User.phone.in_([COMMITTEE_PHONE, VILLAGER_PHONES[1], VILLAGER_PHONES[3]])
            )
        )
    }

    def latest(category):
        return db.session.scalar(
            sa.select(Notice)
            .where(
                Notice.village_id == village.id,
                Notice.category == category,
                Notice.state == NoticeState.PUBLISHED,
            )
            .order_by(Notice.published_at.desc())
            .limit(1)
        )

    now = clock.now().replace(microsecond=0)
    finance = latest(NoticeCategory.FINANCE)
    meeting = latest(NoticeCategory.ANNOUNCEMENT)
    if finance is not None:
        since = now - finance.published_at
        db.session.add(
            NoticeQuestion(
                notice_id=finance.id,
                village_id=village.id,
                asked_by_id=users[VILLAGER_PHONES[1]].id,
                body="鱼塘承包费只有 18,000 元，比去年同期少了一半，是怎么回事？",
                created_at=finance.published_at + since * 0.3,
                answer=(
                    "鱼塘承包合同今年到期后重新公开竞价，新合同从 7 月起算，本季度只收了"
                    "半年的承包费 18,000 元；另外半年的 18,000 元按合同在年底前缴清，"
                    "届时在第四季度财务公开中列出。合同在村委会存档，欢迎村民来查看。"
                ),
                answered_by_id=users[COMMITTEE_PHONE].id,
                answered_at=finance.published_at + since * 0.6,
            )
        )
    if meeting is not None:
        db.session.add(
            NoticeQuestion(
                notice_id=meeting.id,
                village_id=village.id,
                asked_by_id=users[VILLAGER_PHONES[3]].id,
                body="不是村民代表的村民可以去旁听吗？",
                created_at=meeting.published_at + (now - meeting.published_at) * 0.5,
            )
        )


# --- 红黑榜 the boards -----------------------------------------------------------------


def _ensure_boards(village: Village, report: SeedReport) -> None:
    """湖滨村's red and black boards, built through the boards' services."""
    from portal.boards.demo import ensure_boards

    ensure_boards(village, report)


# --- 好人推荐 good-neighbour nominations ---------------------------------------------


def _ensure_nominations(village: Village, report: SeedReport) -> None:
    """湖滨村's nominations in every state, built through the nominations' services."""
    from portal.nominations.demo import ensure_nominations

    ensure_nominations(village, report)


# --- 积分 points and the points shop ---------------------------------------------------


def _ensure_points(village: Village, report: SeedReport) -> None:
    """湖滨村's year of points and its stocked shop, built through the points' services."""
    from portal.points.demo import ensure_points

    ensure_points(village, report)
