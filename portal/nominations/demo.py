"""湖滨村's good-neighbour nominations 好人推荐 in the demo: the five official categories,
and nominations in every state a page can show.

Built through the nominations' services (and the 公示 services for objections and their
answers), each step with the clock at the moment it happened, as the boards' demo does,
so every nomination has the course and the action-log rows it would have had: one still
collecting endorsements, one entered from paper with paper endorsements waiting for the
committee, one in 公示 with an objection answered and one not, one whose 公示 has ended,
two commended (one also on the red board, masked, and sent to the town, which selected
it; the other sent to the town and waiting), one not selected with its reason, and one
withdrawn. Deterministic (a fixed random seed picks the households) and idempotent: once
the village has a nomination, nothing is added.
"""

from __future__ import annotations

import random
from datetime import date

import sqlalchemy as sa

from portal import clock
from portal.auth.models import User
from portal.boards import services as boards
from portal.boards.demo import _Builder as _BoardsBuilder
from portal.boards.demo import _clock_at, _md
from portal.boards.models import Board, BoardCategory, BoardEntry
from portal.extensions import db
from portal.nominations import services
from portal.nominations.models import Nomination
from portal.publicity import services as publicity
from portal.villages.models import Resident, Village

# Demo villagers (by their place among the twenty) who nominate, endorse and object.
# The first villager, the demo's usual login, has not endorsed the nomination still
# collecting, so a demo can endorse it.
NOMINATORS = {
    "flood": 11,
    "wallet": 12,
    "notice_ended": 13,
    "doctor": 14,
    "pond": 15,
    "rejected": 16,
    "withdrawn": 17,
}
ENDORSERS = (1, 2, 3, 4, 8, 9, 10)
OBJECTORS = (5, 7)

# The red-board category the village doctor's entry is made in.
RED_CATEGORY = "志愿服务"


def ensure_nominations(village: Village, report) -> None:
    """The official categories and the nominations, if missing."""
    from portal.demo import COMMITTEE_PHONE, SECOND_COMMITTEE_PHONE, TOWN_OFFICIAL_PHONE

    services.seed_categories(village)
    db.session.flush()
    if db.session.scalar(
        sa.select(Nomination.id).where(Nomination.village_id == village.id).limit(1)
    ):
        return
    users = {
        u.phone: u
        for u in db.session.scalars(
            sa.select(User).where(
                User.phone.in_((COMMITTEE_PHONE, SECOND_COMMITTEE_PHONE, TOWN_OFFICIAL_PHONE))
            )
        )
    }
    now = clock.now().replace(microsecond=0)
    demo = _Builder(
        village,
        users[COMMITTEE_PHONE],
        users[SECOND_COMMITTEE_PHONE],
        users[TOWN_OFFICIAL_PHONE],
        now,
    )
    demo.nominations()
    db.session.flush()


class _Builder(_BoardsBuilder):
    """One run of the nominations' demo: the boards' builder's people and hours, its own
    random seed, and nominees from households the boards do not name."""

    def __init__(self, village: Village, first: User, second: User, town: User, now):
        super().__init__(village, first, second, now)
        self.town = town
        self.rng = random.Random(f"shanzhi-demo-nominations-{village.slug}")
        on_boards = set(
            db.session.scalars(
                sa.select(BoardEntry.household_id).where(BoardEntry.village_id == village.id)
            )
        )
        self.pool = [h for h in self.pool if h.id not in on_boards]
        self.nomination_cats = {c.name: c.id for c in services.categories(village)}

    def day(self, days_ago: int) -> date:
        return clock.local_date(self.at(days_ago))

    def nominee(self, *, older_than: int = 30, oldest: bool = False) -> Resident:
        return self.adult(self.household(), older_than=older_than, oldest=oldest)

    # --- steps -----------------------------------------------------------------------

    def nominate(self, key: str, category: str, nominee: Resident, story: str, deed, days_ago):
        user = self.villagers[NOMINATORS[key]]
        with _clock_at(self.at(days_ago, 20, 10)) as now:
            return services.nominate(
                user,
                self.village,
                category_id=self.nomination_cats[category],
                nominee_resident_id=nominee.id,
                story=story,
                deed_on=deed,
                now=now,
            )

    def endorse(self, nomination: Nomination, who, days_ago: int) -> None:
        for n, index in enumerate(who):
            with _clock_at(self.at(days_ago - n, 19, 30 + n)) as now:
                services.endorse(self.villagers[index], nomination, now=now)

    def accept(self, member: User, nomination: Nomination, days_ago: int) -> None:
        with _clock_at(self.at(days_ago, 15)) as now:
            services.accept(member, nomination, now=now)

    def object(self, index: int, nomination: Nomination, reason: str, days_ago: int):
        with _clock_at(self.at(days_ago, 20, 40)) as now:
            period = publicity.period_for(services.SUBJECT, nomination.id)
            return publicity.object_online(self.villagers[index], period, reason, now=now)

    def answer(self, member: User, objection, text: str, days_ago: int) -> None:
        with _clock_at(self.at(days_ago, 11)) as now:
            publicity.answer(member, objection, text, now=now)

    def red_category(self) -> int:
        return db.session.scalar(
            sa.select(BoardCategory.id).where(
                BoardCategory.village_id == self.village.id,
                BoardCategory.board == Board.RED,
                BoardCategory.name == RED_CATEGORY,
            )
        )

    def paper_people(self, count: int, *, besides: set[int]) -> list[Resident]:
        """Adults of households without accounts, on the roster, for paper sheets."""
        year = clock.local_date(self.now).year
        people = [
            r
            for h in self.pool
            if h.id not in besides
            for r in h.residents
            if r.on_roster and r.birth_year <= year - 30
        ]
        people.sort(key=lambda r: r.id)
        return self.rng.sample(people, count)

    # --- the nominations -------------------------------------------------------------

    def nominations(self) -> None:
        first, second = self.first, self.second

        # Commended, on the red board without consent (masked), sent to the town and
        # selected there: the village doctor.
        doctor = self.nominee(older_than=50)
        night = self.at(96)
        nomination = self.nominate(
            "doctor",
            "敬业奉献",
            doctor,
            "在村卫生室当了 20 年乡村医生，手机 24 小时开机，村里谁家半夜有急病，一个电话"
            f"就背着药箱上门。{_md(night)}凌晨两点，三组一位独居老人突发心梗，他十分钟赶到，"
            "一边做急救一边联系 120，陪着送到县医院，老人转危为安。村里 60 多位高血压、"
            "糖尿病老人的随访，他每月挨家上门做一次，从不收出诊费。",
            self.day(96),
            82,
        )
        self.endorse(nomination, ENDORSERS[:4], 81)
        self.accept(first, nomination, 72)
        with _clock_at(self.at(64, 16)) as now:
            services.commend(second, nomination, red_category_id=self.red_category(), now=now)
        with _clock_at(self.at(62, 10)) as now:
            services.forward(first, nomination, now=now)
        entry = db.session.get(BoardEntry, nomination.board_entry_id)
        with _clock_at(self.at(58, 16)) as now:
            boards.publish(first, entry, now=now)
        with _clock_at(self.at(30, 14)) as now:
            services.town_decide(
                self.town,
                nomination,
                True,
                "经镇评选委员会评议，入选银涂镇本年度“银涂好人”（敬业奉献类），"
                "将在年终表彰大会上颁发证书。",
                now=now,
            )

        # Commended and sent to the town, which has not decided yet: a child pulled
        # from the pond.
        rescuer = self.nominee(older_than=30)
        rescue = self.at(55)
        nomination = self.nominate(
            "pond",
            "见义勇为",
            rescuer,
            f"{_md(rescue)}傍晚，一个 8 岁的男孩在村西鱼塘边捡球时滑进塘里，塘边水深两米多。"
            "他正骑电动车路过，听到呼救，来不及脱衣服就跳下去，把孩子托出水面推上岸，"
            "又按在膝上控出呛进的水，孩子很快哭出声来。事后孩子家长上门道谢，他连一包烟"
            "都没收。塘边的警示牌和救生圈是那以后村里补上的。",
            self.day(55),
            52,
        )
        self.endorse(nomination, ENDORSERS[2:6], 51)
        self.accept(second, nomination, 46)
        with _clock_at(self.at(38, 16)) as now:
            services.commend(first, nomination, now=now)
        with _clock_at(self.at(37, 10)) as now:
            services.forward(first, nomination, now=now)

        # Not selected, at review, with the reason the nominator reads.
        builder = self.nominee(older_than=35)
        nomination = self.nominate(
            "rejected",
            "助人为乐",
            builder,
            "村北到二组的机耕路坑洼多年，下雨天三轮车都开不过去。他开着自家的挖机和"
            "翻斗车，用了一个多星期把路面垫平压实，方便了全组二十多户下地干活。",
            self.day(47),
            44,
        )
        self.endorse(nomination, ENDORSERS[3:6], 43)
        with _clock_at(self.at(33, 15)) as now:
            services.reject(
                first,
                nomination,
                "经核实，这段机耕路的平整是村里“一事一议”项目，由他承包施工并按合同结算了"
                "工程款，属于有偿施工，不属于好人好事。感谢推荐，村委会研究不予评选。",
                now=now,
            )

        # 公示 over, no objections: waits for the committee's decision.
        helper = self.nominee(older_than=40)
        nomination = self.nominate(
            "notice_ended",
            "助人为乐",
            helper,
            "他是村里的电工，退休后义务给村里的独居和留守老人修电器、换线路。今年以来给 "
            "30 多户老人检查了老化的电线，换了漏电保护开关，自己垫钱买的材料从没要过。"
            f"{_md(self.at(35))}夜里二组一户老人家里跳闸断电，他打着手电修到半夜。",
            self.day(35),
            26,
        )
        self.endorse(nomination, (1, 4, 8), 25)
        self.accept(second, nomination, 14)

        # Withdrawn by the nominator before review.
        carer = self.nominee(older_than=40)
        nomination = self.nominate(
            "withdrawn",
            "孝老爱亲",
            carer,
            "丈夫去世后，她一个人照顾瘫痪在床的公公十二年，每天喂饭、擦洗、按摩，"
            "老人身上干干净净。家里的五亩责任田也是她一个人种。",
            self.day(30),
            22,
        )
        self.endorse(nomination, (9,), 21)
        with _clock_at(self.at(19, 21)) as now:
            services.withdraw(self.villagers[NOMINATORS["withdrawn"]], nomination, now=now)

        # In 公示: one objection answered, one not. A wallet returned with 3,000 yuan.
        finder = self.nominee(older_than=30)
        found = self.at(16)
        nomination = self.nominate(
            "wallet",
            "诚实守信",
            finder,
            f"{_md(found)}上午，他在镇上农贸市场门口捡到一个黑色钱包，里面有现金 3,000 元、"
            "身份证和两张银行卡。他在原地等了一个多小时没等到失主，就按身份证上的地址"
            "找到邻村的失主家里，把钱包原样送还。失主是卖了两头猪的老人，要拿 500 元"
            "酬谢，他没有收。",
            self.day(16),
            13,
        )
        self.endorse(nomination, (2, 3, 10), 12)
        self.accept(first, nomination, 4)
        objection = self.object(
            OBJECTORS[0],
            nomination,
            "听说钱包是他在市场里面捡的，不是门口，而且过了两天才送回去，事迹写得不准确。",
            3,
        )
        self.answer(
            second,
            objection,
            "村委会向失主和市场管理员核实：钱包是当天上午在市场门口捡到的，当天下午"
            "就送到了失主家，失主写了情况说明，存在村委会备查。事迹属实。",
            2,
        )
        self.object(
            OBJECTORS[1],
            nomination,
            "失主是邻村的，这件事应该由失主所在村推荐，不该算在我们村。",
            1,
        )

        # Entered from paper, with paper endorsements by residents without accounts:
        # enough of them, so it waits for the committee's review.
        home = self.household()
        daughter_in_law = self.adult(home, older_than=40)
        neighbour = self.paper_people(1, besides={home.id})[0]
        with _clock_at(self.at(9, 10)) as now:
            nomination = services.nominate_on_paper(
                first,
                self.village,
                nominator_resident_id=neighbour.id,
                category_id=self.nomination_cats["孝老爱亲"],
                nominee_resident_id=daughter_in_law.id,
                story=(
                    "婆婆患阿尔茨海默病，又摔断了股骨，卧床五年，她辞了镇上服装厂的工作回家"
                    "照顾。老人夜里常常糊涂叫喊，她就睡在老人床边的小床上，每两个小时起来翻一次"
                    "身。五年来老人没长过褥疮，逢年过节都穿得干干净净。"
                ),
                deed_on=self.day(12),
                now=now,
            )
        besides = {home.id, neighbour.household_id}
        for n, person in enumerate(self.paper_people(4, besides=besides)):
            with _clock_at(self.at(9, 10, 5 + n)) as now:
                services.endorse_on_paper(first, nomination, person.id, now=now)

        # Still collecting endorsements: a neighbour helped in the flood.
        neighbour = self.nominee(older_than=30)
        flood = self.at(6)
        nomination = self.nominate(
            "flood",
            "助人为乐",
            neighbour,
            f"{_md(flood)}夜里连降暴雨，湖水漫进四组低洼处，隔壁七十多岁的老两口家里进水"
            "半米深。他蹚着齐腰的水把两位老人背到自己家的二楼，又和儿子一起把老人家里的"
            "两袋稻种和一台冰箱搬到高处。老人在他家住了三天，水退了才回去。",
            self.day(6),
            3,
        )
        self.endorse(nomination, (8,), 2)
