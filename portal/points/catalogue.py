"""The common catalogue 积分细则 a village may load and then change: items as villages'
积分制 schemes usually write them. They are the village's data, in its language, not
words of the portal; `seed_catalogue` adds those the village lacks, by code.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.audit.services import record_action
from portal.auth.access import require_committee
from portal.auth.models import Role, User
from portal.extensions import db
from portal.points.models import CapPeriod, ItemCategory, PointItem
from portal.villages.models import Village

B, D, C = ItemCategory.BASIC.value, ItemCategory.DEMOCRATIC.value, ItemCategory.CONTRIBUTION.value
M, Y = CapPeriod.MONTH, CapPeriod.YEAR

# (code, category, description, points, rule article, cap, cap period)
COMMON_ITEMS: tuple[tuple[str, str, str, int, str | None, int | None, CapPeriod | None], ...] = (
    ("J01", B, "门前三包落实，庭院整洁，月度检查合格", 5, "第五条", 5, M),
    ("J02", B, "垃圾分类投放正确，月度检查合格", 3, "第五条", 3, M),
    ("J03", B, "按时缴纳医保、养老保险", 5, "第六条", 5, Y),
    ("J04", B, "家庭成员无违法犯罪记录，全年", 10, "第三条", 10, Y),
    ("J05", B, "自觉移风易俗，红白喜事简办并报备", 10, "第九条", 20, Y),
    ("J06", B, "评为“美丽庭院”示范户", 20, "第五条", 20, Y),
    ("J07", B, "子女按时入学，无辍学", 5, "第七条", 5, Y),
    ("J08", B, "配合人居环境整治，拆除违建、清理乱堆乱放", 10, "第五条", 20, Y),
    ("M01", D, "参加村民会议或村民代表会议", 3, "第二条", 12, Y),
    ("M02", D, "参加村规民约表决", 3, "第二条", 6, Y),
    ("M03", D, "为村务提出合理化建议并被采纳", 5, "第二条", 20, Y),
    ("M04", D, "参加村务公开日、监督活动", 2, "第二条", 8, Y),
    ("M05", D, "参加村里组织的学习培训", 2, None, 10, Y),
    ("M06", D, "参与调解邻里纠纷，调解成功", 5, "第八条", 20, Y),
    ("G01", C, "参加义务劳动（每次半天）", 2, "第十条", 10, M),
    ("G02", C, "参加防汛、防火、抗旱等应急值守", 5, "第十条", 20, Y),
    ("G03", C, "无偿献血", 10, None, 10, Y),
    ("G04", C, "见义勇为、拾金不昧，经核实", 20, "第八条", None, None),
    ("G05", C, "照顾孤寡老人、留守儿童，经核实", 5, "第八条", 20, Y),
    ("G06", C, "为村里公益事业捐款捐物", 5, None, 20, Y),
    ("G07", C, "参加志愿服务活动（每次）", 2, None, 20, Y),
    ("G08", C, "被评为县级以上先进个人或家庭", 30, None, None, None),
    ("G09", C, "被评为村“好媳妇”“好婆婆”“文明家庭”", 15, "第八条", 15, Y),
    ("G10", C, "主动劝阻、举报焚烧秸秆，经核实", 3, "第五条", 9, Y),
    ("K01", B, "乱扔垃圾、乱倒污水，经劝阻不改", -5, "第五条", None, None),
    ("K02", B, "焚烧秸秆、垃圾", -10, "第五条", None, None),
    ("K03", B, "违规建房、私搭乱建", -20, "第四条", None, None),
    ("K04", B, "大操大办、高价彩礼", -20, "第九条", None, None),
    ("K05", B, "赌博、封建迷信活动，经查实", -20, "第三条", None, None),
    ("K06", B, "不赡养老人，经调解仍不改", -30, "第七条", None, None),
    ("K07", B, "散养家禽家畜，影响环境卫生", -3, "第五条", None, None),
    ("K08", B, "无理上访、阻挠公益项目施工", -10, "第二条", None, None),
)


def seed_catalogue(village: Village, actor: User | None = None) -> int:
    """Add the common items the village lacks (by code); how many were added. With an
    `actor`, a committee member's action, logged; without, the demo's set-up."""
    if actor is not None:
        require_committee(actor, village.id)
    have = set(
        db.session.scalars(sa.select(PointItem.code).where(PointItem.village_id == village.id))
    )
    start = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(PointItem.position), 0)).where(
            PointItem.village_id == village.id
        )
    )
    added = 0
    for offset, (code, category, description, points, article, cap, period) in enumerate(
        COMMON_ITEMS, start=1
    ):
        if code in have:
            continue
        db.session.add(
            PointItem(
                village_id=village.id,
                code=code,
                category=category,
                description=description,
                points=points,
                rule_article=article,
                cap=cap,
                cap_period=period,
                position=start + offset,
            )
        )
        added += 1
    if actor is not None and added:
        record_action(
            actor,
            Role.COMMITTEE,
            "points.seed_catalogue",
            village,
            village=village,
            after={"added": added},
        )
    return added
