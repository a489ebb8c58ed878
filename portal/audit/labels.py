"""How the action log 操作日志 names what it records, for the people who read it.

The log keeps machine names (`notice.publish`, `ruleversion`, `committee`) so that it
never changes when the wording does; these tables turn them into words. A name with
no entry here (a feature newer than this table) is shown as it is stored.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# The kind of an action is the part of its name before the dot: "rules" for
# "rules.vote_open". A name without a dot is its own kind: the log is append-only, so
# the rows written before admin actions took the "admin." prefix ("create_town",
# "create_village") keep their names and their words here.
KIND_LABELS = {
    "rules": _l("村规民约"),
    "notice": _l("村务公开"),
    "disclosure": _l("公开目录"),
    "registration": _l("注册核实"),
    "account": _l("账号"),
    "invite": _l("邀请码"),
    "role": _l("任命"),
    "roster": _l("花名册"),
    "settings": _l("本村设置"),
    "admin": _l("系统管理"),
    "publicity": _l("公示"),
    "create_town": _l("建立镇街"),
    "create_village": _l("建立村"),
}

ACTION_LABELS = {
    "rules.create": _l("新建村规民约"),
    "rules.new_draft": _l("起草新版本"),
    "rules.article_add": _l("增加条文"),
    "rules.article_edit": _l("修改条文"),
    "rules.article_move": _l("调整条文顺序"),
    "rules.article_remove": _l("删除条文"),
    "rules.consultation_open": _l("开始征求意见"),
    "rules.comment_hide": _l("隐藏意见"),
    "rules.vote_announce": _l("发布表决公告"),
    "rules.vote_open": _l("开始表决"),
    "rules.paper_ballot": _l("录入纸质选票"),
    "rules.paper_ballot_undo": _l("撤销纸质选票"),
    "rules.vote_close": _l("结束表决"),
    "rules.filing_submit": _l("报镇街备案"),
    "rules.filing_filed": _l("准予备案"),
    "rules.filing_returned": _l("退回修改"),
    "notice.create": _l("新建公告"),
    "notice.edit": _l("修改公告"),
    "notice.publish": _l("发布公告"),
    "notice.archive": _l("公告归档"),
    "notice.pin": _l("置顶公告"),
    "notice.unpin": _l("取消置顶"),
    "notice.correct": _l("发布更正"),
    "notice.post_decision": _l("公开决定"),
    "notice.attach": _l("添加附件"),
    "notice.detach": _l("删除附件"),
    "notice.answer_question": _l("答复质询"),
    "disclosure.add": _l("增加公开事项"),
    "disclosure.activate": _l("恢复公开事项"),
    "disclosure.deactivate": _l("停用公开事项"),
    "registration.match": _l("核实注册"),
    "registration.refuse": _l("退回注册"),
    "account.reset_issue": _l("发重设码"),
    "account.reset_use": _l("用重设码设新密码"),
    "account.free_phone": _l("释放手机号"),
    "invite.issue": _l("发邀请码"),
    "invite.issue_bulk": _l("批量发邀请码"),
    "role.appoint": _l("任命"),
    "role.revoke": _l("撤销任命"),
    "roster.import": _l("导入花名册"),
    "roster.resident_left": _l("登记迁出或去世"),
    "roster.resident_returned": _l("撤销迁出登记"),
    "settings.change": _l("修改本村设置"),
    "publicity.open": _l("开始公示"),
    "publicity.object": _l("提出异议"),
    "publicity.object_paper": _l("录入纸质异议"),
    "publicity.answer": _l("答复异议"),
    "admin.create": _l("建立管理员"),
    "admin.create_town": _l("建立镇街"),
    "admin.create_village": _l("建立村"),
    "create_town": _l("建立镇街"),
    "create_village": _l("建立村"),
}

OBJECT_LABELS = {
    "ruledocument": _l("村规民约"),
    "ruleversion": _l("村规民约版本"),
    "rulearticle": _l("条文"),
    "articlecomment": _l("意见"),
    "ballot": _l("选票"),
    "rulefiling": _l("备案"),
    "notice": _l("公告"),
    "noticequestion": _l("质询"),
    "disclosureitem": _l("公开事项"),
    "user": _l("账号"),
    "invitecode": _l("邀请码"),
    "passwordreset": _l("重设码"),
    "rolegrant": _l("任命"),
    "rosterimport": _l("花名册导入"),
    "village": _l("村"),
    "town": _l("镇街"),
    "publicity": _l("公示"),
    "objection": _l("异议"),
}

ROLE_LABELS = {
    "committee": _l("村委会"),
    "supervisor": _l("村务监督委员会"),
    "grid_worker": _l("网格员"),
    "shopkeeper": _l("积分超市管理员"),
    "town_official": _l("镇街"),
    "admin": _l("管理员"),
    "villager": _l("村民"),
}

# Keys the summaries of before and after use most, in words.
FIELD_LABELS = {
    "title": _l("标题"),
    "body": _l("正文"),
    "state": _l("状态"),
    "status": _l("状态"),
    "reason": _l("理由"),
    "pinned": _l("置顶"),
    "position": _l("位置"),
    "number": _l("版本号"),
    "name": _l("名称"),
    "role": _l("职务"),
    "count": _l("数量"),
    "choice": _l("选择"),
    "active": _l("启用"),
    "category": _l("类别"),
    "answer": _l("答复"),
    "ends_at": _l("征求意见截止"),
    "opens_at": _l("开始表决"),
    "closes_at": _l("表决截止"),
    "eligible": _l("有表决权"),
    "turnout": _l("参加"),
    "yes": _l("赞成"),
    "no": _l("反对"),
    "abstain": _l("弃权"),
    "passed": _l("通过"),
    "households": _l("户数"),
    "phone": _l("手机号"),
    "disabled": _l("停用"),
    "expires_at": _l("有效期到"),
}

# The values of the keys that hold a state, a status or a ballot's choice.
VALUE_KEYS = {"state", "status", "choice"}
VALUE_LABELS = {
    "draft": _l("草稿"),
    "published": _l("已发布"),
    "archived": _l("已归档"),
    "consultation": _l("征求意见"),
    "voting": _l("表决中"),
    "adopted": _l("现行有效"),
    "rejected": _l("未通过"),
    "superseded": _l("已废止"),
    "pending": _l("待处理"),
    "verified": _l("已核实"),
    "refused": _l("已退回"),
    "filed": _l("已备案"),
    "returned": _l("退回修改"),
    "yes": _l("赞成"),
    "no": _l("反对"),
    "abstain": _l("弃权"),
}
# A rule version's draft is a 草案; a notice's is a 草稿.
OBJECT_VALUE_LABELS = {("ruleversion", "draft"): _l("草案")}


def action_kind(action: str) -> str:
    return action.split(".", 1)[0]


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_label(object_type: str) -> str:
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type


def role_label(role: str | None) -> str:
    """The role an action was taken in; the portal itself (`flask tick`) is 系统."""
    if not role or role == "system":
        return _("系统")
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role


def value_label(key: str, value: str, object_type: str = "") -> str | None:
    """The words for a state, status or choice; None for any other value."""
    if key not in VALUE_KEYS:
        return None
    label = OBJECT_VALUE_LABELS.get((object_type, value), VALUE_LABELS.get(value))
    return str(label) if label is not None else None


def field_label(key: str) -> str:
    """The words for a key of a summary; a village setting's key is named by its label."""
    label = FIELD_LABELS.get(key)
    if label is None:
        from portal.settings.registry import label_of

        label = label_of(key)
    return str(label) if label is not None else key


# Appeals 申诉 on the red/black boards, up to the town.
KIND_LABELS["board_appeal"] = _l("红黑榜申诉")
ACTION_LABELS.update(
    {
        "board_appeal.submit": _l("提出申诉"),
        "board_appeal.submit_paper": _l("录入纸质申诉"),
        "board_appeal.uphold": _l("申诉理由成立"),
        "board_appeal.dismiss": _l("驳回申诉"),
        "board_appeal.ask_town": _l("请镇街复核"),
        "board_appeal.ask_town_paper": _l("录入请镇街复核的信件"),
        "board_appeal.town_uphold": _l("镇街复核：申诉理由成立"),
        "board_appeal.town_confirm": _l("镇街复核：维持村委会决定"),
    }
)
OBJECT_LABELS["boardappeal"] = _l("红黑榜申诉")
VALUE_LABELS.update(
    {
        "upheld": _l("理由成立"),
        "dismissed": _l("已驳回"),
        "town_review": _l("镇街复核中"),
        "town_upheld": _l("镇街复核：理由成立"),
        "town_confirmed": _l("镇街复核：维持"),
    }
)

# The red/black boards 红黑榜: categories, entries and their steps (portal/boards/services.py).
KIND_LABELS["board"] = _l("红黑榜")
ACTION_LABELS.update(
    {
        "board.seed_categories": _l("载入常用类别"),
        "board.category_add": _l("添加红黑榜类别"),
        "board.category_edit": _l("修改红黑榜类别"),
        "board.category_retire": _l("停用红黑榜类别"),
        "board.warn": _l("发出整改提醒"),
        "board.commend": _l("登记红榜表彰"),
        "board.consent": _l("记录本人同意公开姓名"),
        "board.put_right": _l("记录按期整改"),
        "board.approve": _l("集体决定列入黑榜"),
        "board.decline": _l("决定不列入黑榜"),
        "board.publish": _l("公布红黑榜条目"),
        "board.expire": _l("红黑榜条目到期撤下"),
        "board.withdraw": _l("撤销红黑榜条目"),
    }
)
OBJECT_LABELS["boardentry"] = _l("红黑榜条目")
OBJECT_LABELS["boardcategory"] = _l("红黑榜类别")
KIND_LABELS["nomination"] = _l("好人推荐")
OBJECT_LABELS["nomination"] = _l("好人推荐")
ACTION_LABELS.update(
    {
        "nomination.submit": _l("推荐好人"),
        "nomination.endorse": _l("联名推荐"),
        "nomination.withdraw": _l("撤回推荐"),
    }
)

# The nominations console: the committee's decisions, the paper path, categories, the town.
OBJECT_LABELS["nominationcategory"] = _l("好人推荐类别")
ACTION_LABELS.update(
    {
        "nomination.submit_paper": _l("录入纸质推荐"),
        "nomination.endorse_paper": _l("录入纸质联名"),
        "nomination.accept": _l("同意好人推荐进入公示"),
        "nomination.reject": _l("不予评选"),
        "nomination.commend": _l("评为好人"),
        "nomination.forward": _l("报送镇街评选"),
        "nomination.town_decide": _l("镇街评选好人"),
        "nomination.category_add": _l("添加好人推荐类别"),
        "nomination.category_retire": _l("停用好人推荐类别"),
    }
)

# Points 积分 and the points shop 积分超市 (portal/points/).
KIND_LABELS["points"] = _l("积分")
KIND_LABELS["shop"] = _l("积分超市")
OBJECT_LABELS["pointitem"] = _l("积分细则")
OBJECT_LABELS["pointsentry"] = _l("积分记录")
OBJECT_LABELS["ledgerentry"] = _l("积分台账")
OBJECT_LABELS["reward"] = _l("积分超市物品")
OBJECT_LABELS["yearend"] = _l("积分年终结算")
ACTION_LABELS.update(
    {
        "points.seed_catalogue": _l("载入常用积分细则"),
        "points.item_add": _l("添加积分细则"),
        "points.item_retire": _l("停用积分细则"),
        "points.record": _l("记录积分"),
        "points.approve": _l("审核通过积分"),
        "points.reject": _l("退回积分"),
        "points.final": _l("积分公示期满生效"),
        "points.reverse": _l("冲销积分"),
        "points.year_end": _l("积分年终结算"),
        "shop.reward_add": _l("积分超市上架物品"),
        "shop.restock": _l("积分超市入库"),
        "shop.cost": _l("修改兑换所需积分"),
        "shop.reward_retire": _l("积分超市下架物品"),
        "shop.redeem": _l("积分兑换"),
    }
)
