"""湖滨村's points 积分 in the demo: a year of entries, a stocked shop 积分超市, and what
households took from it at the counter.

Built through the points services (and the 公示 services for objections and their
answers), each step with the clock at the moment it happened, as the boards' demo
does: the common catalogue; over the last twelve months, entries for most households
(the grid worker records for the first grid, the committee for the others, a few
villagers declare their own, the clerk enters one paper declaration), each approved by
the committee member the rules allow (never its recorder, never someone of its
household), its 公示 passed and written to the ledger by the nightly `flask tick`; a
few deductions, a few rejected with their reasons, one rejected after an objection was
upheld; now a few pending, a few in 公示 (one objection answered, one waiting); and the
shop the shopkeeper runs, stocked, restocked, one reward sold out, with monthly
redemptions and one reversed at the counter (拿错了, the goods back on the shelf).

The book year open is this year (`services.open_year`), made before the first ledger
row, and no year is closed. Deterministic (fixed random seeds) and idempotent: once the
village has a points entry, nothing is added.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import clock
from portal.auth.models import RegistrationStatus, Role, RoleGrant, User
from portal.auth.roles import grant_role
from portal.boards.demo import _clock_at
from portal.extensions import db
from portal.points import services, shop
from portal.points.catalogue import seed_catalogue
from portal.points.models import CapPeriod, PointItem, PointsEntry, Reward
from portal.publicity import services as publicity
from portal.publicity.models import Objection
from portal.settings import registry as settings
from portal.villages.models import Household, Resident, Village

# The shop's shelves: (name, unit, cost in points, stock when the shop opened).
REWARDS = (
    ("食盐", "1 袋", 2, 40),
    ("肥皂", "2 块装", 3, 40),
    ("牙膏", "1 支", 5, 30),
    ("挂面", "1 公斤", 5, 30),
    ("毛巾", "1 条", 6, 12),  # sold out by the end
    ("酱油", "1 瓶", 6, 30),
    ("洗衣粉", "1 公斤", 8, 30),
    ("大米", "5 斤装", 30, 20),
    ("食用油", "5 升", 60, 8),
)
SOLD_OUT = "毛巾"
# Restocked to this many, when the shelf holds fewer, on a restocking day.
RESTOCK_TO = {"食盐": 40, "肥皂": 40, "牙膏": 30, "挂面": 35, "酱油": 30, "洗衣粉": 30}

# Demo villagers (by their place among the twenty) who declare and object.
DECLARERS = (0, 2, 4, 8)
OBJECTORS = (9, 10)

SHOPKEEPER_GRID = "第三网格"
# Most households have some entries, from the health-insurance list at least; the
# active quarter of them most of the rest. Enough to show, few enough to seed fast.
PAID_ON_TIME = 0.4
ACTIVE_SHARE = 0.75


def ensure_points(village: Village, report) -> None:
    """The catalogue, the shopkeeper, the entries and the shop, if missing."""
    from portal.demo import COMMITTEE_PHONE, GRID_WORKER_PHONE, SECOND_COMMITTEE_PHONE

    seed_catalogue(village)
    db.session.flush()
    users = {
        u.phone: u
        for u in db.session.scalars(
            sa.select(User).where(
                User.phone.in_((COMMITTEE_PHONE, SECOND_COMMITTEE_PHONE, GRID_WORKER_PHONE))
            )
        )
    }
    now = clock.now().replace(microsecond=0)
    first = users[COMMITTEE_PHONE]
    shopkeeper = _ensure_shopkeeper(village, first, report, now)
    if db.session.scalar(
        sa.select(PointsEntry.id).where(PointsEntry.village_id == village.id).limit(1)
    ):
        return
    # The book year is this year, whenever the entries below happened.
    services.open_year(village.id, now)
    demo = _Builder(
        village, first, users[SECOND_COMMITTEE_PHONE], users[GRID_WORKER_PHONE], shopkeeper, now
    )
    demo.entries()
    demo.shop()
    demo.run()
    db.session.flush()


def _midnight(now: datetime) -> datetime:
    local = now.astimezone(clock.LOCAL_TZ)
    return local.replace(hour=0, minute=0, second=0).astimezone(now.tzinfo)


def _ensure_shopkeeper(village: Village, committee: User, report, now: datetime) -> User:
    """积分超市管理员: a verified villager of the third grid, appointed by the committee
    when the shop opened, through the console's grant (with its action-log row)."""
    from portal.demo import SHOPKEEPER_PHONE, _adults_without_account, demo_password_hash

    user = db.session.scalar(sa.select(User).where(User.phone == SHOPKEEPER_PHONE))
    if user is not None:
        return user
    adults = _adults_without_account(village, born_by=clock.today_local().year - 30)
    resident = next(r for r in adults if r.household.grid.name == SHOPKEEPER_GRID)
    midnight = _midnight(now)
    with _clock_at(midnight - timedelta(days=350) + timedelta(hours=10)):
        user = User(
            phone=SHOPKEEPER_PHONE,
            name=resident.name,
            password_hash=demo_password_hash(),
            resident=resident,
            village=village,
            status=RegistrationStatus.VERIFIED,
            outcome_seen_at=clock.now(),
        )
        user.grants.append(RoleGrant(role=Role.VILLAGER, village=village))
        db.session.add(user)
    with _clock_at(midnight - timedelta(days=340) + timedelta(hours=16)):
        grant_role(committee, Role.COMMITTEE, user, Role.SHOPKEEPER, village=village)
    report.users += 1
    return user


@dataclass
class _Plan:
    """One entry as it will happen: recorded, then (perhaps) decided."""

    household: Household
    code: str
    occurred: date
    recorded_at: datetime
    recorder: User
    approver: User
    note: str | None = None
    declared_by: Resident | None = None
    decided_at: datetime | None = None  # None: still pending
    reason: str | None = None  # rejected with it
    entry: PointsEntry | None = None
    objection: Objection | None = None


class _Builder:
    """One run of the points demo: who, when, and the steps through the services, put on
    one timeline and run in the order they happened."""

    def __init__(self, village, first, second, grid_worker, shopkeeper, now):
        from portal.demo import SUPERVISOR_PHONE, VILLAGER_PHONES

        self.village = village
        self.first, self.second, self.grid_worker = first, second, grid_worker
        self.shopkeeper = shopkeeper
        self.now = now
        self.midnight = _midnight(now)
        self.rng = random.Random(f"shanzhi-demo-points-{village.slug}")
        self.shop_rng = random.Random(f"shanzhi-demo-shop-{village.slug}")
        self.households = list(
            db.session.scalars(
                sa.select(Household)
                .where(Household.village_id == village.id)
                .options(selectinload(Household.residents), selectinload(Household.grid))
                .order_by(Household.id)
            )
        )
        self.first_grid = min(h.grid_id for h in self.households)
        self.active = self.rng.sample(self.households, len(self.households) // 4)
        phones = (*VILLAGER_PHONES, SUPERVISOR_PHONE)
        users = {
            u.phone: u
            for u in db.session.scalars(
                sa.select(User).where(User.phone.in_(phones)).options(selectinload(User.resident))
            )
        }
        self.villagers = [users[p] for p in VILLAGER_PHONES]
        self.supervisor = users[SUPERVISOR_PHONE]
        self.home_of = {
            u.id: u.resident.household_id
            for u in (first, second, grid_worker, shopkeeper)
            if u.resident is not None
        }
        self.cadres = services.cadre_households(village.id)
        self.items = {i.code: i for i in services.catalogue(village)}
        self.notice_days = settings.setting(village, services.NOTICE_DAYS.key)
        self.plans: list[_Plan] = []
        self.used: dict[tuple, int] = {}
        self.events: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.rewards: dict[str, Reward] = {}

    def at(self, days_ago: int, hour: int = 10, minute: int = 0) -> datetime:
        return self.midnight - timedelta(days=days_ago) + timedelta(hours=hour, minutes=minute)

    def day(self, days_ago: int) -> date:
        return clock.local_date(self.at(days_ago))

    def on(self, moment: datetime, step: Callable[[datetime], None]) -> None:
        self.events.append((moment, len(self.events), step))

    def run(self) -> None:
        self._ticks()
        for moment, _n, step in sorted(self.events, key=lambda e: (e[0], e[1])):
            with _clock_at(moment) as now:
                step(now)

    # --- who -----------------------------------------------------------------------

    def pair(self, household: Household) -> tuple[User, User]:
        """Who records for `household` and who approves: the grid worker for the first
        grid, a committee member for the others; the approver a committee member who
        neither recorded it nor lives in the household."""
        first, second = self.first, self.second
        if household.id == self.home_of.get(second.id):
            # Only the first member may approve it; the second records it.
            return second, first
        if household.grid_id == self.first_grid and household.id != self.home_of.get(
            self.grid_worker.id
        ):
            if household.id == self.home_of.get(first.id):
                return self.grid_worker, second
            return self.grid_worker, self.rng.choice((first, second))
        if household.id == self.home_of.get(first.id):
            return first, second
        return (first, second) if self.rng.random() < 0.65 else (second, first)

    def pick(self, count: int, *, exclude=()) -> list[Household]:
        """`count` households, most of them from the active ones: in every village a
        few families turn up to everything."""
        active = [h for h in self.active if h.id not in exclude]
        rest = [h for h in self.households if h.id not in exclude and h not in self.active]
        from_active = min(round(count * ACTIVE_SHARE), len(active))
        chosen = self.rng.sample(active, from_active)
        chosen += self.rng.sample(rest, min(count - from_active, len(rest)))
        return sorted(chosen, key=lambda h: h.id)

    def head(self, household: Household) -> Resident:
        return next(r for r in sorted(household.residents, key=lambda r: r.id) if r.on_roster)

    # --- entries ---------------------------------------------------------------------

    def _fits_cap(self, household: Household, code: str, on: date) -> bool:
        item: PointItem = self.items[code]
        if item.cap is None:
            return True
        period = (on.year, on.month) if item.cap_period == CapPeriod.MONTH else (on.year,)
        key = (household.id, code, period)
        if self.used.get(key, 0) + abs(item.points) > item.cap:
            return False
        self.used[key] = self.used.get(key, 0) + abs(item.points)
        return True

    def plan(
        self,
        household: Household,
        code: str,
        days_ago: int,
        *,
        seq: int = 0,
        after: int = 1,
        decide: int = 2,
        note: str | None = None,
        reason: str | None = None,
        recorder: User | None = None,
        approver: User | None = None,
        declared_by: Resident | None = None,
    ) -> _Plan | None:
        """An event `days_ago`, recorded `after` days later and decided `decide` days
        after that (at the committee's afternoon review), unless that is not yet."""
        occurred = self.day(days_ago)
        if not self._fits_cap(household, code, occurred):
            return None
        if recorder is None:
            recorder, chosen = self.pair(household)
            approver = approver or chosen
        recorded_days = max(days_ago - after, 1)
        recorded_at = self.at(recorded_days, 9 + seq // 30, (seq * 2) % 60)
        decided_days = recorded_days - decide
        decided_at = (
            self.at(decided_days, 15) + timedelta(seconds=20 * seq) if decided_days >= 1 else None
        )
        plan = _Plan(
            household=household,
            code=code,
            occurred=occurred,
            recorded_at=recorded_at,
            recorder=recorder,
            approver=approver,
            note=note,
            declared_by=declared_by,
            decided_at=decided_at,
            reason=reason,
        )
        self.plans.append(plan)
        self.on(recorded_at, lambda now: self._record(plan, now))
        if decided_at is not None:
            self.on(decided_at, lambda now: self._decide(plan, now))
        return plan

    def _record(self, plan: _Plan, now: datetime) -> None:
        plan.entry = services.record(
            plan.recorder,
            self.village,
            plan.household,
            self.items[plan.code],
            plan.occurred,
            note=plan.note,
            declared_by=plan.declared_by,
            now=now,
        )

    def _decide(self, plan: _Plan, now: datetime) -> None:
        if plan.reason is not None:
            services.reject(plan.approver, self.village, plan.entry, plan.reason, now=now)
        else:
            services.approve(plan.approver, self.village, plan.entry, now=now)

    def wave(
        self,
        code: str,
        days_ago: int,
        households: list[Household],
        *,
        note: str | None = None,
        after: int = 1,
        decide: int = 2,
        rejected: dict[int, str] | None = None,
    ) -> list[_Plan]:
        """One occasion (a meeting, a drive) and the entries of everyone who took part."""
        rejected = rejected or {}
        plans = []
        for n, household in enumerate(households):
            plan = self.plan(
                household,
                code,
                days_ago,
                seq=n,
                after=after,
                decide=decide,
                note=note,
                reason=rejected.get(n),
            )
            if plan is not None:
                plans.append(plan)
        return plans

    def entries(self) -> None:
        md = self._md
        villager_homes = {u.resident.household_id for u in self.villagers}
        # 医保、养老保险: most households pay on time, recorded from the collection list.
        paid = [h for h in self.households if self.rng.random() < PAID_ON_TIME]
        for household in self.households:
            if household.id in villager_homes and household not in paid:
                paid.append(household)
        paid.sort(key=lambda h: h.id)
        self.wave("J03", 255, paid, note="村医保缴费名单", after=2, decide=3)

        # 村民会议 and 村民代表会议: four in the year.
        meetings = (
            (330, "年终村民代表会议，通报全年村务"),
            (215, "村民会议，审议村规民约修订"),
            (96, "村民代表会议，讨论道路硬化工程"),
            (40, "村民代表会议，审议道路硬化工程方案"),
        )
        for n, (days_ago, note) in enumerate(meetings):
            rejected = {5: "会议签到表上没有这一户的人，不能记分。"} if n == 1 else None
            self.wave("M01", days_ago, self.pick(8), note=note, rejected=rejected)
        # 村规民约表决: the first version's vote, at the assembly.
        self.wave("M02", 200, self.pick(8), note=f"{md(200)}村规民约表决")

        # 义务劳动 (half a day each): the sanitation drives.
        drives = ((282, "清理村东沟渠"), (163, "汛前清淤"))
        drives += ((45, "环境卫生整治"), (9, "人居环境检查前大扫除"))
        for n, (days_ago, note) in enumerate(drives):
            rejected = {3: "经网格员核实，这一户当天没有参加义务劳动。"} if n == 2 else None
            self.wave("G01", days_ago, self.pick(6), note=note, rejected=rejected, decide=3)
        # 防汛值守: the flood season; a committee member's household among them.
        flood = self.pick(5, exclude=self.cadres)
        flood.append(self._home(self.first))
        self.wave("G02", 128, sorted(flood, key=lambda h: h.id), note="汛期湖堤巡查值守")
        self.wave("G02", 112, self.pick(3), note="暴雨期间夜间值守")
        # 子女按时入学: the new school year.
        self.wave("J07", 90, self.pick(4), note="秋季开学，子女按时入学", decide=4)
        # 美丽庭院 示范户, from the town's inspection.
        self.wave("J06", 70, self.pick(4), note="镇“美丽庭院”评比", after=3)
        # 为村里公益事业捐款捐物: for the road.
        self.wave("G06", 58, self.pick(6), note="道路硬化工程捐款", decide=3)
        # 配合人居环境整治.
        self.wave("J08", 150, self.pick(3), note="拆除房前违建棚舍")
        # 村务公开日.
        self.wave("M04", 120, self.pick(3), note="参加村务公开日")

        self._singles()
        self._deductions()
        self._declarations()
        self._now()

    def _home(self, user: User) -> Household:
        household_id = user.resident.household_id
        return next(h for h in self.households if h.id == household_id)

    def _md(self, days_ago: int) -> str:
        on = self.day(days_ago)
        return f"{on.month}月{on.day}日"

    def _singles(self) -> None:
        """The year's single deeds, one household each."""
        md = self._md
        singles = (
            ("G03", 300, "在县中心血站无偿献血 400 毫升"),
            ("G03", 66, "无偿献血 400 毫升"),
            ("G04", 240, "在村口拾到装有 3,000 元现金的钱包，交还失主"),
            ("G05", 270, "常年照顾隔壁独居的五保老人，经网格员核实"),
            ("G05", 140, "帮助留守儿童辅导功课，经核实"),
            ("G05", 33, "照顾孤寡老人，冬季帮助取暖"),
            ("G07", 310, "参加春节前的志愿服务"),
            ("G07", 88, "重阳节为老人义务理发"),
            ("G07", 20, "在投放点值守垃圾分类"),
            ("M03", 205, "建议在村小学门口设减速带，已采纳"),
            ("M06", 75, "调解邻里用水纠纷，调解成功"),
            ("G10", 160, "劝阻焚烧秸秆，经核实"),
            ("G09", 120, "评为村“好婆婆”"),
            ("J05", 260, f"{md(262)}儿子婚事简办，并向红白理事会报备"),
            ("J05", 110, "老人丧事简办，并向红白理事会报备"),
            ("G08", 100, "评为县级“文明家庭”"),
            ("M05", 55, "参加村里组织的农技培训"),
        )
        for n, (code, days_ago, note) in enumerate(singles):
            [household] = self.pick(1)
            self.plan(household, code, days_ago, seq=n, note=note, decide=2 + n % 3)
        # A cadre's household: the supervisor's, for the supervisors' list.
        self.plan(self._home(self.supervisor), "G07", 84, note="参加村里的志愿服务活动", decide=3)
        # The grid worker's own household: recorded by the committee, not by them.
        self.plan(
            self._home(self.grid_worker),
            "G05",
            150,
            note="照顾邻居的留守儿童",
            recorder=self.first,
            approver=self.second,
        )
        # Rejected: recorded twice for the same deed.
        [household] = self.pick(1)
        self.plan(household, "G06", 57, note="捐款", reason="同一笔捐款已经记过一次，这条重复了。")

    def _deductions(self) -> None:
        """A few deductions (K items), final: 扣完为止 if the balance is short."""
        deductions = (
            ("K02", 180, "在湖边承包田焚烧稻草秸秆，被巡查的网格员当场制止"),
            ("K02", 20, "在屋后焚烧垃圾，经劝阻后熄灭"),
            ("K01", 130, "往村南小河塘倾倒污水，经劝阻不改"),
            ("K07", 95, "散养的鸭子进入邻居菜地，多次劝说不改"),
        )
        for n, (code, days_ago, note) in enumerate(deductions):
            [household] = self.pick(1)
            self.plan(household, code, days_ago, seq=n, note=note, decide=3)

    def _declarations(self) -> None:
        """Villagers' own declarations online, and one paper declaration the clerk enters."""
        first, second = self.first, self.second
        entries = (
            (DECLARERS[0], "G07", 50, "参加村里的重阳节敬老志愿服务", None),
            (DECLARERS[1], "M03", 130, "建议村里在湖边装护栏，村委会已采纳", None),
            (
                DECLARERS[2],
                "G06",
                60,
                "给道路硬化工程捐了 200 元",
                "捐款名单上没有这一户，请带上收据到村委会核对后重新申报。",
            ),
        )
        for index, code, days_ago, note, reason in entries:
            villager = self.villagers[index]
            self.plan(
                self._home(villager),
                code,
                days_ago,
                after=0,
                decide=2,
                note=note,
                reason=reason,
                recorder=villager,
                approver=second if index % 2 else first,
            )
        # 纸质申报: an old villager without a phone brings the form to the committee.
        with_account = {u.resident.household_id for u in self.villagers} | set(self.cadres)
        [household] = self.pick(1, exclude=with_account)
        self.plan(
            household,
            "G05",
            160,
            after=2,
            note="纸质申报：常年照顾同组的孤寡老人，有邻居签字证明",
            recorder=first,
            approver=second,
            declared_by=self.head(household),
        )

    def _now(self) -> None:
        """What is open today: a few pending, a few in 公示 (one objection answered, one
        still waiting), and one rejected after an objection was upheld."""
        first = self.first
        # Pending: recorded in the last days, the committee's review not yet.
        for n, (code, days_ago, note) in enumerate(
            (
                ("G07", 3, "在投放点值守垃圾分类"),
                ("G05", 4, "照顾隔壁独居老人"),
                ("M05", 2, "参加村里组织的防诈骗讲座"),
            )
        ):
            [household] = self.pick(1)
            self.plan(household, code, days_ago, seq=n, after=1, decide=3, note=note)
        villager = self.villagers[DECLARERS[3]]
        self.plan(
            self._home(villager),
            "G05",
            2,
            after=1,
            decide=1,
            note="帮同组的留守儿童辅导功课",
            recorder=villager,
            approver=first,
        )
        # In 公示: approved yesterday or the day before.
        in_notice = []
        for n, (code, days_ago, decide, note) in enumerate(
            (
                ("G07", 5, 2, "参加冬季防火宣传"),
                ("G04", 4, 2, "拾到手机交还失主"),
                ("K07", 5, 3, "散养的鸡进入村小学操场，劝说不改"),
                ("J08", 4, 1, "清理房前乱堆乱放"),
            )
        ):
            [household] = self.pick(1)
            in_notice.append(
                self.plan(household, code, days_ago, seq=n, after=1, decide=decide, note=note)
            )
        objectors = [self.villagers[i] for i in OBJECTORS]
        # One objection answered (the entry stays in 公示 to its end), one still waiting:
        # approved the day before yesterday, and yesterday.
        answered, waiting = in_notice[3], in_notice[1]
        self.object(objectors[1], answered, "他家门前的杂物只搬到了屋后，没有清走。", 2, 20)
        self.answer(
            answered.approver,
            answered,
            "网格员昨天上门复查：屋后的杂物也已清运，房前屋后干净整洁，积分不变。",
            1,
        )
        self.object(objectors[0], waiting, "手机是我家亲戚捡到的，不是这一户。", 1, 19)
        # An objection upheld: the entry rejected in its 公示.
        [household] = self.pick(1)
        upheld = self.plan(household, "G01", 38, after=1, decide=1, note="参加环境卫生整治")
        self.object(objectors[0], upheld, "那天他家没有人来，是邻居替他签的到。", 35, 20)
        self.answer(
            upheld.approver,
            upheld,
            "经网格员向在场村民核实，异议属实，这条积分退回。",
            34,
        )
        self.on(
            self.at(34, 11, 5),
            lambda now: services.reject(
                upheld.approver,
                self.village,
                upheld.entry,
                "公示期间有村民提出异议，经核实当天这一户没有人参加，积分退回。",
                now=now,
            ),
        )

    def object(self, villager: User, plan: _Plan, reason: str, days_ago: int, hour: int) -> None:
        def step(now):
            period = publicity.period_for(services.SUBJECT, plan.entry.id)
            plan.objection = publicity.object_online(villager, period, reason, now=now)

        self.on(self.at(days_ago, hour), step)

    def answer(self, member: User, plan: _Plan, text: str, days_ago: int) -> None:
        self.on(
            self.at(days_ago, 11),
            lambda now: publicity.answer(member, plan.objection, text, now=now),
        )

    def _ticks(self) -> None:
        """`flask tick` at 01:00 each night an entry's 公示 ended before: it writes what
        time has made final to the ledger."""
        nights = set()
        for plan in self.plans:
            if plan.decided_at is None or plan.reason is not None:
                continue
            ended = plan.decided_at + timedelta(days=self.notice_days)
            local = ended.astimezone(clock.LOCAL_TZ).replace(hour=1, minute=0, second=0)
            night = (local + timedelta(days=1)).astimezone(self.now.tzinfo)
            if night < self.now:
                nights.add(night)
        for night in sorted(nights):
            self.on(night, lambda now: services.post_due(now, village_id=self.village.id))

    # --- the shop ----------------------------------------------------------------------

    def shop(self) -> None:
        """Opened eleven months ago; open for redemptions every five weeks; restocked
        twice; one redemption reversed at the counter."""
        self.on(self.at(335, 9), self._open_shop)
        for days_ago in (200, 80):
            self.on(self.at(days_ago, 8, 30), self._restock)
        shop_days = list(range(300, 0, -36))
        for n, days_ago in enumerate(shop_days):
            last = n == len(shop_days) - 1
            self.on(
                self.at(days_ago, 9),
                lambda now, last=last, reversal=(n == 6): self._shop_day(now, last, reversal),
            )

    def _open_shop(self, now: datetime) -> None:
        for name, unit, cost, stock in REWARDS:
            self.rewards[name] = shop.add_reward(
                self.shopkeeper, self.village, name=name, unit=unit, cost=cost, stock=stock
            )

    def _restock(self, now: datetime) -> None:
        for name, target in RESTOCK_TO.items():
            reward = self.rewards[name]
            if reward.stock < target:
                shop.restock(self.shopkeeper, self.village, reward, target - reward.stock, now=now)

    def _shop_day(self, now: datetime, last: bool, reversal: bool) -> None:
        """A morning at the counter: the households that come, each taking what their
        points allow, a few minutes apart."""
        rng = self.shop_rng
        ids = [h.id for h in self.households]
        available = {i: s.available for i, s in services.standings(ids, now).items()}
        first_villager = self.villagers[0].resident.household_id
        able = [i for i in ids if available[i] >= 2]
        # Those who saved up come for rice or oil; a few others for everyday goods.
        saved = [i for i in able if available[i] >= 30]
        comers = rng.sample(saved, min(len(saved), 2))
        others = [i for i in able if i not in comers]
        comers += rng.sample(others, min(len(others), rng.randint(2, 4)))
        if last and first_villager in able and first_villager not in comers:
            comers.append(first_villager)
        by_id = {h.id: h for h in self.households}
        minute = 0
        rows = []
        for household_id in comers:
            minute += rng.randint(3, 12)
            moment = now + timedelta(minutes=minute)
            row = self._take(by_id[household_id], available, moment)
            if row is not None:
                rows.append(row)
        if last:
            # The last towels go.
            towels = self.rewards[SOLD_OUT]
            for household_id in sorted(able, key=lambda i: -available[i]):
                if towels.stock == 0:
                    break
                if available[household_id] >= towels.cost:
                    minute += 4
                    self._redeem(by_id[household_id], towels, 1, available, now, minute)
        if reversal and rows:
            self._reverse(rows[0], by_id, available, now + timedelta(minutes=minute + 5))

    def _take(self, household: Household, available: dict, moment: datetime):
        rng = self.shop_rng
        have = available[household.id]
        choices = [r for r in self.rewards.values() if r.stock > 0 and r.cost <= have]
        if not choices:
            return None
        # Rice or oil, mostly, for those who saved up for it; everyday goods for the rest.
        dearest = max(choices, key=lambda r: r.cost)
        if dearest.cost >= 30 and rng.random() < 0.6:
            reward = dearest
        else:
            reward = rng.choice([r for r in choices if r.cost < 30] or choices)
        quantity = 1
        if (
            reward.cost <= 6
            and reward.stock >= 2
            and reward.cost * 2 <= have
            and rng.random() < 0.4
        ):
            quantity = 2
        return self._redeem(household, reward, quantity, available, moment, 0)

    def _redeem(self, household, reward, quantity, available, moment, minute):
        with _clock_at(moment + timedelta(minutes=minute)) as now:
            row = shop.redeem(self.shopkeeper, self.village, household, reward, quantity, now=now)
        available[household.id] -= reward.cost * quantity
        return row

    def _reverse(self, row, by_id, available, moment) -> None:
        """拿错了: the shopkeeper wrote down the wrong goods; the committee reverses the
        row (the goods go back on the shelf) and the right ones are taken."""
        household = by_id[row.household_id]
        wrong = row.reward
        with _clock_at(moment) as now:
            services.reverse(
                self.first,
                self.village,
                row,
                f"拿错了：登记成了{wrong.name}，户主实际没有拿，已退回库存，重新登记。",
                now=now,
            )
        available[household.id] += -row.points
        right = next(
            (
                r
                for r in sorted(self.rewards.values(), key=lambda r: r.cost)
                if r.id != wrong.id and r.stock > 0 and r.cost <= available[household.id]
            ),
            None,
        )
        if right is not None:
            self._redeem(household, right, 1, available, moment, 2)
