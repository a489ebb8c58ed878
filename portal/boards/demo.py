"""湖滨村's red and black boards in the demo: the categories on their articles of the
adopted 村规民约, and entries in every state a page can show.

Built through the boards' services (and the 公示 services for objections and their
answers), each step with the clock at the moment it happened, so every entry has the
course and the action-log rows it would have had. Like the rest of the demo it is
deterministic (a fixed random seed picks the households) and idempotent: once the
village has an entry, nothing is added.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import clock
from portal.auth.models import RegistrationStatus, Role, RoleGrant, User
from portal.boards import appeals, services
from portal.boards.models import AppealKind, Board, BoardCategory, BoardEntry
from portal.extensions import db
from portal.publicity import services as publicity
from portal.villages.models import Household, Resident, Village

# Which article of the demo's rules (by title) each seeded category rests on.
ARTICLE_OF = {
    (Board.BLACK, "乱堆乱放"): "环境卫生",
    (Board.BLACK, "违规焚烧秸秆"): "环境卫生",
    (Board.BLACK, "乱倒垃圾"): "爱护湖塘",
    (Board.BLACK, "大操大办"): "红白事简办",
    (Board.BLACK, "不赡养老人"): "孝老爱亲",
    (Board.RED, "最美家庭"): "邻里和睦",
    (Board.RED, "孝老爱亲"): "孝老爱亲",
    (Board.RED, "志愿服务"): "平安与公益",
    (Board.RED, "环境整洁户"): "环境卫生",
    (Board.RED, "移风易俗"): "红白事简办",
}

# Demo villagers whose own households have black entries, so a login shows the
# household's side (its entry, its appeal): the last two of the twenty.
PUBLISHED_SUBJECT = -1  # published; its appeal dismissed and sent to the town
WITHDRAWN_SUBJECT = -2  # published, then withdrawn after an upheld appeal
OBJECTORS = (5, 6, 7)  # demo villagers who object to entries in 公示

# The rest of the committee, beside the two demo members; the supervisors sit in.
OTHER_MEMBERS = ("陈秀英", "王海燕", "王立新")


@contextmanager
def _clock_at(moment: datetime) -> Iterator[datetime]:
    """The clock at `moment` while one step of the demo's history is written, so the
    rows' own defaults (the action log's time) agree with the `now` passed on."""
    real = clock.now
    clock.now = lambda: moment
    try:
        yield moment
        db.session.flush()  # the rows' defaults are read when they are written
    finally:
        clock.now = real


def ensure_boards(village: Village, report) -> None:
    """The second committee member, the categories and the entries, if missing."""
    from portal.demo import COMMITTEE_PHONE

    second = _ensure_second_member(village, report)
    if db.session.scalar(sa.select(BoardEntry.id).where(BoardEntry.village_id == village.id)):
        return
    first = db.session.scalar(sa.select(User).where(User.phone == COMMITTEE_PHONE))
    now = clock.now().replace(microsecond=0)
    demo = _Builder(village, first, second, now)
    demo.categories()
    demo.red_entries()
    demo.black_entries()
    db.session.flush()


def _ensure_second_member(village: Village, report) -> User:
    """A second committee member of 湖滨村, so that a black entry is approved by a member
    who did not make it: a villager of the second grid."""
    from portal.demo import (
        ADMIN_PHONE,
        SECOND_COMMITTEE_PHONE,
        _adults_without_account,
        demo_password_hash,
    )

    user = db.session.scalar(sa.select(User).where(User.phone == SECOND_COMMITTEE_PHONE))
    if user is not None:
        return user
    admin_id = db.session.scalar(sa.select(User.id).where(User.phone == ADMIN_PHONE))
    adults = _adults_without_account(village, born_by=clock.today_local().year - 30)
    resident = next(r for r in adults if r.household.grid.name == "第二网格")
    user = User(
        phone=SECOND_COMMITTEE_PHONE,
        name=resident.name,
        password_hash=demo_password_hash(),
        resident=resident,
        village=village,
        status=RegistrationStatus.VERIFIED,
        outcome_seen_at=clock.now(),
    )
    user.grants.append(RoleGrant(role=Role.VILLAGER, village=village))
    user.grants.append(RoleGrant(role=Role.COMMITTEE, village=village, granted_by_id=admin_id))
    db.session.add(user)
    db.session.flush()
    report.users += 1
    return user


def _md(moment: datetime) -> str:
    day = clock.local_date(moment)
    return f"{day.month}月{day.day}日"


class _Builder:
    """One run of the boards' demo: who, when, and the steps through the services."""

    def __init__(self, village: Village, first: User, second: User, now: datetime):
        from portal.demo import VILLAGER_PHONES

        self.village = village
        self.first, self.second = first, second
        self.now = now
        # Local midnight of today: each step happens at an hour of a past day.
        local = now.astimezone(clock.LOCAL_TZ)
        self.midnight = local.replace(hour=0, minute=0, second=0).astimezone(now.tzinfo)
        users = {
            u.phone: u
            for u in db.session.scalars(sa.select(User).where(User.phone.in_(VILLAGER_PHONES)))
        }
        self.villagers = [users[p] for p in VILLAGER_PHONES]
        self.rng = random.Random(f"shanzhi-demo-boards-{village.slug}")
        self.pool = self._households_without_accounts()
        self.cats: dict[tuple[Board, str], BoardCategory] = {}
        members = "、".join((first.name, second.name, *OTHER_MEMBERS))
        self.attendees = f"村委会成员{members}；村务监督委员会列席"

    def at(self, days_ago: int, hour: int = 10, minute: int = 0) -> datetime:
        return self.midnight - timedelta(days=days_ago) + timedelta(hours=hour, minutes=minute)

    # --- who -----------------------------------------------------------------------

    def _households_without_accounts(self) -> list[Household]:
        linked = sa.select(User.resident_id).where(User.resident_id.is_not(None))
        with_account = sa.select(Resident.household_id).where(Resident.id.in_(linked))
        return list(
            db.session.scalars(
                sa.select(Household)
                .where(Household.village_id == self.village.id, Household.id.not_in(with_account))
                .options(selectinload(Household.residents))
                .order_by(Household.id)
            )
        )

    def household(self, want=lambda h: True) -> Household:
        """A household of the pool that `want`s, with an adult over 40 on the roster,
        taken out of the pool (each is used once)."""
        year = clock.local_date(self.now).year
        fits = [
            h
            for h in self.pool
            if want(h) and any(r.on_roster and r.birth_year <= year - 40 for r in h.residents)
        ]
        chosen = self.rng.choice(fits)
        self.pool.remove(chosen)
        return chosen

    def adult(self, household: Household, *, older_than: int = 25, oldest=False) -> Resident:
        year = clock.local_date(self.now).year
        adults = [
            r for r in household.residents if r.on_roster and r.birth_year <= year - older_than
        ]
        adults.sort(key=lambda r: (r.birth_year, r.id))
        return adults[0] if oldest else adults[-1]

    def villager_household(self, index: int) -> tuple[User, Household]:
        user = self.villagers[index]
        return user, user.resident.household

    # --- categories ------------------------------------------------------------------

    def categories(self) -> None:
        """Seeded a little after the rules were adopted, each linked to its article."""
        with _clock_at(self.at(170, 9)):
            services.seed_categories(self.village, self.first)
            db.session.flush()
            by_title = {a.title: a for a in services.adopted_articles(self.village)}
            for category in services.categories(self.village):
                key = (category.board, category.name)
                self.cats[key] = category
                title = ARTICLE_OF.get(key)
                if title is None or title not in by_title:
                    continue
                services.save_category(
                    self.first,
                    self.village,
                    board=category.board,
                    name=category.name,
                    description=category.description,
                    article_id=by_title[title].id,
                    category=category,
                )

    def cat(self, board: Board, name: str) -> int:
        return self.cats[(board, name)].id

    # --- red -----------------------------------------------------------------------

    def commend(self, member, name, household, resident, text, days_ago, *, consented=False):
        with _clock_at(self.at(days_ago, 9, 30)) as now:
            entry = services.commend(
                member,
                self.village,
                category_id=self.cat(Board.RED, name),
                household_id=household.id,
                resident_id=resident.id if resident else None,
                description=text,
                consented=consented,
                now=now,
            )
        return entry

    def publish(self, member, entry, days_ago, hour=16):
        with _clock_at(self.at(days_ago, hour)) as now:
            services.publish(member, entry, now=now)

    def red_entries(self) -> None:
        # Published, with the full name: she agreed to be named.
        home = self.household(
            lambda h: any(r.birth_year < 1950 and r.on_roster for r in h.residents)
        )
        carer = self.adult(home, older_than=35)
        entry = self.commend(
            self.first,
            "孝老爱亲",
            home,
            carer,
            "婆婆中风卧床八年，一直由她在家照顾：每天按时喂饭、擦身、翻身，老人没有生过一次"
            "褥疮。丈夫在外务工，家里的农活和两个孩子的学习也由她操持。邻居们都说，这个家"
            "有她在，老人过得踏实。经本人同意，红榜公布她的姓名。",
            60,
            consented=True,
        )
        self.publish(self.second, entry, 54)
        # Published, masked: no consent recorded.
        home = self.household()
        volunteer = self.adult(home, older_than=40, oldest=True)
        entry = self.commend(
            self.second,
            "志愿服务",
            home,
            volunteer,
            "今年参加村里的志愿服务 46 次：每周二、周五到村口值守垃圾分类投放点，汛期带头巡查"
            "湖堤，还帮 5 户独居老人代购药品和生活用品。",
            24,
        )
        self.publish(self.first, entry, 18)
        # In 公示: a household that keeps its yard clean, named as the household.
        home = self.household()
        self.commend(
            self.first,
            "环境整洁户",
            home,
            None,
            "房前屋后常年干净整洁，柴草堆放整齐，门前三包落实到位；生活垃圾分类准确，"
            f"{_md(self.at(12))}村里的人居环境检查中评为第一网格最好的一户。",
            2,
        )

    # --- black -----------------------------------------------------------------------

    def warn(self, member, name, household, text, days_ago, *, deadline_days, resident=None):
        with _clock_at(self.at(days_ago, 10)) as now:
            entry = services.warn(
                member,
                self.village,
                category_id=self.cat(Board.BLACK, name),
                household_id=household.id,
                resident_id=resident.id if resident else None,
                description=text,
                deadline=clock.local_date(now) + timedelta(days=deadline_days),
                now=now,
            )
        return entry

    def approve(self, member, entry, days_ago, *, votes=(5, 0)):
        """Decided at the committee's meeting that morning, entered in the afternoon."""
        with _clock_at(self.at(days_ago, 15)) as now:
            meeting = services.Meeting(
                held_on=clock.local_date(now),
                attendees=self.attendees,
                votes_for=votes[0],
                votes_against=votes[1],
            )
            services.approve_listing(member, entry, meeting, now=now)

    def object(self, villager: User, entry, reason, days_ago, hour=20):
        with _clock_at(self.at(days_ago, hour)) as now:
            period = publicity.period_for(services.SUBJECT, entry.id)
            return publicity.object_online(villager, period, reason, now=now)

    def answer(self, member, objection, text, days_ago, hour=11):
        with _clock_at(self.at(days_ago, hour)) as now:
            publicity.answer(member, objection, text, now=now)

    def black_entries(self) -> None:
        first, second = self.first, self.second

        # Warned three days ago; the deadline is still ahead.
        home = self.household()
        self.warn(
            first,
            "乱堆乱放",
            home,
            "在村东机耕路边堆放拆旧房留下的砖块和木料约 6 立方米，占了半幅路面，农机通行困难。"
            "网格员已两次上门劝导。",
            3,
            deadline_days=15,
        )

        # Warned twenty days ago; the deadline passed five days ago: the committee decides.
        home = self.household()
        self.warn(
            second,
            "违规焚烧秸秆",
            home,
            f"{_md(self.at(21))}傍晚在湖边承包田里焚烧稻草秸秆，浓烟飘到村道，被巡查的网格员"
            "当场制止。秸秆可以交村里的收储点统一粉碎还田。",
            20,
            deadline_days=15,
        )

        # Put right in time: never listed.
        home = self.household()
        entry = self.warn(
            first,
            "乱倒垃圾",
            home,
            "把生活垃圾和废旧塑料薄膜倒在屋后的排水沟里，沟渠堵塞，雨后污水漫到邻居家门口。",
            30,
            deadline_days=10,
        )
        with _clock_at(self.at(24, 16)) as now:
            services.record_put_right(
                second,
                entry,
                "网格员复查：排水沟已清理干净，垃圾改投到分类投放点，户主签字确认。",
                now=now,
            )

        # Declined by the committee after the deadline, with its reason.
        home = self.household()
        wedding = self.at(38)
        entry = self.warn(
            second,
            "大操大办",
            home,
            f"计划于{_md(wedding)}为儿子办婚宴，在镇上饭店预订酒席 32 桌，超过村规民约"
            "“婚宴一般不超过15桌”的规定。红白理事会已上门劝导，请在婚宴前把桌数减下来。",
            45,
            deadline_days=6,
        )
        with _clock_at(self.at(36, 15)) as now:
            services.decline_listing(
                first,
                entry,
                "婚宴实际办了 18 桌，比原计划减少 14 桌，超出部分是从外地赶来的亲属；户主已在"
                "村民代表会上说明情况。村委会集体研究决定不列入黑榜，由红白理事会继续做工作。",
                now=now,
            )

        # In 公示 for three days: one objection answered, one still waiting.
        home = self.household(
            lambda h: (
                any(r.birth_year < 1950 and r.on_roster for r in h.residents)
                and any(1960 <= r.birth_year <= 1985 and r.on_roster for r in h.residents)
            )
        )
        son = self.adult(home, older_than=40)
        entry = self.warn(
            first,
            "不赡养老人",
            home,
            "八十多岁的老母亲独自住在老屋，屋顶漏雨，冬天没有取暖；赡养费从今年春天起不再给付。"
            "村人民调解委员会两次调解，约定每月给付赡养费 600 元并把老人接回家住，至今没有履行。",
            24,
            deadline_days=15,
            resident=son,
        )
        self.approve(second, entry, 3, votes=(5, 0))
        objectors = [self.villagers[n] for n in OBJECTORS]
        asked = self.object(
            objectors[0],
            entry,
            "老人还有一个女儿嫁在本村，赡养义务是儿女共同的，为什么只登记这一户？",
            2,
        )
        self.answer(
            first,
            asked,
            "调解协议约定：老人由儿子接回家照顾、每月给付 600 元，女儿每月给付 300 元。"
            "女儿一直按协议给付并常去看望，儿子这一方没有履行，所以只登记儿子这一户。",
            1,
        )
        self.object(
            objectors[1],
            entry,
            "听说这两天老人已经被接回家住了，能不能请村里再上门核实一次？",
            1,
            hour=19,
        )

        # 公示 over, one objection answered: waits for the committee to publish.
        home = self.household()
        entry = self.warn(
            second,
            "乱倒垃圾",
            home,
            "养猪场的粪污没有经过处理，直接用水管排进村南的小河塘，塘水发黑发臭，"
            "下游两户的菜地无法浇灌。",
            26,
            deadline_days=12,
        )
        self.approve(first, entry, 8, votes=(4, 1))
        asked = self.object(
            objectors[2],
            entry,
            "他家已经买了粪污处理设备，只是还没装好，能不能缓一缓？",
            6,
        )
        self.answer(
            second,
            asked,
            "整改期限内设备没有安装，粪污一直直排；是否列入由村委会集体决定，已经决定列入。"
            "设备装好、经复查不再直排后，这户可以申请撤销。",
            5,
        )

        # Published: a demo villager's own household (its appeal goes to the town).
        _user, home = self.villager_household(PUBLISHED_SUBJECT)
        entry = self.warn(
            second,
            "乱堆乱放",
            home,
            "在公共晒场上长期堆放柴草和废旧农机具，占了晒场三分之一，村民秋收晾晒受影响；"
            "柴草紧挨电线杆，有火灾隐患。",
            50,
            deadline_days=15,
        )
        self.approve(first, entry, 33, votes=(5, 0))
        self.publish(second, entry, 27)
        villager = self.villagers[PUBLISHED_SUBJECT]
        with _clock_at(self.at(20, 21)) as now:
            asked = appeals.appeal(
                villager,
                entry,
                "晒场边上的柴草是冬天烧灶用的，历来各家都堆在那里，不只我们一家；"
                "农机具是借给邻居用完放回来的，只放了几天。",
                now=now,
            )
        with _clock_at(self.at(16, 15)) as now:
            appeals.dismiss(
                first,
                asked,
                "网格员 4 次上门劝导并拍照留存，柴草和农机具在晒场上堆放已超过三个月，"
                "整改期限内没有清理；其他农户经提醒都已清走。村委会集体研究，维持列入的决定。",
                now=now,
            )
        with _clock_at(self.at(13, 20)) as now:
            appeals.ask_town(
                villager,
                asked,
                "村委会没有考虑柴草过冬的实际困难，请镇里来人看一看现场。",
                now=now,
            )

        # Published, then (with its appeal) withdrawn: another villager's household.
        _user, home = self.villager_household(WITHDRAWN_SUBJECT)
        entry = self.warn(
            first,
            "乱倒垃圾",
            home,
            "把装修拆下的瓷砖、石膏板等建筑垃圾倒在村北的沟渠边，约 3 车，堵住了沟渠入口。",
            44,
            deadline_days=10,
        )
        self.approve(second, entry, 31, votes=(4, 0))
        self.publish(first, entry, 25)
        with _clock_at(self.at(14, 19)) as now:
            asked = appeals.appeal(
                self.villagers[WITHDRAWN_SUBJECT],
                entry,
                "建筑垃圾已经全部雇车运到镇上的消纳场，沟渠入口也清通了，"
                "附了消纳场的收据，请村里复查后撤下。",
                kind=AppealKind.WITHDRAWAL,
                now=now,
            )
        with _clock_at(self.at(11, 15)) as now:
            appeals.uphold(
                second,
                asked,
                "网格员现场复查：建筑垃圾已清运，沟渠畅通，消纳场收据属实。村委会同意撤下这一条。",
                now=now,
            )

        # Published long ago: its date has passed and it is off the board.
        home = self.household()
        entry = self.warn(
            first,
            "违规焚烧秸秆",
            home,
            "在禁烧区内的麦田里焚烧麦秸，火势蔓延到田埂边的树林，烧毁杨树苗十余棵，"
            "村里组织人员扑救近一个小时。",
            150,
            deadline_days=10,
        )
        self.approve(second, entry, 137, votes=(5, 0))
        self.publish(first, entry, 131)
        expires_at = entry.expires_at
        with _clock_at(expires_at + timedelta(minutes=5)) as now:
            services.ENTRY.move(
                "expire", entry, actor=None, role="system", village=self.village, now=now
            )
